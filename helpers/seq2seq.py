"""Sequence-to-sequence tools shared by the translation notebooks: decoders, masks, text <-> ids, plots.

Any encoder-decoder model plugs into the decoders through two functions:

* ``encode(source_batch) -> state``: run the encoder once; ``state`` is an array, or a list,
  tuple or dict of arrays, each with the batch on its first axis;
* ``decode_step(last_tokens, state) -> (log_probs, new_state)``: feed one token per sequence
  (shape ``(batch,)``) and get log-probabilities of the next token, shape ``(batch, vocab)``.

An RNN decoder carries its recurrent state in ``state``; a Transformer decoder can keep the
prefix in ``state`` and re-run on it (still one call per step, the encoder runs once).

What the decoders accept from ``decode_step`` (checked at every step):

* ``-inf`` for a token is accepted and means "impossible" (``log 0``: a ``log_softmax`` over
  masked logits, or ``np.log`` of a probability that underflowed to 0); such a token is never
  chosen, and beam search never keeps a hypothesis whose score is ``-inf``;
* NaN or ``+inf`` anywhere, a row where every token is ``-inf`` (no possible next token), or a
  value above 0 (a log-probability is ≤ 0: logits were returned instead) raise ``ValueError``
  with what happened and what to do, instead of quietly decoding nonsense. NaN and infinities
  come from a model that diverged in training or from broken weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpers.decoding import DIVERGED_ADVICE, describe_rows  # one wording
from helpers.runtime import check_int  # one check

State = Any
EncodeFn = Callable[[Any], State]
StepFn = Callable[[np.ndarray, State], tuple[Any, State]]


# --------------------------------------------------------------------------- validation
def check_sentences(sentences: Any, max_words: int | None = None) -> list[str]:
    """Return ``sentences`` as a list of stripped strings, or raise a clear error.

    Accepts one string or a list/tuple of strings. Raises ``TypeError`` for anything that is not
    text, ``ValueError`` for an empty sentence or (when ``max_words`` is given) one with more
    words than the model was trained on.

    >>> check_sentences("I like soccer")
    ['I like soccer']
    >>> check_sentences([""])
    Traceback (most recent call last):
    ...
    ValueError: sentence 0 is empty: give at least one word, e.g. "I like soccer".
    """
    if isinstance(sentences, str):
        sentences = [sentences]
    if not isinstance(sentences, (list, tuple)):
        raise TypeError(
            f"expected a string or a list of strings, got {type(sentences).__name__}."
        )
    if not sentences:
        raise ValueError("no sentences given: pass at least one string.")
    out = []
    for i, s in enumerate(sentences):
        if not isinstance(s, str):
            raise TypeError(f"sentence {i} is a {type(s).__name__}, not a string: {s!r}.")
        s = s.strip()
        if not s:
            raise ValueError(f'sentence {i} is empty: give at least one word, e.g. "I like soccer".')
        if max_words is not None and len(s.split()) > max_words:
            raise ValueError(
                f"sentence {i} has {len(s.split())} words but the model reads at most "
                f"{max_words}: split it into shorter sentences."
            )
        out.append(s)
    return out


# --------------------------------------------------------------------------- text <-> ids
def ids_to_text(ids: Sequence[int], vocabulary: Sequence[str], *,
                skip: Sequence[str] = ("", "startofseq", "endofseq")) -> str:
    """Join the words of ``ids`` (stopping at ``endofseq``), leaving out padding and start tokens.

    >>> ids_to_text([2, 4, 5, 3, 0], ["", "[UNK]", "startofseq", "endofseq", "me", "gusta"])
    'me gusta'
    """
    words = []
    for i in ids:
        i = int(i)
        if not 0 <= i < len(vocabulary):
            raise ValueError(f"token id {i} is outside the vocabulary (size {len(vocabulary)}).")
        if vocabulary[i] == "endofseq":
            break
        if vocabulary[i] not in skip:
            words.append(vocabulary[i])
    return " ".join(words)


# --------------------------------------------------------------------------- state handling
def map_state(fn: Callable[[Any], Any], state: State) -> State:
    """Apply ``fn`` to every array of a state (array, or list/tuple/dict of arrays, nested)."""
    if isinstance(state, dict):
        return {k: map_state(fn, v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(map_state(fn, v) for v in state)
    return fn(state)


def _gather(state: State, index: np.ndarray) -> State:
    def take(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            return x[index]
        import tensorflow as tf

        return tf.gather(x, index)

    return map_state(take, state)


# A log-probability is ≤ 0; float32 rounding (log of a softmax that sums to 1 + ε) can give a
# few 1e-7 above 0, so only values clearly above 0 are taken for logits.
_LOG_PROB_TOLERANCE = 1e-3

def _log_probs(step_output: Any, batch: int, end_id: int, step: int) -> np.ndarray:
    """Check one ``decode_step`` output and return it as a float64 ``(batch, vocab)`` array."""
    out = np.asarray(step_output, dtype=np.float64)
    if out.ndim != 2:
        raise ValueError(f"decode_step must return log-probabilities of shape (batch, vocab); got {out.shape}.")
    if out.shape[0] != batch:
        raise ValueError(
            f"decode_step returned {out.shape[0]} rows for {batch} sequences at step {step}: the "
            "state must keep one row per sequence on its first axis."
        )
    if not end_id < out.shape[1]:
        raise ValueError(
            f"end_id {end_id} is outside the decoder's vocabulary of {out.shape[1]} tokens: pass "
            "the id of the end-of-sequence token (e.g. vocab.index('endofseq'))."
        )
    nan, pos_inf = np.isnan(out), out == np.inf
    if nan.any() or pos_inf.any():
        what = "NaN" if nan.any() else "+inf"
        raise ValueError(
            f"decode_step returned {what} log-probabilities at step {step} (rows "
            f"{describe_rows((nan | pos_inf).any(axis=1))}): {DIVERGED_ADVICE}"
        )
    if out.max() > _LOG_PROB_TOLERANCE:
        raise ValueError(
            f"decode_step must return log-probabilities (≤ 0), got values up to {out.max():.3g} at "
            f"step {step}: these look like logits or probabilities; return "
            "log_softmax(logits), or np.log(np.maximum(probabilities, 1e-12))."
        )
    impossible = (out == -np.inf).all(axis=1)
    if impossible.any():
        raise ValueError(
            f"decode_step gave every token log-probability -inf at step {step} (rows "
            f"{describe_rows(impossible)}), so no next token is possible: the model's output is broken "
            f"(probabilities all 0 or NaN before the log); {DIVERGED_ADVICE}"
        )
    return out


def _check_sources(sources: Any) -> int:
    if isinstance(sources, (str, bytes)):
        raise TypeError(
            "sources must be a batch of sentences, got a single string: pass [sentence] "
            "(or use beam_search for one sentence)."
        )
    try:
        n = len(sources)
    except TypeError:
        raise TypeError(
            f"sources must be a list (or array) of sentences, got {type(sources).__name__}."
        ) from None
    if n == 0:
        raise ValueError("sources is empty: give at least one sentence.")
    return n


def _check_length_penalty(length_penalty: Any) -> float:
    if (isinstance(length_penalty, bool) or not isinstance(length_penalty, (int, float, np.number))
            or not np.isfinite(length_penalty) or length_penalty < 0):
        raise ValueError(
            f"length_penalty must be a finite number ≥ 0, got {length_penalty!r}: 0 ranks by total "
            "log-probability (favours short translations), 0.6-1 divides it by length**penalty."
        )
    return float(length_penalty)


# --------------------------------------------------------------------------- decoders
def greedy_decode(encode: EncodeFn, decode_step: StepFn, sources: Any, *, start_id: int,
                  end_id: int, max_length: int) -> tuple[list[list[int]], np.ndarray]:
    """Translate a batch greedily: at each step keep the most likely token of every sentence.

    The encoder runs once on the whole batch; each step is one ``decode_step`` call for all the
    sentences still running. A sentence stops at ``end_id`` (not included in the output) or after
    ``max_length`` tokens. Returns the token ids of each sentence and its total log-probability.

    The arguments are checked before the encoder runs (``sources`` must be a non-empty batch, not
    one string). ``-inf`` log-probabilities mark impossible tokens; NaN, ``+inf``, positive values
    or an all ``-inf`` row from ``decode_step`` raise ``ValueError`` (see the module docstring).

    >>> enc = lambda src: np.zeros((len(src), 1))
    >>> step = lambda last, s: (np.log(np.tile([[0.1, 0.2, 0.7]], (len(last), 1))), s)
    >>> greedy_decode(enc, step, ["a"], start_id=0, end_id=1, max_length=3)[0]
    [[2, 2, 2]]
    """
    max_length = check_int("max_length", max_length, 1)
    start_id = check_int("start_id", start_id, 0)
    end_id = check_int("end_id", end_id, 0)
    n = _check_sources(sources)
    state = encode(sources)
    outputs: list[list[int]] = [[] for _ in range(n)]
    scores = np.zeros(n)
    running = np.arange(n)  # the sentences still decoding, in the order of the state's rows
    last = np.full(n, start_id, dtype=np.int32)
    for step in range(max_length):
        log_probs, state = decode_step(last, state)
        log_probs = _log_probs(log_probs, len(running), end_id, step)
        best = log_probs.argmax(axis=-1)
        scores[running] += log_probs[np.arange(len(running)), best]
        keep = best != end_id
        for row in np.flatnonzero(keep):
            outputs[running[row]].append(int(best[row]))
        if not keep.any():
            break
        if not keep.all():  # drop finished sentences from the batch
            rows = np.flatnonzero(keep)
            state = _gather(state, rows)
            running, best = running[rows], best[rows]
        last = best.astype(np.int32)
    return outputs, scores


def beam_search(encode: EncodeFn, decode_step: StepFn, source: Any, *, beam_width: int,
                start_id: int, end_id: int, max_length: int,
                length_penalty: float = 0.0) -> list[tuple[list[int], float]]:
    """Beam search for one source sentence: keep the ``beam_width`` most likely translations.

    All live hypotheses go through ``decode_step`` together (one call per step, batch =
    beam). A hypothesis ends at ``end_id`` or after ``max_length`` tokens. Returns up to
    ``beam_width`` (token ids, score) pairs, best first; the score is the total
    log-probability divided by ``max(len(ids), 1) ** length_penalty`` (``ids`` without the end
    token; 0: no normalization, so that width 1 gives exactly the greedy translation).

    Every decision is taken on that returned score: at each step the ``beam_width`` best
    candidates (continuations and endings together) are kept, an ending is kept only if it is
    among them, and the finished list keeps the ``beam_width`` best. With a penalty > 0 a
    longer translation can therefore win over a short one with a higher total log-probability.
    The search stops early only when no live hypothesis can still beat the worst kept ending.
    Fewer than ``beam_width`` pairs come back when fewer hypotheses are possible (tokens with
    log-probability ``-inf`` are never kept; NaN or ``+inf`` raise, see the module docstring).

    >>> enc = lambda src: np.zeros((len(src), 1))
    >>> step = lambda last, s: (np.log(np.tile([[0.1, 0.2, 0.7]], (len(last), 1))), s)
    >>> beam_search(enc, step, "a", beam_width=2, start_id=0, end_id=1, max_length=2)[0][0]
    [2, 2]
    """
    return beam_search_batch(encode, decode_step, [source], beam_width=beam_width,
                             start_id=start_id, end_id=end_id, max_length=max_length,
                             length_penalty=length_penalty)[0]


class _Beam:
    """One sentence's beam search: its live hypotheses, their totals and its finished list."""

    def __init__(self, width: int, max_length: int, end_id: int, penalty: float) -> None:
        self.width, self.max_length, self.end_id, self.penalty = width, max_length, end_id, penalty
        self.live: list[list[int]] = [[]]
        self.totals = np.zeros(1)  # total log-probabilities of the live hypotheses
        self.finished: list[tuple[list[int], float]] = []  # (ids, normalised score), best first
        self.running = True

    def norm(self, total: np.ndarray | float, length: int) -> Any:
        return total / max(length, 1) ** self.penalty

    def step(self, log_probs: np.ndarray, step: int) -> tuple[list[int], list[int]]:
        """Take one step on this sentence's rows of log-probabilities; return the rows kept
        (indices into its live hypotheses) and their new tokens (empty when it stops)."""
        totals = self.totals[:, None] + log_probs
        # the score each candidate would be returned with: a continuation has step + 1 tokens,
        # an ending keeps the step tokens of its hypothesis (the end token is not counted)
        scores = self.norm(totals, step + 1)
        scores[:, self.end_id] = self.norm(totals[:, self.end_id], step)
        vocab = scores.shape[1]
        order = np.argsort(-scores, axis=None, kind="stable")[: 2 * self.width]
        rows, tokens, new_totals = [], [], []
        for rank, flat in enumerate(order):
            row, token = divmod(int(flat), vocab)
            if scores[row, token] == -np.inf:  # impossible: so is everything ranked after it
                break
            if token == self.end_id:
                if rank < self.width:  # an ending counts only if it is among the best k candidates
                    self.finished.append((self.live[row], float(scores[row, token])))
            elif len(rows) < self.width:
                rows.append(row), tokens.append(token), new_totals.append(float(totals[row, token]))
        self.finished = sorted(self.finished, key=lambda h: -h[1])[: self.width]
        if not rows:
            self.running = False
            return [], []
        self.live = [self.live[r] + [t] for r, t in zip(rows, tokens)]
        self.totals = np.array(new_totals)
        # log-probabilities are ≤ 0, so a live hypothesis of total s and length L can end with a
        # score of at most s / max_length**penalty (s / L**penalty when s > 0 by rounding)
        best_possible = max(self.norm(self.totals, step + 1).max(),
                            self.norm(self.totals, self.max_length).max())
        if len(self.finished) == self.width and self.finished[-1][1] >= best_possible:
            self.running = False
            return [], []
        return rows, tokens

    def result(self) -> list[tuple[list[int], float]]:
        if self.running:  # reached max_length: the live hypotheses end here
            self.finished += [(ids, float(self.norm(total, self.max_length)))
                              for ids, total in zip(self.live, self.totals)]
        return sorted(self.finished, key=lambda h: -h[1])[: self.width]


