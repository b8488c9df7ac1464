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
repeated) measured the same way (``QualityScorer.baselines``), and beside a realistic bad reference: real
images blurred with a Gaussian (``Baselines.blurred``), recognisable but clearly worse than real.

One number is one opinion, so ``QualityScorer.score`` reports more (issue 24):

- the **recognised share** (``confident_share``): samples whose top class probability is ≥ 0.9; argmax
  names a class even for a blotch, so coverage is also given over the recognised samples alone
  (``confident_coverage``). A classifier can still be sure of garbage: read it beside the others.
- **precision and recall** in the same features (Kynkäänniemi et al., 2019): the share of samples on
  the real images' k-NN manifold (realism), and of real images on the samples' (variety).
- ``pca_fid``, the Fréchet distance in a **second, independent feature space**: the top 50 principal
  components of the pixels (``PixelPCA``). State only the orders that both distances agree on.
- on request (``score(images, memorisation=True)``), the pixel distance from each sample to its
  **nearest training image**, beside the same for real test images: a generator that copies its
  training images scores at the floor, and only this shows it.

>>> scorer = load_scorer()                     # doctest: +SKIP
>>> scorer.score(generated_images).fid         # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from helpers import lessons
from helpers.runtime import check_int

__all__ = [
    "Baselines",
    "Coverage",
    "Memorisation",
    "PixelPCA",
    "QualityScorer",
    "ScoreHistory",
    "Score",
    "agreed_order",
    "claim_better",
    "class_coverage",
    "confident_coverage",
    "confident_share",
    "edge_strength",
    "gaussian_blur",
    "load_scorer",
    "nearest_distances",
    "nearest_neighbours",
    "per_class_recognised",
    "precision_recall",
]

N_CLASSES = 10
_FEATURE_LAYER = "features"
_PCA_COMPONENTS = 50          # the pixel-PCA feature space
_PR_NEIGHBOURS = 3            # k of precision and recall (Kynkäänniemi et al. use 3)
_MEMORISATION_REFERENCE = 1_000  # real test images behind the memorisation reference
_BLUR_SIGMA = 1.5             # the blurred-real baseline's Gaussian, in pixels
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


def _check_probabilities(probabilities: Any) -> np.ndarray:
    """Return ``probabilities`` as a float64 ``(n, classes)`` array whose rows are distributions, or raise."""
    probs = np.asarray(probabilities)
    if not np.issubdtype(probs.dtype, np.number) or probs.ndim != 2 or probs.size == 0:
        raise ValueError("expected a non-empty 2-D array of class probabilities (samples, classes), "
                         f"got shape {probs.shape} and dtype {probs.dtype}.")
    probs = probs.astype(np.float64)
    if not np.isfinite(probs).all() or probs.min() < 0:
        raise ValueError("class probabilities must be finite and ≥ 0 (pass the softmax output, not logits).")
    if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("each row of class probabilities must sum to 1 (pass the softmax output, not logits).")
    return probs


def _check_threshold(threshold: float) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)) \
            or not 0 < threshold <= 1:
        raise ValueError(f"threshold must be a probability in (0, 1], got {threshold!r}.")
    return float(threshold)


def confident_share(probabilities: Any, threshold: float = 0.9) -> float:
    """The share of samples whose top class probability is at least ``threshold``: the *recognised* ones.

    Argmax always names a class, even for a blotch; a classifier that is not sure (top probability
    below ``threshold``) has not recognised the sample. ``1 - confident_share`` is the unrecognised share.

    >>> confident_share([[0.95, 0.05], [0.6, 0.4], [0.02, 0.98], [0.5, 0.5]])
    0.5
    """
    probs = _check_probabilities(probabilities)
    return float(np.mean(probs.max(axis=1) >= _check_threshold(threshold)))


