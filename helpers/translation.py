"""English-to-Spanish translation shared by notebooks 03 and 04: the data split and a translator.

* ``split_spa_eng`` splits spa-eng **by English sentence**: an English sentence of the test set
  never appears in training, and each test sentence keeps *all* its Spanish translations as
  references (12% of the English sentences of spa-eng have more than one).
* ``Translator`` wraps any encoder-decoder through the two functions of ``helpers.seq2seq``
  (``encode`` and ``decode_step``) and offers greedy and beam-search translation, checked input,
  and ``evaluate`` (corpus BLEU and chrF against all references).
* ``unknown_rate``, ``baseline_rows``, ``print_table``, ``show_translations``,
  ``bleu_by_length_models``, ``beam_against_greedy``, ``save_results`` and ``load_results`` are
  the reporting both notebooks use.
* ``lecture_translate`` is the lecture's ``translate()`` (the whole model once per output word;
  notebook 03 writes it out, a test checks that the two agree), ``attention_weights`` runs a
  model's own translation back through it to read an attention layer's weights, and
  ``at_budget`` reads a validation curve at an equal budget of pairs seen.

How BLEU is computed here (and why it is not comparable to WMT figures): the references are
standardized like the model's output (``helpers.text.standardize``: lowercase, punctuation
removed), so the score counts word n-grams of lowercased words only; sacrebleu then runs with
``tokenize="none"`` (the text is already split into words), so ``[UNK]`` stays one token that
never matches a reference word. The sentences are short (at most a dozen words) and there are
often several references, both of which raise BLEU well above what news translation scores.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from helpers import files, metrics, seq2seq
from helpers.runtime import check_int
from helpers.text import standardize

Reference = tuple[str, list[str]]  # (English sentence, all its Spanish translations)


@dataclass(frozen=True)
class SpaEngSplit:
    """Training pairs and held-out (English, references) sentences from ``split_spa_eng``."""

    train: list[tuple[str, str]]  # (English, Spanish): one pair per translation
    valid: list[Reference]
    test: list[Reference]
    long_test: list[Reference]  # held-out sentences longer than the models are trained on

    def describe(self) -> str:
        """One line: how many sentences and pairs each part has."""
        n_refs = sum(len(refs) for _, refs in self.test)
        return (f"train {len(self.train):,} pairs; valid {len(self.valid):,}, test {len(self.test):,} "
                f"({n_refs:,} references) and long test {len(self.long_test):,} English sentences")


def split_spa_eng(pairs: Iterable[tuple[str, str]], *, max_words: int, n_valid: int, n_test: int,
                  long_words: int | None = None, n_long: int = 0,
                  max_train_pairs: int | None = None, seed: int = 42) -> SpaEngSplit:
    """Split (English, Spanish) pairs by English sentence into train / valid / test.

    The distinct English sentences are shuffled with ``seed``, then dealt out in that order: the
    first ``n_test`` with at most ``max_words`` words on both sides make the test set and the
    next ``n_valid`` the validation set, each sentence with all its Spanish translations; every
    translation of the remaining short sentences is a training pair (at most
    ``max_train_pairs``). The first ``n_long`` sentences longer than ``max_words`` (but at most
    ``long_words``) words make ``long_test``: no model trains on them, so they show what happens
    beyond the training lengths.

    >>> s = split_spa_eng([("Hi.", "Hola."), ("Hi.", "Buenas."), ("Go.", "Ve."), ("Run!", "Corre!")],
    ...                   max_words=3, n_valid=1, n_test=1, seed=0)
    >>> len({en for en, _ in s.train}) + len(s.valid) + len(s.test)  # each English sentence once
    3
    """
    max_words = check_int("max_words", max_words, 1)
    n_valid, n_test = check_int("n_valid", n_valid, 1), check_int("n_test", n_test, 1)
    long_words = max_words if long_words is None else check_int("long_words", long_words, max_words)
    references: dict[str, list[str]] = defaultdict(list)
    for number, pair in enumerate(pairs):
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(s, str) for s in pair)):
            raise TypeError(f"pair {number} is {pair!r}: expected an (English, Spanish) tuple of strings.")
        references[pair[0]].append(pair[1])
    english = sorted(references)
    random.Random(seed).shuffle(english)

    def words(en: str) -> int:
        return max(len(en.split()), *(len(es.split()) for es in references[en]))

    short = [en for en in english if words(en) <= max_words]
    if len(short) <= n_valid + n_test:
        raise ValueError(f"only {len(short):,} English sentences have at most {max_words} words, "
                         f"not enough for {n_valid:,} validation and {n_test:,} test sentences plus "
                         "training: lower n_valid/n_test or raise max_words.")
    long_test = [(en, references[en]) for en in english if max_words < words(en) <= long_words][:n_long]
    test = [(en, references[en]) for en in short[:n_test]]
    valid = [(en, references[en]) for en in short[n_test:n_test + n_valid]]
    train = [(en, es) for en in short[n_test + n_valid:] for es in references[en]]
    random.Random(seed + 1).shuffle(train)  # translations of one sentence are not side by side
    return SpaEngSplit(train[:max_train_pairs], valid, test, long_test)


def teacher_forcing_dataset(pairs: Sequence[tuple[str, str]], target_vectorizer: Any, *,
                            batch_size: int, seed: int = 42) -> Any:
    """Endless ``tf.data`` batches ``((english, "startofseq spanish"), ids of "spanish endofseq")``.

    Each batch holds pairs of similar Spanish length (sorted, then cut into batches whose order
    is shuffled every pass), so a batch is padded only to its own longest sentence: on a CPU this
    nearly halves the work of a fixed ``output_sequence_length``. The decoder reads the target
    shifted by one step (*teacher forcing*).
    """
    import tensorflow as tf

    if not pairs:
        raise ValueError("pairs is empty: give (English, Spanish) training pairs.")
    check_int("batch_size", batch_size, 1)
    jitter = np.random.default_rng(seed).random(len(pairs))
    order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i][1].split()), jitter[i]))
    english = tf.constant([pairs[i][0] for i in order])
    decoder_in = tf.constant([f"startofseq {pairs[i][1]}" for i in order])
    target = tf.constant([f"{pairs[i][1]} endofseq" for i in order])
    n_batches = -(-len(pairs) // batch_size)
    return (tf.data.Dataset.from_tensor_slices(((english, decoder_in), target))
            .batch(batch_size)
            .shuffle(n_batches, seed=seed, reshuffle_each_iteration=True)
            .map(lambda x, y: (x, target_vectorizer(y)), num_parallel_calls=tf.data.AUTOTUNE)
            .repeat()
            .prefetch(tf.data.AUTOTUNE))


def unknown_rate(sentences: Iterable[str], vocabulary: Sequence[str]) -> float:
    """Share of the (standardized) words of ``sentences`` that are not in ``vocabulary``.

    >>> unknown_rate(["Me gusta el fútbol."], ["", "[UNK]", "me", "gusta", "el"])
    0.25
    """
    known = set(vocabulary)
    words = [w for s in sentences for w in standardize(s).split()]
    if not words:
        raise ValueError("no words to count: give at least one non-empty sentence.")
    return sum(w not in known for w in words) / len(words)


@dataclass
class Translator:
    """Greedy and beam-search translation with any encoder-decoder (see ``helpers.seq2seq``).

    ``encode(sentences) -> state`` runs the encoder on a batch of English strings;
    ``decode_step(last_tokens, state) -> (log_probs, state)`` runs one decoder step.
    ``vocabulary`` is the target vocabulary (``startofseq`` and ``endofseq`` in it); ``max_length``
    caps the translation length; ``max_words`` (optional) refuses longer inputs instead of letting
    the vectorizer cut them.

    >>> vocab = ["", "[UNK]", "startofseq", "endofseq", "hola"]
    >>> step = lambda last, s: (np.log(np.tile([[1e-9, 1e-9, 1e-9, .3, .7]], (len(last), 1))), s)
    >>> Translator(lambda src: np.zeros((len(src), 1)), step, vocab, max_length=2).greedy("hi")
    ['hola hola']
    """

    encode: Callable[[Any], Any]
    decode_step: Callable[[np.ndarray, Any], tuple[Any, Any]]
    vocabulary: Sequence[str]
    max_length: int
    max_words: int | None = None
    start_id: int = field(init=False)
    end_id: int = field(init=False)

    def __post_init__(self) -> None:
        self.vocabulary = [str(w) for w in self.vocabulary]
        missing = [t for t in ("startofseq", "endofseq") if t not in self.vocabulary]
        if missing:
            raise ValueError(f"the target vocabulary has no {' or '.join(missing)}: adapt the "
                             "Spanish TextVectorization on 'startofseq <sentence> endofseq'.")
        self.start_id = self.vocabulary.index("startofseq")
        self.end_id = self.vocabulary.index("endofseq")
        self.max_length = check_int("max_length", self.max_length, 1)

    def _options(self) -> dict[str, int]:
        return {"start_id": self.start_id, "end_id": self.end_id, "max_length": self.max_length}

    def _in_batches(self, sentences: str | Sequence[str], batch_size: int,
                    decode: Callable[[Sequence[str]], list[list[int]]]) -> list[str]:
        """Check ``sentences``, decode them ``batch_size`` at a time to token ids, return texts."""
        sentences = seq2seq.check_sentences(sentences, max_words=self.max_words)
        batch_size = check_int("batch_size", batch_size, 1)
        out = []
        for start in range(0, len(sentences), batch_size):
            out += [seq2seq.ids_to_text(ids, self.vocabulary)
                    for ids in decode(sentences[start:start + batch_size])]
        return out

    def greedy(self, sentences: str | Sequence[str], batch_size: int = 512) -> list[str]:
        """Translate one sentence or a list of sentences greedily, ``batch_size`` at a time."""
        return self._in_batches(sentences, batch_size, lambda batch: seq2seq.greedy_decode(
            self.encode, self.decode_step, batch, **self._options())[0])

    def beams(self, sentence: str, beam_width: int = 3,
              length_penalty: float = 0.0) -> list[tuple[str, float]]:
        """The ``beam_width`` best translations of one sentence with their probabilities."""
        (sentence,) = seq2seq.check_sentences([sentence], max_words=self.max_words)
        found = seq2seq.beam_search(self.encode, self.decode_step, sentence, beam_width=beam_width,
                                    length_penalty=length_penalty, **self._options())
        return [(seq2seq.ids_to_text(ids, self.vocabulary), float(np.exp(score)))
                for ids, score in found]

    def beam(self, sentences: str | Sequence[str], beam_width: int = 3,
             length_penalty: float = 0.0, batch_size: int = 128) -> list[str]:
        """Translate each sentence with beam search, keeping the best hypothesis; the searches of
        ``batch_size`` sentences share each decoder call (``seq2seq.beam_search_batch``: the same
        result as one search per sentence, many times faster on a model)."""
        return self._in_batches(sentences, batch_size, lambda batch: [
            hyps[0][0] for hyps in seq2seq.beam_search_batch(
                self.encode, self.decode_step, batch, beam_width=beam_width,
                length_penalty=length_penalty, **self._options())])

    def evaluate(self, test: Sequence[Reference], *, n_beam: int = 0, beam_width: int = 3,
                 name: str = "model") -> tuple[dict[str, Any], list[str]]:
        """Score greedy (all of ``test``) and beam search (its first ``n_beam`` sentences).

        Returns a table row (model name, BLEU and chrF of greedy decoding, the share of ``[UNK]``
        in the translations, and BLEU of greedy and beam search on the first ``n_beam``
        sentences) and the greedy translations.
        """
        sources = [en for en, _ in test]
        hyps = self.greedy(sources)
        row: dict[str, Any] = {"model": name, **score_row(hyps, [refs for _, refs in test])}
        if n_beam:
            beam = self.beam(sources[:n_beam], beam_width)
            refs = [[standardize(r) for r in refs] for _, refs in test[:n_beam]]
            row[f"BLEU greedy ({n_beam})"] = metrics.corpus_bleu(hyps[:n_beam], refs)
            row[f"BLEU beam {beam_width} ({n_beam})"] = metrics.corpus_bleu(beam, refs)
        return row, hyps


def score_row(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """BLEU, chrF (all references, standardized here) and the share of ``[UNK]`` in ``hypotheses``."""
    references = [[standardize(r) for r in refs] for refs in references]
    words = [w for h in hypotheses for w in h.split()]
    return {"BLEU": metrics.corpus_bleu(hypotheses, references),
            "chrF": metrics.corpus_chrf(hypotheses, references),
            "[UNK] %": 100 * sum(w == "[UNK]" for w in words) / max(len(words), 1)}


def print_table(rows: Sequence[dict[str, Any]], width: int = 11) -> None:
    """Print result rows as a table (columns of the first row; numbers with one decimal)."""
    if not rows:
        raise ValueError("no rows to print.")
    columns = list(rows[0])
    first = max(len(str(r.get(columns[0], ""))) for r in rows)
    print(f"{columns[0]:<{first}s} | " + " | ".join(f"{c:>{width}s}" for c in columns[1:]))
    for r in rows:
        cells = [f"{r[c]:{width}.1f}" if isinstance(r.get(c), (float, int)) else f"{'-':>{width}s}"
                 for c in columns[1:]]
        print(f"{str(r.get(columns[0], '')):<{first}s} | " + " | ".join(cells))


def show_translations(test: Sequence[Reference], outputs: dict[str, Sequence[str]],
                      indices: Iterable[int]) -> None:
    """Print English, the first reference and each model's translation for ``indices`` of ``test``."""
    width = max(len(name) for name in ["reference", *outputs])
    for i in indices:
        en, refs = test[i]
        more = f"  (+{len(refs) - 1} more)" if len(refs) > 1 else ""
        print(f"{en}\n  {'reference':<{width}s}  {standardize(refs[0])}{more}")
        for name, hyps in outputs.items():
            print(f"  {name:<{width}s}  {hyps[i]}")


