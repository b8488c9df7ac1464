"""Tests for helpers.metrics: BLEU/chrF wrappers and BLEU by source length."""

from __future__ import annotations

import numpy as np
import pytest
import sacrebleu

from helpers import metrics


def test_perfect_match_scores_100():
    refs = ["me gusta el fútbol", "tom está aquí"]
    assert metrics.corpus_bleu(refs, refs) == pytest.approx(100)
    assert metrics.corpus_chrf(refs, refs) == pytest.approx(100)


def test_scores_match_sacrebleu_and_order_models():
    refs = ["me gusta el fútbol mucho", "tom está aquí ahora mismo"]
    good = ["me gusta el fútbol", "tom está aquí ahora"]
    bad = ["me gustan los jugadores", "él no está"]
    assert metrics.corpus_bleu(good, refs) == pytest.approx(
        sacrebleu.corpus_bleu(good, [refs], tokenize="none").score)
    assert metrics.corpus_chrf(good, refs) == pytest.approx(sacrebleu.corpus_chrf(good, [refs]).score)
    assert metrics.corpus_bleu(good, refs) > metrics.corpus_bleu(bad, refs)
    assert metrics.corpus_chrf(good, refs) > metrics.corpus_chrf(bad, refs)


@pytest.mark.parametrize("fn", [metrics.corpus_bleu, metrics.corpus_chrf])
def test_bad_inputs_give_clear_errors(fn):
    with pytest.raises(ValueError, match="must not be empty"):
        fn([], [])
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        fn(["a", "b"], ["a"])
    with pytest.raises(TypeError, match="one entry per sentence"):
        fn("a b", "a b")
    with pytest.raises(TypeError, match="non-empty list of strings"):
        fn(["a"], [[]])
    with pytest.raises(TypeError, match="not a string"):
        fn(["a", None], ["a", "b"])


def test_bleu_by_length():
    sources = ["a b", "a b c", "a b c d e f g", "one"]
    hyps = ["x y z w v", "p q r s t", "u v w x y", "z a b c d"]
    refs = ["x y z w v", "p q r s t", "nothing at all here now", "z a b c d"]
    rows = metrics.bleu_by_length(sources, hyps, refs, buckets=(3, 6))
    assert [(r["bucket"], r["n"]) for r in rows] == [("1-3", 3), ("7+", 1)]
    assert rows[0]["bleu"] == pytest.approx(100) and rows[1]["bleu"] < 10
    with pytest.raises(ValueError, match="increasing"):
        metrics.bleu_by_length(sources, hyps, refs, buckets=(5, 3))
    with pytest.raises(ValueError, match="one sentence per hypothesis"):
        metrics.bleu_by_length(sources[:2], hyps, refs)



def test_bleu_by_length_intervals_are_each_buckets_own_bootstrap():
    rng = np.random.default_rng(0)
    words = "a b c d e f g h".split()
    sources = [" ".join(rng.choice(words, n)) for n in rng.integers(1, 9, size=60)]
    refs = [" ".join(rng.choice(words, 6)) for _ in sources]
    hyps = [r if k % 3 else " ".join(rng.choice(words, 6)) for k, r in enumerate(refs)]
    rows = metrics.bleu_by_length(sources, hyps, refs, buckets=(4,), intervals=True, seed=3)
    for row, (low, high) in zip(rows, [(1, 4), (5, 8)]):
        idx = [i for i, s in enumerate(sources) if low <= len(s.split()) <= high]
        ci = metrics.bootstrap_bleu([hyps[i] for i in idx], [refs[i] for i in idx], seed=3)
        assert (row["n"], row["low"], row["high"]) == (len(idx), ci["low"], ci["high"])
        assert row["low"] <= row["bleu"] <= row["high"]
    assert "low" not in metrics.bleu_by_length(sources, hyps, refs, buckets=(4,))[0]

def test_every_reference_counts():
    hyps = ["me gusta el fútbol", "tom está aquí"]
    one = ["me encanta el fútbol", "tom está aquí"]
    both = [["me encanta el fútbol", "me gusta el fútbol"], ["tom está aquí"]]
    assert metrics.corpus_bleu(hyps, both) == pytest.approx(100)
    assert metrics.corpus_bleu(hyps, one) < 80
    assert metrics.corpus_chrf(hyps, both) > metrics.corpus_chrf(hyps, one)
    # a sentence's second reference may be missing; a repeated reference changes nothing
    assert metrics.corpus_bleu(hyps, [[one[0]], [one[1], one[1]]]) == pytest.approx(
        metrics.corpus_bleu(hyps, one))


def test_unknown_token_is_one_word_that_never_matches():
    refs = ["me gusta el fútbol americano"]
    with_unk = metrics.corpus_bleu(["me gusta el [UNK] americano"], refs)
    # sacrebleu's default 13a tokenizer would split "[UNK]" into "[ UNK ]": three tokens
    assert with_unk == pytest.approx(sacrebleu.corpus_bleu(["me gusta el X americano"], [refs],
                                                           tokenize="none").score)
    assert with_unk < metrics.corpus_bleu(["me gusta el fútbol americano"], refs)


def _corpus():
    refs = [["me gusta el fútbol"], ["tom está aquí ahora", "tom está aquí"], ["no sé nada de eso"],
            ["ella es muy alta"], ["vamos a la playa mañana"], ["el perro come carne"]] * 5
    good = ["me gusta el fútbol", "tom está aquí", "no sé nada", "ella es alta", "vamos a la playa",
            "el perro come"] * 5
    bad = ["me gusta", "tom es aquí", "no nada", "ella alta", "vamos playa", "perro"] * 5
    return refs, good, bad


def test_bootstrap_bleu_is_the_corpus_bleu_with_an_interval_around_it():
    refs, good, _ = _corpus()
    r = metrics.bootstrap_bleu(good, refs, n_resamples=200, seed=1)
    assert r["bleu"] == pytest.approx(metrics.corpus_bleu(good, refs), abs=1e-6)
    assert r["low"] < r["bleu"] < r["high"]
    assert r == metrics.bootstrap_bleu(good, refs, n_resamples=200, seed=1)  # seeded
    with pytest.raises(ValueError, match="n_resamples"):
        metrics.bootstrap_bleu(good, refs, n_resamples=3)


def test_paired_bootstrap_puts_a_clear_gain_above_zero_and_no_change_at_zero():
    refs, good, bad = _corpus()
    r = metrics.paired_bootstrap(bad, good, refs, n_resamples=200)
    assert r["a"] == pytest.approx(metrics.corpus_bleu(bad, refs), abs=1e-6)
    assert r["b"] == pytest.approx(metrics.corpus_bleu(good, refs), abs=1e-6)
    assert r["diff"] > 0 and r["low"] > 0
    same = metrics.paired_bootstrap(good, good, refs, n_resamples=50)
    assert same["diff"] == same["low"] == same["high"] == 0