def confident_coverage(probabilities: Any, threshold: float = 0.9, min_share: float = 0.05) -> Coverage:
    """Class coverage that counts only the samples recognised with top probability ≥ ``threshold``.

    ``histogram`` is the share of *all* samples confidently predicted as each class (it sums to
    ``confident_share``), so a class is covered only if at least ``min_share`` of all samples are
    recognisably that class. ``entropy_bits`` is the entropy of the classes among the recognised samples
    (0 when none is recognised).

    >>> c = confident_coverage([[0.95, 0.05], [0.6, 0.4], [0.02, 0.98], [0.97, 0.03]])
    >>> c.histogram.tolist(), c.covered, round(c.entropy_bits, 3)
    ([0.5, 0.25], 2, 0.918)
    """
    probs = _check_probabilities(probabilities)
    threshold = _check_threshold(threshold)
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}.")
    sure = probs.max(axis=1) >= threshold
    counts = np.bincount(probs.argmax(axis=1)[sure], minlength=probs.shape[1])
    hist = counts / len(probs)
    entropy = 0.0
    if counts.sum() > 0:
        among = counts[counts > 0] / counts.sum()
        entropy = float(-(among * np.log2(among)).sum()) + 0.0  # + 0.0: no -0.0 for one class
    return Coverage(hist, entropy, int((hist >= min_share).sum()), min_share)


def per_class_recognised(probabilities: Any, threshold: float = 0.9, asked: Any = None) -> float:
    """The share recognised with top probability ≥ ``threshold``, class by class, averaged over the classes.

    Without ``asked`` the samples are grouped by their predicted class; with ``asked`` (one class per
    sample, a conditional generator's labels) by the class asked for, and a sample counts only when it is
    recognised *as that class*. A class with no samples counts 0. Unlike ``confident_share`` this cannot
    be raised by drawing only the classes the classifier finds easy: a generator whose blotches are all
    confidently "bag" scores at most 1/10.

    >>> probs = [[0.95, 0.05], [0.6, 0.4], [0.97, 0.03], [0.97, 0.03]]
    >>> per_class_recognised(probs), per_class_recognised(probs, asked=[0, 1, 1, 0])
    (0.375, 0.5)
    """
    probs = _check_probabilities(probabilities)
    threshold = _check_threshold(threshold)
    predicted, sure = probs.argmax(axis=1), probs.max(axis=1) >= threshold
    if asked is None:
        groups, hits = predicted, sure
    else:
        groups = np.asarray(asked)
        if groups.shape != (len(probs),) or not np.issubdtype(groups.dtype, np.integer):
            raise ValueError(f"asked must hold one integer class per sample ({len(probs)}), "
                             f"got shape {groups.shape} and dtype {groups.dtype}.")
        if groups.min() < 0 or groups.max() >= probs.shape[1]:
            raise ValueError(f"asked classes must lie in 0..{probs.shape[1] - 1}.")
        hits = sure & (predicted == groups)
    shares = [hits[groups == c].mean() if np.any(groups == c) else 0.0 for c in range(probs.shape[1])]
    return float(np.mean(shares))


# The feature spaces every ranking is checked in, and what each measure is called in a claim line
FRECHET_SPACES = {"fid": "Fréchet", "pca_fid": "pixel-PCA Fréchet"}


def agreed_order(a: Any, b: Any, keys: Any = tuple(FRECHET_SPACES),
                 margins: Any = None) -> bool | None:
    """True when ``a`` is lower (better) than ``b`` on every key, False when higher on every key, else None.

    ``a`` and ``b`` map measure names to values where lower is better (Fréchet distances, the unrecognised
    share). A difference smaller than ``margins[key]`` (for example the sampling noise of a share) is a
    tie, and a tie on any key means no order. One feature space is one opinion: a ranking is stated only
    where every measure agrees.

    >>> agreed_order({"fid": 1, "pca_fid": 2}, {"fid": 3, "pca_fid": 4})
    True
    >>> agreed_order({"fid": 1, "pca_fid": 5}, {"fid": 3, "pca_fid": 4}) is None
    True
    >>> agreed_order({"u": 0.76}, {"u": 0.77}, keys=["u"], margins={"u": 0.05}) is None
    True
    """
    keys, margins = list(keys), dict(margins or {})
    if not keys:
        raise ValueError("agreed_order needs at least one key to compare on.")
    missing = [key for key in keys for side in (a, b) if key not in side]
    if missing:
        raise ValueError(f"agreed_order: both sides need the keys {keys}; missing {sorted(set(missing))}.")
    signs = set()
    for key in keys:
        difference = float(a[key]) - float(b[key])
        if math.isnan(difference) or abs(difference) <= margins.get(key, 0.0):
            return None
        signs.add(difference < 0)
    return signs.pop() if len(signs) == 1 else None