def save_results(path: str | Path, settings: dict[str, Any], rows: Sequence[dict[str, Any]],
                 outputs: dict[str, Sequence[str]]) -> Path:
    """Write result rows and translations (JSON, atomically) for another notebook to compare with."""
    text = json.dumps({"settings": settings, "rows": list(rows), "outputs": outputs},
                      ensure_ascii=False, indent=1)
    return files.atomic_write_text(path, text)


def load_results(path: str | Path, settings: dict[str, Any]) -> tuple[list[dict[str, Any]],
                                                                     dict[str, list[str]], str]:
    """Read ``save_results``'s file: (rows, outputs, message). Empty when missing or made with
    other settings (the message says which and what to do)."""
    path = Path(path)
    if not path.exists():
        return [], {}, f"{path.name} not found: run notebook 03 first to compare with its models."
    saved = json.loads(path.read_text(encoding="utf-8"))
    if saved.get("settings") != settings:
        return [], {}, (f"{path.name} was made with other settings ({saved.get('settings')}): run "
                        "notebook 03 with this profile to compare.")
    return saved["rows"], saved["outputs"], f"notebook 03's results loaded from {path.name}."


class BestTranslationCheckpoint(keras.callbacks.Callback):
    """Keep the epoch that translates the validation sentences best (chrF), not the best accuracy.

    After every epoch it translates ``valid`` greedily with ``translator`` (which must share the
    trained layers), scores the translations against the references exactly as given in
    ``valid``, standardized as ``Translator.evaluate`` standardizes the test references
    (lowercase, no punctuation), adds ``val_chrf`` to the epoch's logs and the training time so
    far, without the validation decoding, to ``train_seconds`` (one entry per epoch), saves the
    model to ``path`` (a ``.keras`` file, written atomically) when chrF improved, and stops training after
    ``patience`` epochs without improvement. At the end of training the model gets the best
    epoch's weights back.
    """

    def __init__(self, translator: Translator, valid: Sequence[Reference], path: str | Path, *,
                 patience: int = 2) -> None:
        super().__init__()
        if not valid:
            raise ValueError("valid is empty: give the validation (English, references) sentences.")
        self.translator, self.path = translator, Path(path)
        self.valid = [(en, [standardize(r) for r in refs]) for en, refs in valid]
        self.patience = check_int("patience", patience, 1)
        self.best, self.best_epoch, self._weights = -1.0, -1, None
        self.train_seconds: list[float] = []
        self._seconds, self._started = 0.0, 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._seconds += time.perf_counter() - self._started
        hyps = self.translator.greedy([en for en, _ in self.valid])
        score = metrics.corpus_chrf(hyps, [refs for _, refs in self.valid])
        self.train_seconds.append(round(self._seconds, 1))
        if logs is not None:
            logs["val_chrf"] = score
        if score > self.best:
            from helpers import training

            self.best, self.best_epoch, self._weights = score, epoch, self.model.get_weights()
            training.save_model_atomically(self.model, self.path)
        elif epoch - self.best_epoch >= self.patience:
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._weights is not None:
            self.model.set_weights(self._weights)


