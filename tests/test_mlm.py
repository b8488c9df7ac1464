"""Tests of helpers.mlm: BERT's 15% selection and 80/10/10 corruption."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.mlm import KEPT, MASKED, NOT_SELECTED, RANDOM, mask_tokens

PAD, UNK, MASK = 0, 1, 2
VOCAB = 50


@pytest.fixture
def tokens():
    rng = np.random.default_rng(123)
    ids = rng.integers(3, VOCAB, size=(400, 50))
    ids[:, 40:] = PAD          # padding at the end of every row
    ids[::7, 5] = UNK          # a few unknown words
    return ids


def test_proportions_hold_over_many_draws(tokens):
    batch = mask_tokens(tokens, mask_id=MASK, vocab_size=VOCAB, special_ids=[PAD, UNK], seed=0)
    selectable = (tokens != PAD) & (tokens != UNK)
    n = selectable.sum()
    selected = batch.action != NOT_SELECTED
    share = selected.sum() / n
    # 15,000+ selectable tokens: the share is within 4 standard errors of 15%
    assert abs(share - 0.15) < 4 * np.sqrt(0.15 * 0.85 / n)
    k = selected.sum()
    for action, p in ((MASKED, 0.8), (RANDOM, 0.1), (KEPT, 0.1)):
        got = (batch.action == action).sum() / k
        assert abs(got - p) < 4 * np.sqrt(p * (1 - p) / k), (action, got)
    assert (batch.inputs[batch.action == MASKED] == MASK).all()
    assert (batch.inputs[batch.action == KEPT] == tokens[batch.action == KEPT]).all()
    assert (batch.inputs[~selected] == tokens[~selected]).all()
    np.testing.assert_array_equal(batch.weights, selected.astype("float32"))
    np.testing.assert_array_equal(batch.targets, tokens)


def test_special_tokens_are_never_chosen_nor_drawn_as_random_words(tokens):
    rng = np.random.default_rng(7)
    for _ in range(20):
        batch = mask_tokens(tokens, mask_id=MASK, vocab_size=VOCAB, special_ids=[PAD, UNK],
                            seed=rng, select_prob=0.5, mask_prob=0.0, random_prob=1.0)
        special = np.isin(tokens, [PAD, UNK, MASK])
        assert (batch.action[special] == NOT_SELECTED).all()
        assert (batch.inputs[special] == tokens[special]).all()
        assert not np.isin(batch.inputs[batch.action == RANDOM], [PAD, UNK, MASK]).any()


def test_same_seed_same_result_and_generator_gives_fresh_masks(tokens):
    a = mask_tokens(tokens, mask_id=MASK, vocab_size=VOCAB, special_ids=[PAD], seed=42)
    b = mask_tokens(tokens, mask_id=MASK, vocab_size=VOCAB, special_ids=[PAD], seed=42)
    c = mask_tokens(tokens, mask_id=MASK, vocab_size=VOCAB, special_ids=[PAD], seed=43)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.action, c.action)
    rng = np.random.default_rng(0)
    first = mask_tokens(tokens, mask_id=MASK, vocab_size=VOCAB, seed=rng)
    second = mask_tokens(tokens, mask_id=MASK, vocab_size=VOCAB, seed=rng)
    assert not np.array_equal(first.action, second.action)


def test_a_list_of_lists_and_the_dtype_are_kept():
    batch = mask_tokens([[3, 4, 5]], mask_id=MASK, vocab_size=6, seed=0, select_prob=1.0,
                        mask_prob=1.0, random_prob=0.0)
    assert batch.inputs.tolist() == [[MASK, MASK, MASK]]
    assert batch.weights.dtype == np.float32


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(token_ids=[]), ValueError, "non-empty"),
    (dict(token_ids=[[1.5, 2.0]]), TypeError, "integer"),
    (dict(token_ids=[[3, 60]]), ValueError, "vocab_size"),
    (dict(token_ids=[[3, -1]]), ValueError, "vocab_size"),
    (dict(vocab_size=1), ValueError, "vocab_size"),
    (dict(mask_id=99), ValueError, "special_ids"),
    (dict(select_prob=1.5), ValueError, "select_prob"),
    (dict(mask_prob=0.95, random_prob=0.1), ValueError, "at most 1"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed="7"), ValueError, "seed"),
    (dict(token_ids=[[3]], vocab_size=4, special_ids=[0, 1, 3]), ValueError, "every id"),
])
def test_bad_input_gets_a_clear_error(kwargs, error, words):
    args = dict(token_ids=[[3, 4, 5]], mask_id=MASK, vocab_size=VOCAB, special_ids=[PAD])
    args.update(kwargs)
    with pytest.raises(error, match=words):
        mask_tokens(**args)