def claim_better(name_a: str, a: Any, name_b: str, b: Any, *, keys: Any = None, margins: Any = None,
                 demo_only: bool = False) -> bool | None:
    """Claim "``name_a`` scores better than ``name_b``" where every measure in ``keys`` agrees.

    ``keys`` maps measure names (lower is better) to the words of the claim line; the default is the
    two Fréchet distances (``FRECHET_SPACES``). Where the measures agree, ``lessons.expect`` checks the
    claim (it fails if ``a`` is worse on every one); where they disagree or tie (``margins``), a line
    starting with "·" says so and no ranking is claimed. Returns ``agreed_order``'s answer.
    """
    keys = dict(FRECHET_SPACES if keys is None else keys)
    order = agreed_order(a, b, keys, margins)
    evidence = {words: f"{float(a[key]):.4g} vs {float(b[key]):.4g}" for key, words in keys.items()}
    words = list(keys.values())
    measures = " and ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " and " + words[-1]
    if order is None:
        print(f"· {name_a} against {name_b}: the measures ({measures}) disagree or tie, no ranking | "
              + ", ".join(f"{words} {numbers}" for words, numbers in evidence.items()))
        return None
    where = "in both feature spaces" if keys == FRECHET_SPACES else f"on {measures}"
    lessons.expect(f"{name_a} scores better than {name_b} {where}", order, evidence,
                   demo_only=demo_only)
    return order


def _check_points(points: Any, what: str) -> np.ndarray:
    """``points`` as a 2-D ``(n, d)`` array (one flattened item per row), or a ValueError saying what to do."""
    array = np.asarray(points)
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{what}: expected a real numeric array, got dtype {array.dtype}.")
    if array.ndim < 2 or len(array) == 0 or array[0].size == 0:
        raise ValueError(f"{what}: expected a non-empty array with one item per row (n, ...), "
                         f"got shape {array.shape}.")
    array = array.reshape(len(array), -1)
    if not np.isfinite(array).all():
        raise ValueError(f"{what}: contains NaN or infinite values.")
    return array


def _squared_distances(a: np.ndarray, b: np.ndarray, b_norms: np.ndarray | None = None) -> np.ndarray:
    """All squared Euclidean distances between the rows of ``a`` and of ``b`` (clipped at 0)."""
    b_norms = (b * b).sum(axis=1) if b_norms is None else b_norms
    return np.maximum((a * a).sum(axis=1)[:, None] + b_norms[None, :] - 2 * (a @ b.T), 0)


def _knn_radii(points: np.ndarray, k: int, batch: int = 1000) -> np.ndarray:
    """Squared distance from each point to its ``k``-th nearest *other* point (batched over rows)."""
    norms = (points * points).sum(axis=1)
    radii = np.empty(len(points))
    for start in range(0, len(points), batch):
        block = _squared_distances(points[start:start + batch], points, norms)
        block[np.arange(len(block)), np.arange(start, start + len(block))] = 0.0  # itself, exactly
        radii[start:start + batch] = np.partition(block, k, axis=1)[:, k]  # index 0 is the point itself
    return radii


def _inside_share(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, batch: int = 1000) -> float:
    """The share of ``points`` inside at least one ball (``centres``, squared ``radii``)."""
    norms = (centres * centres).sum(axis=1)
    inside = 0
    for start in range(0, len(points), batch):
        inside += int((_squared_distances(points[start:start + batch], centres, norms)
                       <= radii[None, :]).any(axis=1).sum())
    return inside / len(points)


