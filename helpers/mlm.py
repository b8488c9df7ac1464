"""BERT's masked-language-model input corruption: pick 15% of the tokens, then 80/10/10.

The lecture (*Masked Language Model (MLM)*): each word has a 15% probability of being selected;
a selected word is replaced by ``[MASK]`` 80% of the time, by a random word 10% of the time, and
left alone 10% of the time. The model must predict the original word at every selected position
(and only there: the other positions get a sample weight of 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from helpers.runtime import check_int


class MaskedBatch(NamedTuple):
    """What :func:`mask_tokens` returns, ready for ``model.fit(inputs, targets, sample_weight=weights)``.

    ``inputs``: the corrupted token ids; ``targets``: the original ids; ``weights``: 1.0 at the
    selected positions, 0.0 elsewhere; ``action``: per position 0 = not selected, 1 = replaced by
    ``[MASK]``, 2 = replaced by a random token, 3 = selected but kept.
    """

    inputs: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    action: np.ndarray


NOT_SELECTED, MASKED, RANDOM, KEPT = 0, 1, 2, 3


def _probability(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability between 0 and 1, got {value!r}.")
    return float(value)


def mask_tokens(
    token_ids: np.ndarray | Sequence[Sequence[int]],
    *,
    mask_id: int,
    vocab_size: int,
    special_ids: Sequence[int] = (),
    seed: int | np.random.Generator = 0,
    select_prob: float = 0.15,
    mask_prob: float = 0.8,
    random_prob: float = 0.1,
) -> MaskedBatch:
    """Corrupt a batch of token ids the way BERT's masked language model does.

    Every token whose id is not in ``special_ids`` (padding, ``[MASK]``, ``[UNK]``...) is selected
    independently with probability ``select_prob``. A selected token becomes ``mask_id`` with
    probability ``mask_prob``, a random non-special id with probability ``random_prob`` (which may
    by chance be the original id, as in BERT), and stays as it is otherwise. ``mask_id`` is
    always treated as special. The same ``seed`` (an int) gives the same result; pass a NumPy
    ``Generator`` to draw fresh masks on every call.

    >>> batch = mask_tokens([[5, 6, 7, 8, 0]], mask_id=1, vocab_size=10, special_ids=[0], seed=3,
    ...                     select_prob=0.5)
    >>> batch.inputs.shape, batch.targets.tolist()
    ((1, 5), [[5, 6, 7, 8, 0]])
    """
    ids = np.asarray(token_ids)
    if ids.ndim == 0 or ids.size == 0:
        raise ValueError("token_ids must be a non-empty array of token ids, e.g. shape (batch, length).")
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"token_ids must hold integer token ids, got dtype {ids.dtype}; "
                        "tokenize the text first (e.g. with a vocabulary lookup).")
    check_int("vocab_size", vocab_size, 2)
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(f"token ids must lie in [0, vocab_size={vocab_size}); found ids from "
                         f"{ids.min()} to {ids.max()}: is vocab_size right?")
    special = {int(s) for s in special_ids} | {int(mask_id)}
    if any(not 0 <= s < vocab_size for s in special):
        raise ValueError(f"mask_id and special_ids must lie in [0, {vocab_size}), got {sorted(special)}.")
    ordinary = np.setdiff1d(np.arange(vocab_size), sorted(special))
    if ordinary.size == 0:
        raise ValueError("every id of the vocabulary is special: nothing can be chosen as a random word.")
    select_prob = _probability("select_prob", select_prob)
    mask_prob = _probability("mask_prob", mask_prob)
    random_prob = _probability("random_prob", random_prob)
    if mask_prob + random_prob > 1.0 + 1e-12:
        raise ValueError(f"mask_prob + random_prob must be at most 1 (the rest is kept), "
                         f"got {mask_prob} + {random_prob}.")
    if isinstance(seed, np.random.Generator):
        rng = seed
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        rng = np.random.default_rng(int(seed))
    else:
        raise ValueError(f"seed must be a non-negative int or a numpy Generator, got {seed!r}.")

    selectable = ~np.isin(ids, sorted(special))
    selected = selectable & (rng.random(ids.shape) < select_prob)
    u = rng.random(ids.shape)
    action = np.where(selected, np.where(u < mask_prob, MASKED,
                                         np.where(u < mask_prob + random_prob, RANDOM, KEPT)),
                      NOT_SELECTED).astype(np.int8)
    random_words = ordinary[rng.integers(0, ordinary.size, size=ids.shape)]
    inputs = np.where(action == MASKED, mask_id, np.where(action == RANDOM, random_words, ids))
    return MaskedBatch(inputs=inputs.astype(ids.dtype), targets=ids.copy(),
                       weights=selected.astype("float32"), action=action)
