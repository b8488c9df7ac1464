"""2-D toy data for GAN lessons: a ring of Gaussians (Metz et al., 2017) and its diversity measures.

The ring is the classic place to *see* mode collapse: eight small Gaussians (standard deviation
0.02) on a circle of radius 2. A generator that covers the real distribution puts samples on all
eight; a collapsed one puts them on one or two, and hops between modes as the discriminator
catches up. Its measures follow VEEGAN and PacGAN (Srivastava et al., 2017; Lin et al., 2018):

- a sample belongs to its nearest mode if it lies within 3 standard deviations of it, else it is
  a low-quality sample (``nearest_mode`` gives -1);
- a mode is **covered** when at least ``min_share`` of the samples belong to it;
- the **high-quality share** is the share of samples that belong to some mode;
- the **mean pairwise distance** within a batch says how spread a batch is (a collapsed batch: near 0).

The networks that learn the ring are the lesson and stay in the notebook; this module holds only the
data and the measures.

>>> points = sample_ring(800, seed=0)
>>> ring_score(points).modes_covered
8
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "RingScore",
    "mean_pairwise_distance",
    "mode_histogram",
    "nearest_mode",
    "ring_centres",
    "ring_score",
    "sample_ring",
]

N_MODES = 8
RADIUS = 2.0
STD = 0.02
WITHIN = 3.0        # a sample belongs to a mode within this many standard deviations
MIN_SHARE = 0.02    # a mode is covered when at least this share of the samples belongs to it


def _check_points(points: np.ndarray | list, what: str = "points") -> np.ndarray:
    x = np.asarray(points, dtype="float64")
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
        raise ValueError(f"{what} must be a non-empty array of shape (n, 2), got shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} contain NaN or infinite values (did the training diverge?).")
    return x


def ring_centres(n_modes: int = N_MODES, radius: float = RADIUS) -> np.ndarray:
    """The ``n_modes`` centres on a circle of ``radius``, the first on the positive x axis.

    >>> ring_centres(4, 1.0).round(3).tolist()
    [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [-0.0, -1.0]]
    """
    if not isinstance(n_modes, int) or n_modes < 1:
        raise ValueError(f"n_modes must be a positive integer, got {n_modes!r}.")
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius!r}.")
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_ring(n: int, *, seed: int | np.random.Generator = 0, n_modes: int = N_MODES,
                radius: float = RADIUS, std: float = STD) -> np.ndarray:
    """``n`` points of the ring mixture (every mode equally likely), float32, shape ``(n, 2)``.

    >>> sample_ring(3, seed=1).shape
    (3, 2)
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}.")
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    modes = rng.integers(n_modes, size=n)
    points = ring_centres(n_modes, radius)[modes] + std * rng.normal(size=(n, 2))
    return points.astype("float32")


def nearest_mode(points: np.ndarray | list, *, n_modes: int = N_MODES, radius: float = RADIUS,
                 std: float = STD, within: float = WITHIN) -> np.ndarray:
    """The index of each point's nearest mode, or -1 when it lies farther than ``within · std``.

    >>> nearest_mode([[2.0, 0.0], [0.0, 2.05], [1.0, 1.0]]).tolist()
    [0, 2, -1]
    """
    x = _check_points(points)
    centres = ring_centres(n_modes, radius)
    distances = np.linalg.norm(x[:, None, :] - centres[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    return np.where(distances.min(axis=1) <= within * std, nearest, -1)


def mode_histogram(points: np.ndarray | list, **ring: float) -> np.ndarray:
    """The share of the points that belong to each mode (the rest are low quality), shape ``(n_modes,)``.

    >>> mode_histogram([[2.0, 0.0], [2.0, 0.01], [1.0, 1.0], [-2.0, 0.0]]).tolist()
    [0.5, 0.0, 0.0, 0.0, 0.25, 0.0, 0.0, 0.0]
    """
    modes = nearest_mode(points, **ring)
    n_modes = int(ring.get("n_modes", N_MODES))
    return np.bincount(modes[modes >= 0], minlength=n_modes) / len(modes)


def mean_pairwise_distance(points: np.ndarray | list, batch_size: int = 64) -> float:
    """The mean Euclidean distance between two different points of the same batch, averaged over
    consecutive batches of ``batch_size`` (a last, incomplete batch is dropped, unless it is the only one).

    >>> round(mean_pairwise_distance([[0, 0], [3, 4]], batch_size=2), 3)
    5.0
    >>> mean_pairwise_distance(np.ones((128, 2)))
    0.0
    """
    x = _check_points(points)
    if not isinstance(batch_size, int) or batch_size < 2:
        raise ValueError(f"batch_size must be an integer ≥ 2 (pairs need two points), got {batch_size!r}.")
    if len(x) < 2:
        raise ValueError("need at least two points to measure a distance between them.")
    size = min(batch_size, len(x))
    means = []
    for start in range(0, len(x) - size + 1, size):
        batch = x[start:start + size]
        d = np.linalg.norm(batch[:, None, :] - batch[None, :, :], axis=2)
        means.append(d.sum() / (size * (size - 1)))
    return float(np.mean(means))


@dataclass(frozen=True)
class RingScore:
    """Diversity and quality of a set of 2-D samples on the ring (see the module docstring)."""

    modes_covered: int            # modes holding at least ``min_share`` of the samples
    n_modes: int
    high_quality: float           # share of samples within ``within`` standard deviations of a mode
    histogram: tuple[float, ...]  # share of the samples at each mode
    pairwise: float               # mean pairwise distance within a batch
    n: int
    min_share: float = MIN_SHARE

    def __str__(self) -> str:
        return (f"{self.modes_covered}/{self.n_modes} modes covered (≥ {self.min_share:.0%} of samples each), "
                f"{self.high_quality:.0%} high-quality samples, mean pairwise distance in a batch "
                f"{self.pairwise:.2f} ({self.n:,} samples)")


def ring_score(points: np.ndarray | list, *, batch_size: int = 64, min_share: float = MIN_SHARE,
               n_modes: int = N_MODES, radius: float = RADIUS, std: float = STD,
               within: float = WITHIN) -> RingScore:
    """Modes covered, the high-quality share and the mean pairwise distance within a batch.

    >>> score = ring_score(np.tile([[2.0, 0.0]], (100, 1)))   # every sample on one mode
    >>> score.modes_covered, score.high_quality, score.pairwise
    (1, 1.0, 0.0)
    """
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share!r}.")
    x = _check_points(points)
    histogram = mode_histogram(x, n_modes=n_modes, radius=radius, std=std, within=within)
    return RingScore(int(np.sum(histogram >= min_share)), n_modes, float(histogram.sum()),
                     tuple(float(h) for h in histogram), mean_pairwise_distance(x, batch_size), len(x),
                     min_share)
