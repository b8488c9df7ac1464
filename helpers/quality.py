"""A quality score for generated Fashion-MNIST images, shared by every generative notebook.

What it is: a small convolutional classifier trained once on the real Fashion-MNIST training split
(cached as a ``.keras`` file next to the data cache). Its penultimate layer turns an image into a
128-number feature vector, and the **Fréchet distance** between the Gaussians fitted to the features of
generated images and of the real test images is the score (an "FID", but in *this classifier's* feature
space): 0 means the two sets of features have the same mean and covariance, larger is worse. Its
predicted classes give **class coverage** (entropy of the predicted-class histogram and the share of the
10 classes that get at least 5% of the samples), which exposes mode collapse.

What it is not: the Inception FID of papers. Published FIDs on Fashion-MNIST use Inception-v3 features of
upscaled images, so the numbers are on another scale; quote them only as context. Fréchet distances are
biased upward at small sample counts, so compare scores only at the same sample count, and always next to
the floor (real training images vs real test images) and the ceiling (pixel noise, and the mean image
repeated) measured the same way (``QualityScorer.baselines``).

>>> scorer = load_scorer()                     # doctest: +SKIP
>>> scorer.score(generated_images).fid         # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from helpers.runtime import check_int

__all__ = [
    "Baselines",
    "Coverage",
    "QualityScorer",
    "ScoreHistory",
    "Score",
    "class_coverage",
    "load_scorer",
]

N_CLASSES = 10
_FEATURE_LAYER = "features"
_MIN_TEST_ACCURACY = 0.90
_RANGE_TOLERANCE = 1e-3


# --------------------------------------------------------------------------- pure functions


def _check_images(images: Any, what: str = "images") -> np.ndarray:
    """Return ``images`` as float32 ``(n, 28, 28, 1)`` in [0, 1], or raise a ValueError saying what to do.

    Accepts ``(n, 28, 28)``, ``(n, 28, 28, 1)`` or flattened ``(n, 784)`` arrays of floats in [0, 1].

    >>> _check_images(np.zeros((2, 28, 28))).shape
    (2, 28, 28, 1)
    """
    array = np.asarray(images)
    if array.dtype == np.uint8:
        raise ValueError(f"{what}: got uint8 pixels; divide by 255 to get floats in [0, 1].")
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{what}: expected a numeric array, got dtype {array.dtype}.")
    array = array.astype("float32")
    if array.ndim == 2 and array.shape[1] == 28 * 28:
        array = array.reshape(-1, 28, 28)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[1:] != (28, 28, 1):
        raise ValueError(
            f"{what}: expected Fashion-MNIST-shaped images (n, 28, 28), (n, 28, 28, 1) or (n, 784); "
            f"got shape {np.shape(images)}.")
    if len(array) == 0:
        raise ValueError(f"{what}: got no images.")
    if not np.isfinite(array).all():
        raise ValueError(f"{what}: contains NaN or infinite pixels (did the generator's training "
                         "diverge? look at its losses, lower the learning rate, or restart from a checkpoint).")
    low, high = float(array.min()), float(array.max())
    if low < -_RANGE_TOLERANCE or high > 1 + _RANGE_TOLERANCE:
        hint = " (a tanh output: use (x + 1) / 2)" if low >= -1 - _RANGE_TOLERANCE and low < 0 else ""
        raise ValueError(f"{what}: pixel values must lie in [0, 1], got [{low:.3g}, {high:.3g}]{hint}.")
    return np.clip(array, 0.0, 1.0)


def _gaussian(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, dtype=np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _check_features(features: Any, what: str) -> np.ndarray:
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"{what}: expected a 2-D array (samples, features), got shape {features.shape}.")
    n, d = features.shape
    if n <= d:
        raise ValueError(
            f"{what}: {n} samples for {d} feature dimensions; a covariance needs more samples than "
            f"dimensions: use at least {d + 1} (a few thousand give a steadier score).")
    if not np.isfinite(features).all():
        raise ValueError(f"{what}: features contain NaN or infinite values.")
    return features


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def _frechet_from_stats(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet distance between N(mu1, cov1) and N(mu2, cov2).

    ``|mu1 - mu2|² + tr(cov1 + cov2 - 2 (cov1^½ cov2 cov1^½)^½)``, computed with symmetric
    eigendecompositions (no complex square roots), in float64.

    >>> _frechet_from_stats(np.zeros(2), np.eye(2), np.ones(2), np.eye(2))
    2.0
    """
    root1 = _sqrt_psd(cov1)
    middle = root1 @ cov2 @ root1
    trace_sqrt = float(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum())
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * trace_sqrt)
    return max(value, 0.0)