def beam_search_batch(encode: EncodeFn, decode_step: StepFn, sources: Any, *, beam_width: int,
                      start_id: int, end_id: int, max_length: int,
                      length_penalty: float = 0.0) -> list[list[tuple[list[int], float]]]:
    """``beam_search`` for many sentences at once: the same result for each sentence, from one
    ``decode_step`` call per step for the live hypotheses of every sentence still searching.

    The encoder runs once on the whole batch; each sentence keeps its own beam, finished list
    and early stop (see ``beam_search``), and its rows leave the batch when it stops. Returns one
    list of (token ids, score) pairs per sentence, best first. On a model this turns thousands of
    small calls into about ``max_length`` large ones.

    >>> enc = lambda src: np.zeros((len(src), 1))
    >>> step = lambda last, s: (np.log(np.tile([[0.1, 0.2, 0.7]], (len(last), 1))), s)
    >>> [hyps[0][0] for hyps in beam_search_batch(enc, step, ["a", "b"], beam_width=2,
    ...                                            start_id=0, end_id=1, max_length=2)]
    [[2, 2], [2, 2]]
    """
    beam_width = check_int("beam_width", beam_width, 1)
    max_length = check_int("max_length", max_length, 1)
    start_id = check_int("start_id", start_id, 0)
    end_id = check_int("end_id", end_id, 0)
    penalty = _check_length_penalty(length_penalty)
    n = _check_sources(sources)
    state = encode(sources)
    beams = [_Beam(beam_width, max_length, end_id, penalty) for _ in range(n)]
    running = list(range(n))  # the sentences still searching, in the order of the state's rows
    last = np.full(n, start_id, dtype=np.int32)
    for step in range(max_length):  # live hypotheses have `step` tokens
        log_probs, state = decode_step(last, state)
        sizes = [len(beams[s].live) for s in running]
        log_probs = _log_probs(log_probs, sum(sizes), end_id, step)
        keep_rows, keep_tokens, still = [], [], []
        first = 0
        for s, size in zip(running, sizes):
            rows, tokens = beams[s].step(log_probs[first:first + size], step)
            keep_rows += [first + r for r in rows]
            keep_tokens += tokens
            if rows:
                still.append(s)
            first += size
        running = still
        if not running:
            break
        state = _gather(state, np.array(keep_rows))
        last = np.array(keep_tokens, dtype=np.int32)
    return [beam.result() for beam in beams]


