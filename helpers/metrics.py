"""Translation metrics: corpus BLEU and chrF (sacrebleu, one or several references per sentence),
BLEU by source-length bucket, and bootstrap intervals for BLEU and for a difference of BLEU."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


References = Sequence[str] | Sequence[Sequence[str]]


def _check(hypotheses: Any, references: Any) -> tuple[list[str], list[list[str]]]:
    """Validate the inputs; return the hypotheses and, per sentence, its list of references."""
    for name, value in (("hypotheses", hypotheses), ("references", references)):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(f"{name} must be a list with one entry per sentence, "
                            f"got {type(value).__name__}.")
    bad = [i for i, s in enumerate(hypotheses) if not isinstance(s, str)]
    if bad:
        raise TypeError(f"hypotheses[{bad[0]}] is a {type(hypotheses[bad[0]]).__name__}, not a string.")
    refs = []
    for i, r in enumerate(references):
        group = [r] if isinstance(r, str) else r
        if (not isinstance(group, Sequence) or not group
                or not all(isinstance(x, str) for x in group)):
            raise TypeError(f"references[{i}] must be a string or a non-empty list of strings "
                            f"(all the translations of sentence {i}), got {r!r}.")
        refs.append(list(group))
    if not hypotheses or not refs:
        raise ValueError("hypotheses and references must not be empty: translate at least one sentence.")
    if len(hypotheses) != len(refs):
        raise ValueError(f"got {len(hypotheses)} hypotheses but {len(refs)} references: "
                         "give one reference (or one list of references) per translated sentence.")
    return list(hypotheses), refs


def _streams(refs: list[list[str]]) -> list[list[str | None]]:
    """sacrebleu's layout: stream k holds the k-th reference of every sentence (None: none)."""
    most = max(len(r) for r in refs)
    return [[r[k] if k < len(r) else None for r in refs] for k in range(most)]


def corpus_bleu(hypotheses: Sequence[str], references: References) -> float:
    """Corpus BLEU (0-100) of ``hypotheses`` against one or several references per sentence.

    The text must already be split into words by spaces and standardized the same way on both
    sides (``helpers.text.standardize``): sacrebleu runs with ``tokenize="none"``, so a token
    such as ``[UNK]`` stays one word and never matches a reference. A sentence with several
    references matches an n-gram found in any of them (sacrebleu's multi-reference BLEU).

    >>> corpus_bleu(["me gusta el fútbol"], ["me gusta el fútbol"])
    100.0
    >>> corpus_bleu(["me gusta el fútbol"], [["me encanta el fútbol", "me gusta el fútbol"]])
    100.0
    """
    import sacrebleu

    hyps, refs = _check(hypotheses, references)
    return round(float(sacrebleu.corpus_bleu(hyps, _streams(refs), tokenize="none").score), 6)


def corpus_chrf(hypotheses: Sequence[str], references: References) -> float:
    """Corpus chrF (0-100, character n-gram F-score) against one or several references each.

    >>> corpus_chrf(["me gusta el fútbol"], ["me gusta el fútbol"])
    100.0
    """
    import sacrebleu

    hyps, refs = _check(hypotheses, references)
    return round(float(sacrebleu.corpus_chrf(hyps, _streams(refs)).score), 6)