def precision_recall(real_features: Any, fake_features: Any, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019) of generated samples in a feature space.

    Each set's *manifold* is the union of balls centred on its samples, each reaching that sample's
    ``k``-th nearest neighbour in the same set. **Precision** is the share of generated samples inside
    the real manifold (are the samples realistic?); **recall** the share of real samples inside the
    generated manifold (does the generator cover the real variety?). Both are in [0, 1], higher is
    better; a set of blotches that only shares the real images' mean and spread gets a low precision.
    Use sets of the same size, as the paper does: the balls shrink as a set grows.

    >>> a = np.random.default_rng(0).normal(size=(200, 2))
    >>> precision_recall(a, a), precision_recall(a, a + 100)
    ((1.0, 1.0), (0.0, 0.0))
    """
    check_int("k", k, 1)
    real = _check_points(real_features, "real features").astype(np.float64)
    fake = _check_points(fake_features, "generated features").astype(np.float64)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and generated features differ in dimension: {real.shape[1]} vs {fake.shape[1]}.")
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"k={k} nearest neighbours need more than {k} samples in each set; "
                         f"got {len(real)} real and {len(fake)} generated.")
    precision = _inside_share(fake, real, _knn_radii(real, k))
    recall = _inside_share(real, fake, _knn_radii(fake, k))
    return precision, recall


def nearest_neighbours(samples: Any, reference: Any, batch: int = 256,
                       block: int = 16_384) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distance from each sample to its nearest reference item, and that item's index.

    Items are flattened (images compare pixel by pixel). The search runs in float32 over blocks of at
    most ``batch`` samples × ``block`` reference items (about 16 MB at the defaults), so 60,000 training
    images need no more memory than a few blocks; each winner's distance is then recomputed exactly in
    float64, so an exact copy gets exactly 0.

    >>> distances, indices = nearest_neighbours([[1.0, 0, 0], [0, 0, 2.0]], np.eye(3))
    >>> distances.tolist(), indices.tolist()
    ([0.0, 1.0], [0, 2])
    """
    check_int("batch", batch, 1)
    check_int("block", block, 1)
    queries = _check_points(samples, "samples")
    pool = _check_points(reference, "reference")
    if queries.shape[1] != pool.shape[1]:
        raise ValueError(f"samples and reference items differ in size: {queries.shape[1]} vs "
                         f"{pool.shape[1]} values each (e.g. 28×28 = 784 pixels).")
    pool32 = pool.astype(np.float32, copy=False)
    norms = [(part * part).sum(axis=1) for part in
             (pool32[start:start + block] for start in range(0, len(pool32), block))]
    indices = np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), batch):
        query = queries[start:start + batch].astype(np.float32)
        best = np.full(len(query), np.inf, dtype=np.float32)
        where = np.zeros(len(query), dtype=np.int64)
        for number, offset in enumerate(range(0, len(pool32), block)):
            d2 = _squared_distances(query, pool32[offset:offset + block], norms[number])
            nearest = d2.argmin(axis=1)
            value = d2[np.arange(len(d2)), nearest]
            better = value < best
            best[better], where[better] = value[better], nearest[better] + offset
        indices[start:start + batch] = where
    differences = queries.astype(np.float64) - pool[indices].astype(np.float64)
    return np.sqrt((differences * differences).sum(axis=1)), indices


def nearest_distances(samples: Any, reference: Any, batch: int = 256) -> np.ndarray:
    """Euclidean (pixel) distance from each sample to its nearest reference item (see ``nearest_neighbours``).

    A generator that copies its training images gets distances near 0 to the training set; real test
    images, which the generator never saw, show the distance a new image typically has.

    >>> nearest_distances(np.ones((2, 2, 2)), np.zeros((3, 2, 2))).tolist()
    [2.0, 2.0]
    """
    return nearest_neighbours(samples, reference, batch)[0]