@dataclass(frozen=True)
class Coverage:
    """Which classes a set of samples falls into, according to the quality classifier."""

    histogram: np.ndarray  # share of the samples predicted as each class
    entropy_bits: float    # entropy of ``histogram``; log2(10) ≈ 3.32 when every class is equally common
    covered: int           # classes that receive at least ``min_share`` of the samples
    min_share: float

    @property
    def share_covered(self) -> float:
        """The share of the classes that receive at least ``min_share`` of the samples."""
        return self.covered / len(self.histogram)


def class_coverage(predicted: Any, n_classes: int = N_CLASSES, min_share: float = 0.05) -> Coverage:
    """Class coverage of samples from their predicted classes (integer labels).

    A generator that has collapsed onto a few kinds of clothing gets a low entropy and few covered
    classes; real test images get about log2(10) bits and all 10 classes.

    >>> c = class_coverage([0, 0, 0, 1])
    >>> c.covered, round(c.entropy_bits, 3)
    (2, 0.811)
    """
    labels = np.asarray(predicted)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"class_coverage needs a non-empty 1-D array of predicted classes, got shape {labels.shape}.")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"predicted classes must be integers in [0, {n_classes}); got {labels[:5]}...")
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}.")
    hist = np.bincount(labels, minlength=n_classes) / len(labels)
    nonzero = hist[hist > 0]
    entropy = float(-(nonzero * np.log2(nonzero)).sum())
    return Coverage(hist, entropy, int((hist >= min_share).sum()), min_share)


# --------------------------------------------------------------------------- the classifier