# --------------------------------------------------------------------------- Transformer bits
def positional_encoding(length: int, depth: int) -> np.ndarray:
    """Sinusoidal positional encodings of "Attention Is All You Need", shape ``(length, depth)``.

    ``P[p, 2i] = sin(p / 10000**(2i/depth))`` and ``P[p, 2i+1] = cos(p / 10000**(2i/depth))``.

    >>> positional_encoding(2, 4).astype(float).round(3).tolist()
    [[0.0, 1.0, 0.0, 1.0], [0.841, 0.54, 0.01, 1.0]]
    """
    length = check_int("length", length, 1)
    depth = check_int("depth", depth, 2)
    if depth % 2:
        raise ValueError(f"depth must be even (sin/cos pairs), got {depth}.")
    p = np.arange(length)[:, None]
    i = np.arange(depth // 2)[None, :]
    angles = p / 10_000 ** (2 * i / depth)
    out = np.empty((length, depth), dtype=np.float32)
    out[:, 0::2] = np.sin(angles)
    out[:, 1::2] = np.cos(angles)
    return out


def padding_mask(ids: Any, pad_id: int = 0) -> np.ndarray:
    """True where a token is real, False on padding: shape ``(batch, length)``.

    >>> padding_mask([[5, 7, 0, 0]]).astype(int).tolist()
    [[1, 1, 0, 0]]
    """
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"ids must have shape (batch, length), got {ids.shape}.")
    return ids != pad_id


def causal_mask(length: int) -> np.ndarray:
    """Lower-triangular ``(length, length)`` mask: position t may attend to positions ≤ t.

    >>> causal_mask(3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    length = check_int("length", length, 1)
    return np.tril(np.ones((length, length), dtype=bool))


# --------------------------------------------------------------------------- plots