def gaussian_blur(images: Any, sigma: float = 1.5, truncate: float = 4.0) -> np.ndarray:
    """Blur each image with a Gaussian of standard deviation ``sigma`` pixels (a separable convolution).

    ``images`` is ``(n, height, width)`` or ``(n, height, width, channels)``; the blur runs over the
    height and width axes. Edges are mirrored and the kernel reaches ``truncate`` standard deviations,
    as in ``scipy.ndimage.gaussian_filter`` (whose result this matches), so the total brightness of an
    image is kept.

    >>> image = np.zeros((1, 9, 9)); image[0, 4, 4] = 1.0
    >>> blurred = gaussian_blur(image, sigma=1.0)
    >>> round(float(blurred.sum()), 6), round(float(blurred[0, 4, 4]), 4)
    (1.0, 0.1592)
    """
    array = np.asarray(images)
    if not np.issubdtype(array.dtype, np.number) or array.ndim not in (3, 4) or array.size == 0:
        raise ValueError("gaussian_blur expects a non-empty numeric array of images (n, height, width) "
                         f"or (n, height, width, channels); got shape {array.shape}, dtype {array.dtype}.")
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float, np.floating)) or not sigma > 0:
        raise ValueError(f"sigma must be a positive number of pixels, got {sigma!r}.")
    if not truncate > 0:
        raise ValueError(f"truncate must be positive, got {truncate!r}.")
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    out = array.astype(np.float64)
    for axis in (1, 2):
        size = out.shape[axis]
        widths = [(0, 0)] * out.ndim
        widths[axis] = (radius, radius)
        padded = np.pad(out, widths, mode="symmetric")  # d c b a | a b c d | d c b a, like scipy's "reflect"
        out = sum(weight * np.take(padded, np.arange(i, i + size), axis=axis)
                  for i, weight in enumerate(kernel))
    return out.astype(array.dtype if np.issubdtype(array.dtype, np.floating) else np.float64)


def edge_strength(images: Any) -> float:
    """How sharp ``images`` are: the mean absolute difference of vertically neighbouring pixels plus
    that of horizontally neighbouring ones (images of shape ``(n, 28, 28)`` or ``(n, 28, 28, 1)``, in
    [0, 1]). Blurring lowers it; notebook 06 uses it to show that VAE samples are blurry, 07 to set
    VAE and GAN samples side by side.

    >>> stripes = np.tile([0.0, 1.0], (1, 28, 14))            # alternating columns: sharpest edges
    >>> edge_strength(stripes), edge_strength(np.full((1, 28, 28), 0.5))
    (1.0, 0.0)
    """
    x = _check_images(images, "images")
    return float(np.mean(np.abs(np.diff(x, axis=1))) + np.mean(np.abs(np.diff(x, axis=2))))


@dataclass(frozen=True)
class PixelPCA:
    """A second, independent feature space: the top principal components of the pixels.

    Fitted on real training images (``PixelPCA.fit``), it knows nothing of classes, so it disagrees
    with the classifier's features where they are blind (and the other way round): a notebook can
    trust an ordering of generators only where both Fréchet distances agree. ``transform`` gives each
    image's coordinates along the components (pixel units, not whitened: the directions in which
    real images vary most weigh most).

    >>> x = np.outer(np.arange(5.0), [1.0, 2.0, 2.0])   # five points on a line in 3-D
    >>> pca = PixelPCA.fit(x, n_components=1)
    >>> pca.explained_variance_ratio.round(3).tolist(), pca.transform(x).round(6).tolist()
    ([1.0], [[-6.0], [-3.0], [0.0], [3.0], [6.0]])
    """

    mean: np.ndarray                      # (d,) the mean training image, flattened
    components: np.ndarray                # (k, d) orthonormal directions, largest variance first
    explained_variance_ratio: np.ndarray  # (k,) share of the pixel variance along each direction

    @classmethod
    def fit(cls, images: Any, n_components: int = 50, max_images: int = 10_000, seed: int = 0) -> PixelPCA:
        """Fit on ``images`` (at most ``max_images`` of them, drawn with ``seed``) in NumPy.

        The components are the top eigenvectors of the pixels' covariance (a ``d × d`` eigenproblem,
        d = 784 for Fashion-MNIST: seconds, where an SVD of 10,000 images takes ten times longer).
        """
        check_int("n_components", n_components, 1)
        check_int("max_images", max_images, 2)
        pixels = _check_points(images, "images")
        if len(pixels) > max_images:
            pixels = pixels[np.sort(np.random.default_rng(seed).choice(len(pixels), max_images, replace=False))]
        if n_components > min(pixels.shape):
            raise ValueError(f"n_components={n_components} is more than min(images, pixels) = "
                             f"{min(pixels.shape)}; use fewer components or more images.")
        pixels = pixels.astype(np.float64)
        mean = pixels.mean(axis=0)
        centred = pixels - mean
        values, vectors = np.linalg.eigh(centred.T @ centred)        # ascending eigenvalues
        values = np.clip(values[::-1], 0, None)
        components = vectors[:, ::-1][:, :n_components].T             # (k, d), largest variance first
        # Eigenvectors' signs are arbitrary: make each direction's largest entry positive (reproducible).
        signs = np.sign(components[np.arange(n_components), np.abs(components).argmax(axis=1)])
        total = values.sum()
        ratio = values[:n_components] / total if total > 0 else np.zeros(n_components)
        return cls(mean, components * signs[:, None], ratio)

    def transform(self, images: Any) -> np.ndarray:
        """Coordinates of ``images`` along the components, shape ``(n, n_components)``."""
        pixels = _check_points(images, "images")
        if pixels.shape[1] != len(self.mean):
            raise ValueError(f"images have {pixels.shape[1]} values each; this PCA was fitted on {len(self.mean)}.")
        return (pixels.astype(np.float64) - self.mean) @ self.components.T