def bleu_by_length(sources: Sequence[str], hypotheses: Sequence[str], references: References,
                   buckets: Sequence[int] = (5, 10, 15, 20), *, intervals: bool = False,
                   seed: int = 0) -> list[dict[str, Any]]:
    """Corpus BLEU per bucket of source length (in words).

    ``buckets`` are increasing upper bounds: ``(5, 10)`` makes the buckets 1-5, 6-10 and 11+.
    Returns one dict per non-empty bucket: ``{"bucket": "6-10", "n": 42, "bleu": 17.3}``; with
    ``intervals`` also the bucket's 95% bootstrap interval, ``low`` and ``high``
    (``bootstrap_bleu`` on the bucket's sentences).

    >>> bleu_by_length(["a b", "a b c d e f"], ["x", "y"], ["x", "z"], buckets=(5,))[0]["bucket"]
    '1-5'
    """
    hyps, refs = _check(hypotheses, references)
    if isinstance(sources, str) or len(sources) != len(hyps):
        raise ValueError(f"sources must be a list with one sentence per hypothesis "
                         f"({len(hyps)}), got {len(sources) if not isinstance(sources, str) else 'a string'}.")
    bounds = list(buckets)
    if not bounds or any(b2 <= b1 for b1, b2 in zip(bounds, bounds[1:])) or bounds[0] < 1:
        raise ValueError(f"buckets must be increasing positive word counts, got {buckets!r}.")
    edges = [0, *bounds, None]
    rows = []
    for low, high in zip(edges, edges[1:]):
        idx = [i for i, s in enumerate(sources)
               if len(s.split()) > low and (high is None or len(s.split()) <= high)]
        if idx:
            label = f"{low + 1}-{high}" if high is not None else f"{low + 1}+"
            bucket_hyps, bucket_refs = [hyps[i] for i in idx], [refs[i] for i in idx]
            row = {"bucket": label, "n": len(idx), "bleu": corpus_bleu(bucket_hyps, bucket_refs)}
            if intervals:
                ci = bootstrap_bleu(bucket_hyps, bucket_refs, seed=seed)
                row.update(low=ci["low"], high=ci["high"])
            rows.append(row)
    return rows


def _bleu_statistics(hypotheses: Sequence[str], references: References) -> tuple[Any, np.ndarray]:
    """sacrebleu's BLEU (``tokenize="none"``) and its per-sentence statistics, one row each."""
    from sacrebleu.metrics import BLEU

    hyps, refs = _check(hypotheses, references)
    bleu = BLEU(tokenize="none")
    return bleu, np.asarray(bleu._extract_corpus_statistics(hyps, _streams(refs)), dtype=np.int64)


def _resample(n: int, n_resamples: int, seed: int) -> np.ndarray:
    if not isinstance(n_resamples, int) or n_resamples < 10:
        raise ValueError(f"n_resamples must be an int of at least 10, got {n_resamples!r}.")
    return np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))


def bootstrap_bleu(hypotheses: Sequence[str], references: References, *, n_resamples: int = 1000,
                   confidence: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Corpus BLEU with a bootstrap interval: the sentences are resampled with replacement.

    Returns ``{"bleu", "low", "high"}`` (percentile interval at ``confidence``). Each resample
    sums the sentences' n-gram statistics, so it costs no new BLEU computation.

    >>> r = bootstrap_bleu(["a b c d", "e f g h"], ["a b c d", "e f g x"])
    >>> r["low"] <= r["bleu"] <= r["high"]
    True
    """
    bleu, stats = _bleu_statistics(hypotheses, references)
    scores = [bleu._compute_score_from_stats(stats[i].sum(axis=0).tolist()).score
              for i in _resample(len(stats), n_resamples, seed)]
    tail = 100 * (1 - confidence) / 2
    return {"bleu": float(bleu._compute_score_from_stats(stats.sum(axis=0).tolist()).score),
            "low": float(np.percentile(scores, tail)), "high": float(np.percentile(scores, 100 - tail))}


def paired_bootstrap(hypotheses_a: Sequence[str], hypotheses_b: Sequence[str], references: References, *,
                     n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0) -> dict[str, float]:
    """BLEU of b minus BLEU of a on the same sentences, with a paired bootstrap interval.

    Both systems are scored on the same resampled sentences (Koehn 2004). Returns ``{"a", "b",
    "diff", "low", "high"}``; an interval above 0 means b is better beyond the sampling noise of
    these sentences.

    >>> r = paired_bootstrap(["a b c x", "e f g x"], ["a b c d", "e f g h"], ["a b c d", "e f g h"])
    >>> r["diff"] > 0
    True
    """
    bleu, stats_a = _bleu_statistics(hypotheses_a, references)
    _, stats_b = _bleu_statistics(hypotheses_b, references)

    def score(stats: np.ndarray) -> float:
        return float(bleu._compute_score_from_stats(stats.sum(axis=0).tolist()).score)

    diffs = [score(stats_b[i]) - score(stats_a[i]) for i in _resample(len(stats_a), n_resamples, seed)]
    tail = 100 * (1 - confidence) / 2
    a, b = score(stats_a), score(stats_b)
    return {"a": a, "b": b, "diff": b - a, "low": float(np.percentile(diffs, tail)),
            "high": float(np.percentile(diffs, 100 - tail))}