def baseline_rows(test: Sequence[Reference], train_targets: Sequence[str]) -> list[dict[str, Any]]:
    """Score rows of two trivial baselines: copy the English, and always the most frequent target.

    They show what "learning nothing" scores with these references and this BLEU.

    >>> [r["model"] for r in baseline_rows([("Hi.", ["Hola."])], ["Vete.", "Vete.", "Hola."])]
    ['baseline: copy the English', "baseline: always 'vete'"]
    """
    if not test or not train_targets:
        raise ValueError("give the test (English, references) sentences and the training targets.")
    sources = [standardize(en) for en, _ in test]
    most_frequent = standardize(Counter(train_targets).most_common(1)[0][0])
    rows = []
    for name, hyps in {"copy the English": sources,
                       f"always {most_frequent!r}": [most_frequent] * len(test)}.items():
        rows.append({"model": f"baseline: {name}", **score_row(hyps, [refs for _, refs in test])})
    return rows


def lecture_translate(model: Any, vocabulary: Sequence[str], sentence_en: str, max_length: int) -> str:
    """The lecture's ``translate()``: the whole model once per output word, on the growing translation.

    ``model`` takes (English strings, "startofseq ..." strings) and returns the next-word
    probabilities at every position; greedy, stops at ``endofseq`` or after ``max_length`` words.
    """
    import tensorflow as tf

    translation = ""
    for word_idx in range(max_length):
        X = tf.constant([sentence_en])  # encoder input
        X_dec = tf.constant(["startofseq " + translation])  # decoder input
        y_proba = model.predict((X, X_dec), verbose=0)[0, word_idx]  # last token's probas
        predicted_word = vocabulary[int(np.argmax(y_proba))]
        if predicted_word == "endofseq":
            break
        translation += " " + predicted_word
    return translation.strip()