@dataclass(frozen=True)
class Memorisation:
    """How close generated images come to the training images, beside what real unseen images get."""

    median: float            # median pixel distance from a sample to its nearest training image
    reference_median: float  # the same for real test images (never trained on): what not copying gives
    copy_share: float        # share of samples nearer a training image than 99% of real test images are
    copy_distance: float     # that distance: the 1st percentile of the real test images' distances
    reference_n: int         # real test images behind the reference

    def __str__(self) -> str:
        return (f"nearest training image at a median {self.median:.2f} (real test images "
                f"{self.reference_median:.2f}), {self.copy_share:.0%} near-copies (< {self.copy_distance:.2f})")


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
    """The quality score of one set of images: Fréchet distance (lower is better) and class coverage.

    ``QualityScorer.score`` also fills the later fields: the share of samples the classifier recognises
    (top probability ≥ ``confidence``) and the coverage of those alone, and the same share class by class
    (``per_class_recognised``); precision and recall in the classifier's feature space; the Fréchet
    distance, precision and recall in a second feature space (pixel PCA); and, when asked, how near the
    samples come to the training images. A field left at its default (NaN or
    None) was not measured.
    """

    fid: float
    coverage: Coverage
    n: int
    confident_share: float = math.nan            # share recognised: top class probability ≥ confidence
    confident_coverage: Coverage | None = None   # class coverage of the recognised samples only
    confidence: float = 0.9
    precision: float = math.nan                  # share of samples inside the real feature manifold
    recall: float = math.nan                     # share of real images inside the samples' manifold
    pca_fid: float = math.nan                    # Fréchet distance in the pixel-PCA space
    memorisation: Memorisation | None = None
    pca_precision: float = math.nan              # precision and recall in the pixel-PCA space
    pca_recall: float = math.nan
    class_recognised: float = math.nan           # per_class_recognised: the share recognised, per class

    @property
    def unrecognised_share(self) -> float:
        """The share of samples the classifier does not recognise (top probability below ``confidence``)."""
        return 1.0 - self.confident_share

    def __str__(self) -> str:
        text = (f"Fréchet distance {self.fid:.2f}, {self.coverage.covered}/{len(self.coverage.histogram)} "
                f"classes ≥ {self.coverage.min_share:.0%}, class entropy {self.coverage.entropy_bits:.2f} bits")
        if not math.isnan(self.confident_share):
            text += f", {self.unrecognised_share:.0%} unrecognised (p < {self.confidence:g})"
            if self.confident_coverage is not None:
                text += (f" and {self.confident_coverage.covered}/{len(self.confident_coverage.histogram)} "
                         "classes among the recognised")
        if not math.isnan(self.precision):
            text += f", precision {self.precision:.2f}, recall {self.recall:.2f}"
        if not math.isnan(self.pca_fid):
            text += f", pixel-PCA Fréchet distance {self.pca_fid:.2f}"
        if self.memorisation is not None:
            text += f", {self.memorisation}"
        return text + f" ({self.n:,} samples)"


