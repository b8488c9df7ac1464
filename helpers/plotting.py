"""Plotting: one consistent style, learning curves from a Keras History, and image grids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from helpers.runtime import check_int

_STYLE: dict[str, Any] = {
    "figure.figsize": (8, 4),
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "image.cmap": "binary",
}


def set_style() -> None:
    """Apply the course's plot style (readable on a projector) to matplotlib."""
    mpl.rcParams.update(_STYLE)


def _history_dict(history: Any) -> Mapping[str, Sequence[float]]:
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping) or not data:
        raise ValueError(
            "plot_history needs the History returned by model.fit() (or its .history dict); "
            f"got {type(history).__name__} with no recorded metrics."
        )
    return data


def plot_history(
    *histories: Any,
    labels: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    title: str | None = None,
) -> plt.Figure:
    """Plot learning curves: one panel per metric, training solid, validation dashed.

    Several histories (e.g. two models, or two training phases) share the panels; ``labels``
    names them. ``metrics`` defaults to every metric of the first history that is not a
    ``val_`` metric.

    >>> fig = plot_history({"loss": [2.0, 1.5], "val_loss": [2.1, 1.7]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss']
    """
    if not histories:
        raise ValueError("plot_history needs at least one History.")
    dicts = [_history_dict(h) for h in histories]
    if labels is not None and len(labels) != len(dicts):
        raise ValueError(f"got {len(dicts)} histories but {len(labels)} labels.")
    if metrics is None:
        metrics = [k for k in dicts[0] if not k.startswith("val_") and k != "learning_rate"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for i, data in enumerate(dicts):
            color = f"C{i}"
            name = labels[i] if labels else ""
            for key, style, part in ((metric, "-", "train"), (f"val_{metric}", "--", "valid")):
                if key in data:
                    values = np.asarray(data[key], dtype=float)
                    epochs = np.arange(1, len(values) + 1)
                    ax.plot(epochs, values, style, color=color, marker=".",
                            label=f"{name} {part}".strip())
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def image_grid(
    images: Any,
    labels: Sequence[str] | None = None,
    *,
    ncols: int = 8,
    cmap: str = "binary",
    title: str | None = None,
    size: float = 1.3,
) -> plt.Figure:
    """Show images (``(n, h, w)`` or ``(n, h, w, c)``, values in [0, 1] or 0-255) in a grid.

    >>> fig = image_grid(np.zeros((3, 28, 28)), labels=["a", "b", "c"], ncols=2)
    >>> len(fig.axes)
    4
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"image_grid needs (n, h, w) or (n, h, w, c) images; got {images.shape}.")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels.")
    ncols = max(1, min(ncols, len(images)))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3 * bool(title)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None)
            if labels is not None:
                ax.set_title(labels[i], fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _as_images(array: Any, what: str) -> np.ndarray:
    """``array`` as ``(n, h, w)`` or ``(n, h, w, 3|4)`` images; ``(n, h*w)`` rows become squares."""
    images = np.asarray(array)
    if images.ndim == 2 and images.shape[1] > 0 and round(images.shape[1] ** 0.5) ** 2 == images.shape[1]:
        side = round(images.shape[1] ** 0.5)
        images = images.reshape(len(images), side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (3, 4)):
        raise ValueError(
            f"reconstructions: {what} must be (n, h, w), (n, h, w, 1|3|4) or flattened square "
            f"(n, h*w) images; got shape {images.shape}."
        )
    return images


def reconstructions(
    originals: Any,
    *rows: Any,
    row_titles: Sequence[str] | None = None,
    n: int = 8,
    title: str | None = None,
    size: float = 1.2,
) -> plt.Figure:
    """Show ``n`` original images on the top row and, below, each model's outputs for them.

    ``rows`` are arrays of images in the same order as ``originals`` (reconstructions, noisy
    inputs, ...). ``row_titles`` names every row, originals included (default: "original",
    then "reconstruction" or "reconstruction 1", "reconstruction 2", ...). Images may be
    ``(n, h, w)``, ``(n, h, w, 1)``, ``(n, h, w, 3)`` or flattened ``(n, h*w)``; float images are
    shown on a 0-1 scale (values outside are clipped on screen, not in the data), integer
    images on 0-255.

    >>> x = np.zeros((8, 28, 28))
    >>> fig = reconstructions(x, x + 0.5, row_titles=["original", "model"], n=4)
    >>> len(fig.axes), fig.axes[4].get_ylabel()
    (8, 'model')
    """
    check_int("n", n, 1, " (reconstructions: images per row)")
    if not rows:
        raise ValueError("reconstructions needs the originals and at least one row of outputs, "
                         "e.g. reconstructions(x, model.predict(x)).")
    shown = [_as_images(originals, "originals")] + [
        _as_images(row, f"row {i}") for i, row in enumerate(rows, start=1)]
    n = min(int(n), len(shown[0]))
    if n == 0:
        raise ValueError("reconstructions: originals holds no images.")
    for i, images in enumerate(shown[1:], start=1):
        if len(images) < n:
            raise ValueError(f"reconstructions: row {i} has {len(images)} images; it needs at least {n} "
                             "(one per original shown).")
    if row_titles is None:
        row_titles = ["original"] + (["reconstruction"] if len(rows) == 1 else
                                     [f"reconstruction {i}" for i in range(1, len(rows) + 1)])
    if len(row_titles) != len(shown):
        raise ValueError(f"reconstructions: got {len(shown)} rows (originals included) but "
                         f"{len(row_titles)} row_titles.")
    vmax = 255 if any(np.issubdtype(images.dtype, np.integer) for images in shown) else 1.0
    fig, axes = plt.subplots(len(shown), n, squeeze=False,
                             figsize=(size * n + 1.4, size * len(shown) + 0.3 * bool(title)))
    for r, (images, row_title) in enumerate(zip(shown, row_titles)):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c], cmap="binary" if images.ndim == 3 else None, vmin=0, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[r, 0].set_ylabel(row_title, rotation=0, ha="right", va="center", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_scores(
    curves: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    *,
    floor: float,
    ceiling: float,
    n: int,
    title: str | None = None,
) -> plt.Figure:
    """Plot quality scores (Fréchet distance, lower is better) per epoch, with the floor and ceiling as lines.

    ``curves`` maps a label to ``(epochs, scores)``, e.g. ``{"VAE": (history.epochs, history.fids)}``
    for a ``quality.ScoreHistory``. The y axis is logarithmic so that the floor stays visible.

    >>> fig = plot_scores({"a": ([0, 1, 2], [90.0, 20.0, 10.0])}, floor=1.0, ceiling=100.0, n=1000)
    >>> fig.axes[0].get_yscale()
    'log'
    """
    if not curves:
        raise ValueError("plot_scores needs at least one curve.")
    if not 0 < floor < ceiling:
        raise ValueError(f"need 0 < floor < ceiling, got floor={floor}, ceiling={ceiling}.")
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, (label, (epochs, scores)) in enumerate(curves.items()):
        if len(epochs) != len(scores) or not len(scores):
            raise ValueError(f"{label}: {len(epochs)} epochs but {len(scores)} scores.")
        ax.plot(epochs, scores, "-o", color=f"C{i}", label=label, markersize=4)
    ax.axhline(ceiling, color="0.3", linestyle="--", label=f"ceiling (trivial generator) {ceiling:.1f}")
    ax.axhline(floor, color="C2", linestyle=":", label=f"floor (real vs real) {floor:.2f}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"Fréchet distance ({n:,} samples)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=9, loc="center right")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_attention(weights: Any, source_words: Sequence[str], target_words: Sequence[str], *,
                   ax: Any = None, title: str | None = None) -> Any:
    """Heatmap of attention weights: one row per output word, one column per input word.

    ``weights`` has shape ``(len(target_words), len(source_words))`` (larger arrays are cut).
    Returns the matplotlib Axes.
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2:
        raise ValueError(f"weights must be 2-D (target, source), got shape {w.shape}.")
    if w.shape[0] < len(target_words) or w.shape[1] < len(source_words):
        raise ValueError(f"weights {w.shape} smaller than {len(target_words)} target × "
                         f"{len(source_words)} source words.")
    w = w[: len(target_words), : len(source_words)]
    if ax is None:
        _, ax = plt.subplots(figsize=(0.6 * len(source_words) + 2, 0.45 * len(target_words) + 1.5))
    ax.imshow(w, cmap="viridis", vmin=0, aspect="auto")
    ax.set_xticks(range(len(source_words)), source_words, rotation=45, ha="right")
    ax.set_yticks(range(len(target_words)), target_words)
    ax.grid(False)
    ax.set_xlabel("input (English)")
    ax.set_ylabel("output (Spanish)")
    if title:
        ax.set_title(title)
    return ax


def plot_bleu_by_length(rows_by_model: Mapping[str, Sequence[Mapping[str, Any]]], *,
                        title: str = "BLEU by sentence length", ax: Any = None) -> Any:
    """One line per model of ``metrics.bleu_by_length`` rows: BLEU against the length bucket.

    Each bucket's label shows how many sentences it holds. Returns the matplotlib Figure.
    """
    if not rows_by_model:
        raise ValueError("rows_by_model is empty: give {model name: metrics.bleu_by_length(...)}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    for name, rows in rows_by_model.items():
        if not rows:
            raise ValueError(f"no buckets for {name!r}: was metrics.bleu_by_length given any sentence?")
        ax.plot([f"{r['bucket']}\n({r['n']})" for r in rows], [r["bleu"] for r in rows],
                marker="o", label=name)
    ax.set_xlabel("English sentence length in words (sentences)")
    ax.set_ylabel("BLEU")
    ax.set_title(title)
    ax.legend()
    return ax.figure


def score_panels(
    curves: Mapping[str, Sequence[tuple[int, Any]]],
    *,
    floor: float,
    ceiling: float | None = None,
    bad: float | None = None,
    title: str | None = None,
) -> plt.Figure:
    """Three panels per epoch for generative models: the Fréchet distance, the share of samples the
    quality classifier recognises, and how many classes those recognised samples cover.

    ``curves`` maps a label to ``(epoch, quality.Score)`` pairs, as ``ScoreHistory.by_epoch`` or a
    ``gan.GanTrainer`` run's ``"scores"`` gives them. ``floor`` (real images), ``ceiling`` (a trivial
    generator) and ``bad`` (a realistic bad reference, such as real images blurred) are drawn as lines
    on the Fréchet panel. Coverage alone trusts the classifier's argmax even on a blotch; the middle
    panel says how much of it to believe.
    """
    if not curves:
        raise ValueError("score_panels needs at least one curve: {label: [(epoch, Score), ...]}.")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.3))
    for i, (label, pairs) in enumerate(curves.items()):
        if not len(pairs):
            raise ValueError(f"{label}: no (epoch, Score) pairs to plot.")
        epochs = [epoch for epoch, _ in pairs]
        scores = [score for _, score in pairs]
        axes[0].plot(epochs, [s.fid for s in scores], ".-", color=f"C{i}", label=label)
        axes[1].plot(epochs, [s.confident_share for s in scores], ".-", color=f"C{i}", label=label)
        covered = [s.confident_coverage.covered if s.confident_coverage is not None else np.nan
                   for s in scores]
        axes[2].plot(epochs, covered, ".-", color=f"C{i}", label=label)
    axes[0].axhline(floor, color="gray", linestyle=":", label="floor (real images)")
    if bad is not None:
        axes[0].axhline(bad, color="C3", linestyle="-.", label="real images blurred")
    if ceiling is not None:
        axes[0].axhline(ceiling, color="gray", linestyle="--", label="ceiling (trivial generator)")
    axes[0].set(title="Fréchet distance (lower is better)", xlabel="epoch", yscale="log")
    axes[1].set(title="share recognised (p ≥ 0.9)", xlabel="epoch", ylim=(0, 1.02))
    axes[2].set(title="classes ≥ 5% among the recognised", xlabel="epoch", ylim=(0, 10.5))
    for ax in axes:
        ax.legend(fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