def _build_classifier(seed: int = 0, steps: int = 5 * 469) -> Any:
    """The small CNN whose penultimate layer (named ``"features"``, 128 ReLU units) gives the features.

    ``steps`` is the number of training steps the cosine learning-rate decay spans (5 epochs of 128).
    """
    from keras import layers

    init = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=init)(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", kernel_initializer=init)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3, seed=seed)(x)
    features = layers.Dense(128, activation="relu", name=_FEATURE_LAYER, kernel_initializer=init)(x)
    x = layers.Dropout(0.3, seed=seed)(features)
    outputs = layers.Dense(N_CLASSES, activation="softmax", name="class", kernel_initializer=init)(x)
    model = keras.Model(inputs, outputs, name="quality_classifier")
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@dataclass(frozen=True)
class Score:
    """The quality score of one set of images: Fréchet distance (lower is better) and class coverage."""

    fid: float
    coverage: Coverage
    n: int

    def __str__(self) -> str:
        return (f"Fréchet distance {self.fid:.2f}, {self.coverage.covered}/{len(self.coverage.histogram)} "
                f"classes ≥ {self.coverage.min_share:.0%}, class entropy {self.coverage.entropy_bits:.2f} bits "
                f"({self.n:,} samples)")


@dataclass(frozen=True)
class Baselines:
    """The score's floor and ceilings for one sample count, measured the same way as any generator."""

    n: int
    floor_draws: tuple[float, ...]  # real training images vs the real test images, several random draws
    noise: float        # uniform pixel noise
    mean_image: float   # the mean training image, repeated (plus faint noise, so it has a covariance)

    @property
    def floor(self) -> float:
        """What a perfect generator gets: the mean score of real images over the draws."""
        return float(np.mean(self.floor_draws))

    @property
    def ceiling(self) -> float:
        """The better of the two trivial generators: a generator must beat this to mean anything."""
        return min(self.noise, self.mean_image)

    def __str__(self) -> str:
        spread = f" ({min(self.floor_draws):.2f}-{max(self.floor_draws):.2f} over {len(self.floor_draws)} draws)"
        return (f"{self.n:,} samples: floor (real vs real) {self.floor:.2f}{spread}, ceiling {self.ceiling:.2f} "
                f"(pixel noise {self.noise:.2f}, mean image {self.mean_image:.2f})")


@dataclass
class QualityScorer:
    """Scores generated images against the real Fashion-MNIST test set (see the module docstring)."""

    classifier: Any
    test_images: np.ndarray
    train_images: np.ndarray
    test_accuracy: float
    seed: int = 0
    _feature_model: Any = field(default=None, repr=False)
    _reference: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _baselines: dict[tuple[int, int], Baselines] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._feature_model = keras.Model(self.classifier.inputs,
                                          [self.classifier.get_layer(_FEATURE_LAYER).output,
                                           self.classifier.outputs[0]])

    def _run(self, images: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
        x = _check_images(images, what)
        features, probs = self._feature_model.predict(x, batch_size=500, verbose=0)
        return np.asarray(features, np.float64), np.asarray(probs)

    def features(self, images: Any) -> np.ndarray:
        """The classifier's penultimate-layer features of ``images`` (in [0, 1]), shape ``(n, 128)``."""
        return self._run(images, "images")[0]

    def predict_classes(self, images: Any) -> np.ndarray:
        """The classifier's predicted class of each image (0-9; see ``data.FASHION_MNIST_CLASSES``)."""
        return self._run(images, "images")[1].argmax(axis=1)

    def reference(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of the features of all real test images (computed once)."""
        if self._reference is None:
            self._reference = _gaussian(self._run(self.test_images, "test images")[0])
        return self._reference

    def score(self, images: Any) -> Score:
        """Fréchet distance to the real test images and class coverage of ``images`` (floats in [0, 1])."""
        features, probs = self._run(images, "generated images")
        _check_features(features, f"{len(features)} images")
        mu, cov = _gaussian(features)
        fid = _frechet_from_stats(mu, cov, *self.reference())
        return Score(fid, class_coverage(probs.argmax(axis=1)), len(features))

    def baselines(self, n: int, draws: int = 5) -> Baselines:
        """Floor and ceilings for ``n`` samples (cached per ``n``): report every score next to them.

        The floor is averaged over ``draws`` random sets of real training images, and its spread is
        kept: two scores closer than that spread should not be read as different.
        """
        check_int("n", n, 129, " (above the feature dimension, 128)")
        check_int("draws", draws, 1)
        if n > len(self.train_images):
            raise ValueError(f"n={n} is more than the {len(self.train_images)} real training images.")
        if (n, draws) not in self._baselines:
            rng = np.random.default_rng(self.seed)
            floors = tuple(self.score(self.train_images[rng.choice(len(self.train_images), size=n, replace=False)]).fid
                           for _ in range(draws))
            noise = rng.uniform(0, 1, size=(n, 28, 28)).astype("float32")
            mean = self.train_images.mean(axis=0)
            mean_images = np.clip(mean + rng.normal(0, 0.01, size=(n, 28, 28)), 0, 1).astype("float32")
            self._baselines[(n, draws)] = Baselines(n, floors, self.score(noise).fid, self.score(mean_images).fid)
        return self._baselines[(n, draws)]


def _cache_path(cache_dir: str | Path | None) -> Path:

    from helpers import data

    folder = data.fetch("fashion_mnist", "t10k-labels-idx1-ubyte.gz", cache_dir=cache_dir).parent
    return folder / f"quality-classifier-keras{keras.__version__}.keras"


def train_classifier(path: str | Path, *, epochs: int = 5, seed: int = 0,
                     cache_dir: str | Path | None = None) -> Path:
    """Train the quality classifier in a fresh Python process and save it (atomically) to ``path``.

    A separate process starts from the same state every time (``seed``, nothing trained before it)
    and leaves the caller's random generators (Python, NumPy, TensorFlow, Keras) untouched.
    """
    import subprocess
    import sys

    code = ("import sys; from helpers import quality; "
            "quality._train_here(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] or None)")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    env.pop("COURSE_METRICS_FILE", None)
    done = subprocess.run([sys.executable, "-c", code, str(path), str(epochs), str(seed), str(cache_dir or "")],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"Training the quality classifier failed:\n{done.stderr[-2000:]}")
    return Path(path)


def _train_here(path: str, epochs: int, seed: int, cache_dir: str | None) -> None:
    """``train_classifier``'s work, run inside the fresh process."""
    from helpers import data
    from helpers.training import save_model_atomically

    (x_train, y_train), _ = data.load_fashion_mnist(cache_dir=cache_dir)
    x_train = (x_train / 255.0).astype("float32")[..., None]
    keras.utils.set_random_seed(seed)
    model = _build_classifier(seed, steps=epochs * -(-len(x_train) // 128))
    model.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=0)
    save_model_atomically(model, path)


def load_scorer(*, cache_dir: str | Path | None = None, epochs: int = 5, seed: int = 0,
                retrain: bool = False, log: Callable[[str], None] = print) -> QualityScorer:
    """Load the cached quality classifier (or train it, about a minute on 2 CPU cores) and return a scorer.

    The classifier is trained on the 60,000 real training images and saved atomically as a ``.keras``
    file in the Fashion-MNIST data cache; its test accuracy is printed, and a classifier below 0.90 is
    refused (a weak classifier gives features that cannot tell good samples from bad ones). It is
    trained by ``train_classifier`` in a fresh Python process, so that it is trained the same way
    everywhere and the notebook's own random streams go on as if it had been loaded: a score does not
    depend on which run trained the classifier.
    """

    from helpers import data

    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist(cache_dir=cache_dir)
    x_train = (x_train / 255.0).astype("float32")[..., None]
    x_test = (x_test / 255.0).astype("float32")[..., None]
    path = _cache_path(cache_dir)
    model = None
    if path.exists() and not retrain:
        try:
            model = keras.models.load_model(path)
            how = "loaded from the cache"
        except (ValueError, OSError, TypeError) as exc:  # an unreadable or foreign file: train anew
            log(f"Could not load the cached quality classifier ({exc.__class__.__name__}); training it again.")
    if model is None:
        train_classifier(path, epochs=epochs, seed=seed, cache_dir=cache_dir)
        model = keras.models.load_model(path)
        how = f"trained for {epochs} epochs (in a separate process) and cached"
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    log(f"Quality classifier {how}: test accuracy {accuracy:.3f}")
    if accuracy < _MIN_TEST_ACCURACY:
        raise RuntimeError(
            f"The quality classifier reaches only {accuracy:.3f} test accuracy (< {_MIN_TEST_ACCURACY}); "
            f"delete {path.name} from the cache (or call load_scorer(retrain=True, epochs=...)) to train it again.")
    return QualityScorer(model, x_test[..., 0], x_train[..., 0], float(accuracy), seed)


class ScoreHistory(keras.callbacks.Callback):
    """A callback that scores ``sample(n)`` before training and after every ``every`` epochs.

    ``sample`` is any function returning ``n`` images in [0, 1]: decode the same prior codings (a VAE),
    run a generator on the same noise (``gan.noise_sampler``), ... Each ``Score`` goes to ``scores``
    and its epoch to ``epochs``; epoch 0 is the untrained model, and the count goes on across several
    ``fit()`` calls. ``fids`` and ``coverage`` are ready for ``plotting.plot_scores``; ``by_epoch``
    pairs each epoch with its score. The last epoch of a ``fit()`` is always scored.

    >>> history = ScoreHistory(scorer, lambda n: decoder.predict(prior(n)), n=1000)   # doctest: +SKIP
    >>> model.fit(x, epochs=10, callbacks=[history])                                  # doctest: +SKIP
    >>> history.fids[-1] < history.fids[0]                                            # doctest: +SKIP
    True
    """

    def __init__(self, scorer: QualityScorer, sample: Callable[[int], Any], n: int, every: int = 1,
                 log: Callable[[str], None] | None = None) -> None:
        super().__init__()
        check_int("n", n, 129, " (above the feature dimension, 128)")
        check_int("every", every, 1)
        self.scorer, self.sample, self.n, self.every, self.log = scorer, sample, n, every, log
        self.epochs: list[int] = []
        self.scores: list[Score] = []
        self._seen = 0

    @property
    def fids(self) -> list[float]:
        """The Fréchet distance of every scored epoch."""
        return [score.fid for score in self.scores]

    @property
    def coverage(self) -> list[int]:
        """The number of covered classes of every scored epoch."""
        return [score.coverage.covered for score in self.scores]

    @property
    def by_epoch(self) -> list[tuple[int, Score]]:
        """``(epoch, score)`` pairs, in order."""
        return list(zip(self.epochs, self.scores))

    def _measure(self, epoch: int) -> None:
        result = self.scorer.score(self.sample(self.n))
        self.epochs.append(epoch)
        self.scores.append(result)
        if self.log is not None:
            self.log(f"epoch {epoch}: {result}")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self.epochs:  # the untrained model, once (fit() may be called again to continue)
            self._measure(0)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._seen += 1
        last_of_fit = epoch + 1 == (self.params or {}).get("epochs")
        if self._seen % self.every == 0 or last_of_fit:
            self._measure(self._seen)