@dataclass(frozen=True)
class Baselines:
    """The score's floor and ceilings for one sample count, measured the same way as any generator."""

    n: int
    floor_draws: tuple[float, ...]  # real training images vs the real test images, several random draws
    noise: float        # uniform pixel noise
    mean_image: float   # the mean training image, repeated (plus faint noise, so it has a covariance)
    blurred: float = math.nan       # real training images blurred: a realistic bad generator
    blur_sigma: float = math.nan    # the blur's standard deviation, in pixels
    # the full Score of "real" (the first floor draw), "blurred", "noise" and "mean image"
    scores: dict[str, Score] = field(default_factory=dict, compare=False)

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
        text = (f"{self.n:,} samples: floor (real vs real) {self.floor:.2f}{spread}, ceiling {self.ceiling:.2f} "
                f"(pixel noise {self.noise:.2f}, mean image {self.mean_image:.2f})")
        if not math.isnan(self.blurred):
            text += f", real images blurred (σ = {self.blur_sigma:g} px) {self.blurred:.2f}"
        return text


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
    _baselines: dict[tuple[int, int, float], Baselines] = field(default_factory=dict, repr=False)
    _test_features: np.ndarray | None = field(default=None, repr=False)
    _real_manifolds: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _pca: PixelPCA | None = field(default=None, repr=False)
    _pca_reference: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _memorisation_reference: np.ndarray | None = field(default=None, repr=False)

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

    def test_features(self) -> np.ndarray:
        """The classifier's features of all real test images, shape ``(n_test, 128)`` (computed once)."""
        if self._test_features is None:
            self._test_features = self._run(self.test_images, "test images")[0]
        return self._test_features

    def reference(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of the features of all real test images (computed once)."""
        if self._reference is None:
            self._reference = _gaussian(self.test_features())
        return self._reference

    def pixel_pca(self) -> PixelPCA:
        """The second feature space: ``PixelPCA`` fitted on (up to 10,000 of) the training images, once."""
        if self._pca is None:
            self._pca = PixelPCA.fit(self.train_images, n_components=_PCA_COMPONENTS, seed=self.seed)
        return self._pca

    def pca_reference(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of the real test images in the pixel-PCA space (computed once)."""
        if self._pca_reference is None:
            self._pca_reference = _gaussian(self.pixel_pca().transform(self.test_images))
        return self._pca_reference

    def _real_manifold(self, n: int, space: str = "classifier") -> tuple[np.ndarray, np.ndarray]:
        """``n`` real test images' features (a fixed random subset) and their k-NN radii, cached.

        ``space`` is ``"classifier"`` (the classifier's features) or ``"pca"`` (pixel PCA); both use the
        same images.
        """
        n = min(n, len(self.test_images))
        if (n, space) not in self._real_manifolds:
            rng = np.random.default_rng(self.seed)
            chosen = np.sort(rng.choice(len(self.test_images), size=n, replace=False))
            real = (self.test_features()[chosen] if space == "classifier" else
                    self.pixel_pca().transform(self.test_images[chosen]))  # float64 already
            self._real_manifolds[n, space] = real, _knn_radii(real, _PR_NEIGHBOURS)
        return self._real_manifolds[n, space]

    def memorisation(self, images: Any) -> Memorisation:
        """How near ``images`` come to the training images (pixel distance), beside real test images.

        Searches all training images for each image (a few seconds per 1,000 images on 2 CPU cores);
        the reference (1,000 real test images, a fixed random subset) is measured once.
        """
        x = _check_images(images, "generated images")[..., 0]
        if self._memorisation_reference is None:
            count = min(_MEMORISATION_REFERENCE, len(self.test_images))
            chosen = np.sort(np.random.default_rng(self.seed).choice(len(self.test_images), count, replace=False))
            self._memorisation_reference = nearest_distances(self.test_images[chosen], self.train_images)
        reference = self._memorisation_reference
        distances = nearest_distances(x, self.train_images)
        copy_distance = float(np.quantile(reference, 0.01))
        return Memorisation(float(np.median(distances)), float(np.median(reference)),
                            float(np.mean(distances < copy_distance)), copy_distance, len(reference))

    def score(self, images: Any, *, memorisation: bool = False, confidence: float = 0.9) -> Score:
        """Score ``images`` (floats in [0, 1]) against the real test images.

        Fréchet distance and class coverage (as always), the share recognised with top probability ≥
        ``confidence`` and the coverage of those, precision and recall (k = 3, against as many real test
        images as there are samples, a fixed random subset, or all of them if there are fewer), and the
        Fréchet distance in the pixel-PCA space. With
        ``memorisation=True`` also the distance to the nearest training image (slower: see
        ``memorisation``).
        """
        confidence = _check_threshold(confidence)
        x = _check_images(images, "generated images")
        features, probs = self._run(x, "generated images")
        _check_features(features, f"{len(features)} images")
        mu, cov = _gaussian(features)
        fid = _frechet_from_stats(mu, cov, *self.reference())
        pca = self.pixel_pca().transform(x)  # float64, like the classifier's features
        pca_fid = _frechet_from_stats(*_gaussian(pca), *self.pca_reference())
        (precision, recall), (pca_precision, pca_recall) = (
            self._precision_recall(points, space) for points, space in ((features, "classifier"), (pca, "pca")))
        return Score(fid, class_coverage(probs.argmax(axis=1)), len(features),
                     confident_share=confident_share(probs, confidence),
                     confident_coverage=confident_coverage(probs, confidence), confidence=confidence,
                     precision=precision, recall=recall, pca_fid=pca_fid,
                     memorisation=self.memorisation(x) if memorisation else None,
                     pca_precision=pca_precision, pca_recall=pca_recall,
                     class_recognised=per_class_recognised(probs, confidence))

    def _precision_recall(self, points: np.ndarray, space: str) -> tuple[float, float]:
        """Precision and recall of ``points`` against as many real test images, in ``space``."""
        real, radii = self._real_manifold(len(points), space)
        if len(points) <= _PR_NEIGHBOURS or len(real) <= _PR_NEIGHBOURS:
            return math.nan, math.nan
        return (_inside_share(points, real, radii),
                _inside_share(real, points, _knn_radii(points, _PR_NEIGHBOURS)))

    def baselines(self, n: int, draws: int = 5, blur_sigma: float = _BLUR_SIGMA) -> Baselines:
        """Floor, ceilings and a realistic bad reference for ``n`` samples (cached): report scores beside them.

        The floor is averaged over ``draws`` random sets of real training images, and its spread is
        kept: two scores closer than that spread should not be read as different. The ceilings are
        trivial generators (pixel noise, the mean image). ``blurred`` scores real training images blurred
        with a Gaussian of ``blur_sigma`` pixels: recognisable but clearly worse than real, so a
        threshold set between the floor and it can fail. ``scores`` holds the full ``Score`` of each.
        """
        check_int("n", n, 129, " (above the feature dimension, 128)")
        check_int("draws", draws, 1)
        if isinstance(blur_sigma, bool) or not isinstance(blur_sigma, (int, float)) or not blur_sigma > 0:
            raise ValueError(f"blur_sigma must be a positive number of pixels, got {blur_sigma!r}.")
        if n > len(self.train_images):
            raise ValueError(f"n={n} is more than the {len(self.train_images)} real training images.")
        key = (n, draws, float(blur_sigma))
        if key not in self._baselines:
            rng = np.random.default_rng(self.seed)
            real = [self.score(self.train_images[rng.choice(len(self.train_images), size=n, replace=False)])
                    for _ in range(draws)]
            noise = rng.uniform(0, 1, size=(n, 28, 28)).astype("float32")
            mean = self.train_images.mean(axis=0)
            mean_images = np.clip(mean + rng.normal(0, 0.01, size=(n, 28, 28)), 0, 1).astype("float32")
            # drawn after the others, so the floor and ceilings are the same as without it
            blurred = gaussian_blur(self.train_images[rng.choice(len(self.train_images), size=n, replace=False)],
                                    blur_sigma)
            scores = {"real": real[0], "blurred": self.score(blurred), "noise": self.score(noise),
                      "mean image": self.score(mean_images)}
            self._baselines[key] = Baselines(n, tuple(score.fid for score in real), scores["noise"].fid,
                                             scores["mean image"].fid, scores["blurred"].fid,
                                             float(blur_sigma), scores)
        return self._baselines[key]


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