def attention_weights(translator: Translator, inside: Callable[[Any], Any], vocabulary_en: Sequence[str],
                      sentence_en: str, scores: Callable[..., Any] | None = None
                      ) -> tuple[np.ndarray, list[str], list[str]]:
    """An attention layer's weights for the model's own translation of ``sentence_en``.

    The translation is run back through the model once (teacher forcing with its own words):
    ``inside((english, "startofseq " + translation))`` returns the English ids first, then
    either the weights themselves or, when ``scores`` is given, the tensors that
    ``scores(*tensors, encoder_mask)`` turns into weights (for example the decoder outputs and
    encoder outputs an attention layer reads). Returns the weights of the sentence (batch axis
    removed), the English words and the output words (``endofseq`` last).
    """
    import tensorflow as tf

    translated = translator.greedy(sentence_en)[0]
    ids, *tensors = inside((tf.constant([sentence_en]), tf.constant(["startofseq " + translated])))
    weights = scores(*tensors, tf.not_equal(ids, 0)) if scores is not None else tensors[0]
    source = [str(vocabulary_en[i]) for i in np.asarray(ids)[0] if i]
    return np.asarray(weights)[0], source, translated.split() + ["endofseq"]


def bleu_by_length_models(test: Sequence[Reference], outputs: dict[str, Sequence[str]], *,
                          max_words: int, intervals: bool = False,
                          seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """``metrics.bleu_by_length`` for every model's translations of ``test``, and print them.

    Buckets: a third, two thirds, all of ``max_words`` (the training lengths), then up to 1.5 ×
    and beyond. With ``intervals`` each bucket also gets a bootstrap interval (``low``, ``high``).
    """
    max_words = check_int("max_words", max_words, 3)
    buckets = [max_words // 3, 2 * max_words // 3, max_words, 3 * max_words // 2]
    sources = [en for en, _ in test]
    refs = [[standardize(r) for r in rs] for _, rs in test]
    table = {}
    for name, hyps in outputs.items():
        table[name] = metrics.bleu_by_length(sources, list(hyps), refs, buckets=buckets,
                                             intervals=intervals, seed=seed)
    first = next(iter(table.values()))
    width, cell = max(len(name) for name in table), 19 if intervals else 12
    print(f"{'bucket (sentences)':>{width}s}:",
          "  ".join(f"{r['bucket'] + ' (' + str(r['n']) + ')':>{cell}s}" for r in first))
    for name, rows in table.items():
        cells = [f"{r['bleu']:.1f} [{r['low']:.1f}, {r['high']:.1f}]" if intervals else f"{r['bleu']:.1f}"
                 for r in rows]
        print(f"{name:>{width}s}:", "  ".join(f"{c:>{cell}s}" for c in cells))
    return table


def beam_against_greedy(translator: Translator, test: Sequence[Reference], greedy: Sequence[str], *,
                        beam_width: int, seed: int = 0, n_examples: int = 2) -> dict[str, Any]:
    """Beam search against greedy decoding on the sentences of ``test``, with a paired bootstrap.

    ``greedy`` holds the greedy translations of ``test`` (at least as many). Returns the paired
    bootstrap of BLEU (``metrics.paired_bootstrap``: ``a`` greedy, ``b`` beam), ``changed``
    (how many translations beam search changed) and ``examples``: where they differ, the
    ``n_examples`` sentences on which beam search gains the most sentence chrF and the
    ``n_examples`` on which it loses the most (a rule, so a rerun picks its own).
    """
    sources = [en for en, _ in test]
    beam = translator.beam(sources, beam_width)
    refs = [[standardize(r) for r in rs] for _, rs in test]
    greedy = list(greedy)[:len(test)]
    result: dict[str, Any] = metrics.paired_bootstrap(greedy, beam, refs, seed=seed)
    differ = [i for i in range(len(test)) if beam[i] != greedy[i]]
    gain = {i: metrics.corpus_chrf([beam[i]], [refs[i]]) - metrics.corpus_chrf([greedy[i]], [refs[i]])
            for i in differ}
    ranked = sorted(differ, key=lambda i: (-gain[i], i))
    picked = ranked[:n_examples] + [i for i in ranked[::-1][:n_examples] if i not in ranked[:n_examples]]
    result.update(changed=len(differ), n=len(test), beam=beam,
                  examples=[{"english": sources[i], "reference": refs[i][0], "greedy": greedy[i],
                             "beam": beam[i], "chrF gain": gain[i]} for i in picked])
    return result


def at_budget(history: dict[str, Sequence[float]], pairs_per_epoch: int, budget: int) -> dict[str, float]:
    """The best validation chrF a training had reached once it had seen ``budget`` pairs or fewer.

    ``history`` has ``val_chrf`` per epoch (and ``train_seconds``, the checkpoint's, when there).
    Returns the epochs within the budget, the pairs they saw, the best chrF up to there and the seconds they took.

    >>> at_budget({"val_chrf": [10.0, 30.0, 25.0, 40.0]}, 100, 300)["chrF"]
    30.0
    """
    check_int("pairs_per_epoch", pairs_per_epoch, 1)
    epochs = min(len(history["val_chrf"]), budget // pairs_per_epoch)
    if epochs < 1:
        raise ValueError(f"a budget of {budget:,} pairs is less than one epoch ({pairs_per_epoch:,}).")
    seconds = history.get("train_seconds", [float("nan")] * epochs)[epochs - 1]
    return {"epochs": epochs, "pairs": epochs * pairs_per_epoch,
            "chrF": float(max(history["val_chrf"][:epochs])), "seconds": float(seconds)}


def training_throughput(model: Any, vocabulary_en: Sequence[str], vocabulary_es: Sequence[str], *,
                        lengths: Sequence[int], batch_size: int, repeats: int = 5,
                        seed: int = 0) -> dict[int, float]:
    """Seconds per training batch (forward and backward, no callbacks) at each sentence length.

    ``model`` is a compiled translator taking (English strings, "startofseq ..." strings); it is
    trained on synthetic batches where every sentence has exactly ``length`` words on both sides
    (random words of the vocabularies), so use a fresh model, not a trained one. Each length runs
    two warm-up batches, then ``repeats`` timed ones; returns the median seconds per batch.
    """
    import tensorflow as tf

    check_int("batch_size", batch_size, 1)
    check_int("repeats", repeats, 1)
    rng = np.random.default_rng(seed)
    words_en = list(vocabulary_en[2:])
    words_es = [w for w in vocabulary_es[2:] if w not in ("startofseq", "endofseq")]
    seconds = {}
    for length in lengths:
        length = check_int("length", length, 1)
        english = [" ".join(rng.choice(words_en, length)) for _ in range(batch_size)]
        spanish = [rng.choice(words_es, length) for _ in range(batch_size)]
        decoder_in = tf.constant(["startofseq " + " ".join(s[:-1]) for s in spanish])
        target = rng.integers(4, len(vocabulary_es), size=(batch_size, length))
        x = (tf.constant(english), decoder_in)
        times = []
        for step in range(repeats + 2):
            start = time.perf_counter()
            model.train_on_batch(x, target)
            times.append(time.perf_counter() - start)
        seconds[length] = float(np.median(times[2:]))
    return seconds
