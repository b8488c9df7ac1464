"""Tests for helpers.plotting: learning curves, image grids and the course style."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from helpers.plotting import _STYLE, image_grid, plot_history, score_panels, set_style  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    with mpl.rc_context():  # set_style must not leak into other tests
        yield
    plt.close("all")


HISTORY = {
    "loss": [2.0, 1.5, 1.2],
    "accuracy": [0.3, 0.5, 0.6],
    "val_loss": [2.1, 1.7, 1.6],
    "val_accuracy": [0.25, 0.45, 0.5],
    "learning_rate": [0.01, 0.01, 0.005],
}


def _lines(ax):
    return [(line.get_linestyle(), list(line.get_xdata()), list(line.get_ydata()),
             line.get_label(), to_hex(line.get_color())) for line in ax.get_lines()]


# --------------------------------------------------------------------------- plot_history


def test_plot_history_one_panel_per_metric_train_solid_val_dashed():
    fig = plot_history(HISTORY, title="Run 1")
    assert isinstance(fig, plt.Figure)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]  # no learning_rate
    for ax, metric in zip(fig.axes, ["loss", "accuracy"]):
        (train_style, train_x, train_y, train_label, c1), (val_style, val_x, val_y, val_label, c2) \
            = _lines(ax)
        assert (train_style, val_style) == ("-", "--")
        assert train_x == val_x == [1, 2, 3]
        assert train_y == HISTORY[metric]
        assert val_y == HISTORY[f"val_{metric}"]
        assert (train_label, val_label) == ("train", "valid")
        assert c1 == c2  # one colour per history
        assert ax.get_xlabel() == "epoch"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "valid"]
    assert fig._suptitle.get_text() == "Run 1"


def test_plot_history_metrics_argument_and_missing_validation():
    fig = plot_history({"loss": [1.0, 0.5], "mae": [0.9, 0.4], "val_mae": [1.0, 0.8]},
                       metrics=["mae"])
    assert [ax.get_title() for ax in fig.axes] == ["mae"]
    assert [line[2] for line in _lines(fig.axes[0])] == [[0.9, 0.4], [1.0, 0.8]]
    fig = plot_history({"loss": [1.0, 0.5, 0.25]})  # no validation: only the solid line
    assert [(style, y) for style, _, y, _, _ in _lines(fig.axes[0])] == [("-", [1.0, 0.5, 0.25])]


def test_plot_history_several_histories_share_panels():
    first = {"loss": [1.0, 0.8], "val_loss": [1.1, 0.9]}
    second = {"loss": [0.7, 0.6, 0.5], "val_loss": [0.8, 0.75, 0.7]}
    fig = plot_history(first, second, labels=["frozen", "fine-tuned"])
    assert len(fig.axes) == 1
    lines = _lines(fig.axes[0])
    assert [(style, label) for style, _, _, label, _ in lines] == [
        ("-", "frozen train"), ("--", "frozen valid"),
        ("-", "fine-tuned train"), ("--", "fine-tuned valid")]
    assert [y for _, _, y, _, _ in lines] == [first["loss"], first["val_loss"],
                                               second["loss"], second["val_loss"]]
    assert lines[2][1] == [1, 2, 3]
    colours = [c for *_, c in lines]
    assert colours[0] == colours[1] != colours[2] == colours[3]


@pytest.mark.parametrize("labels", [["only one"], ["a", "b", "c"], []])
def test_plot_history_label_count_mismatch(labels):
    with pytest.raises(ValueError, match="2 histories"):
        plot_history(HISTORY, HISTORY, labels=labels)


@pytest.mark.parametrize("args", [(), ({},), (None,), ([1, 2, 3],)])
def test_plot_history_needs_a_history(args):
    with pytest.raises(ValueError):
        plot_history(*args)


def test_plot_history_accepts_a_keras_history():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    history = model.fit(x, x[:, :1], validation_split=0.25, epochs=2, batch_size=8, verbose=0)
    fig = plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    for ax, metric in zip(fig.axes, ["loss", "mae"]):
        ys = [y for _, _, y, _, _ in _lines(ax)]
        np.testing.assert_allclose(ys, [history.history[metric], history.history[f"val_{metric}"]])


# --------------------------------------------------------------------------- image_grid


def test_image_grid_shows_each_image_in_order():
    images = np.random.default_rng(0).random((5, 6, 4))
    fig = image_grid(images, labels=list("abcde"), ncols=2, title="digits")
    assert len(fig.axes) == 6  # 3 rows x 2 columns
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5
    for ax, image, label in zip(shown, images, "abcde"):
        np.testing.assert_array_equal(ax.images[0].get_array(), image)
        assert ax.get_title() == label
        assert ax.images[0].get_cmap().name == "binary"
        assert not ax.axison
    assert len(fig.axes[5].images) == 0 and not fig.axes[5].axison
    assert fig._suptitle.get_text() == "digits"


def test_image_grid_columns_are_capped_by_image_count():
    fig = image_grid(np.zeros((3, 4, 4)))
    assert len(fig.axes) == 3
    assert all(ax.get_title() == "" for ax in fig.axes)
    assert len(image_grid(np.zeros((3, 4, 4)), ncols=0).axes) == 3  # one column, three rows


def test_image_grid_squeezes_single_channel():
    images = np.arange(2 * 3 * 3, dtype=float).reshape(2, 3, 3, 1)
    fig = image_grid(images, cmap="gray")
    for ax, image in zip(fig.axes, images):
        data = ax.images[0].get_array()
        assert data.shape == (3, 3)
        np.testing.assert_array_equal(data, image[..., 0])
        assert ax.images[0].get_cmap().name == "gray"


def test_image_grid_shows_colour_images_as_rgb():
    images = np.random.default_rng(1).integers(0, 256, size=(2, 4, 4, 3)).astype(np.uint8)
    fig = image_grid(images)
    for ax, image in zip(fig.axes, images):
        data = ax.images[0].get_array()
        assert data.shape == (4, 4, 3)
        np.testing.assert_array_equal(data, image)


@pytest.mark.parametrize("shape", [(4, 4), (8,), (1, 2, 3, 4, 5), (0, 4, 4), (0, 4, 4, 3)])
def test_image_grid_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match=r"\(n, h, w\)"):
        image_grid(np.zeros(shape))


@pytest.mark.parametrize("labels", [["a"], ["a", "b", "c", "d"]])
def test_image_grid_label_count_mismatch(labels):
    with pytest.raises(ValueError, match="3 images but"):
        image_grid(np.zeros((3, 4, 4)), labels=labels)


# --------------------------------------------------------------------------- set_style


def test_set_style_applies_rc_params():
    mpl.rcdefaults()
    assert mpl.rcParams["axes.grid"] is False
    set_style()
    for key, value in _STYLE.items():
        got = mpl.rcParams[key]
        if isinstance(value, tuple):
            assert tuple(got) == value, key
        else:
            assert got == value, key
    fig, ax = plt.subplots()
    assert tuple(fig.get_size_inches()) == (8.0, 4.0)
    assert not ax.spines["top"].get_visible()


# --------------------------------------------------------------------------- reconstructions

from helpers.plotting import reconstructions  # noqa: E402


def _row(fig, r, n):
    return fig.axes[r * n:(r + 1) * n]


def test_reconstructions_originals_on_top_each_row_below_with_titles():
    rng = np.random.default_rng(0)
    originals, first, second = rng.random((3, 10, 5, 5))
    fig = reconstructions(originals, first, second, row_titles=["original", "2-D", "30-D"], n=4,
                          title="codings")
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 3 * 4
    for r, (images, name) in enumerate([(originals, "original"), (first, "2-D"), (second, "30-D")]):
        row = _row(fig, r, 4)
        assert row[0].get_ylabel() == name
        assert all(ax.get_ylabel() == "" for ax in row[1:])
        for c, ax in enumerate(row):
            np.testing.assert_array_equal(ax.images[0].get_array(), images[c])
            assert ax.images[0].get_cmap().name == "binary"
            assert ax.images[0].get_clim() == (0, 1.0)
            assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    assert fig._suptitle.get_text() == "codings"


def test_reconstructions_default_titles():
    x = np.zeros((3, 4, 4))
    fig = reconstructions(x, x)
    assert len(fig.axes) == 2 * 3  # n is capped by the number of originals
    assert [fig.axes[0].get_ylabel(), fig.axes[3].get_ylabel()] == ["original", "reconstruction"]
    fig = reconstructions(x, x, x, n=2)
    assert [fig.axes[i].get_ylabel() for i in (0, 2, 4)] == [
        "original", "reconstruction 1", "reconstruction 2"]


def test_reconstructions_accepts_flat_and_channel_images_and_keeps_values():
    rng = np.random.default_rng(1)
    originals = rng.random((4, 6, 6, 1))
    flat = rng.random((4, 36)) * 1.5 - 0.2  # out-of-range values are shown clipped, not changed
    fig = reconstructions(originals, flat, n=3)
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), originals[1, ..., 0])
    np.testing.assert_array_equal(fig.axes[3 + 2].images[0].get_array(), flat[2].reshape(6, 6))


def test_reconstructions_uint8_images_use_the_0_255_scale():
    images = np.full((2, 3, 3), 200, dtype=np.uint8)
    fig = reconstructions(images, images)
    assert fig.axes[0].images[0].get_clim() == (0, 255)


def test_reconstructions_rows_may_hold_more_images_than_shown():
    x = np.arange(5 * 2 * 2, dtype=float).reshape(5, 2, 2) / 20
    fig = reconstructions(x[:2], x, n=8)
    assert len(fig.axes) == 4
    np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), x[1])


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=0), "n must be an integer ≥ 1"),
    (dict(n=2.5), "n must be an integer ≥ 1"),
    (dict(row_titles=["only one"]), "2 rows .* 1 row_titles"),
    (dict(row_titles=["a", "b", "c"]), "2 rows .* 3 row_titles"),
])
def test_reconstructions_rejects_bad_arguments(kwargs, match):
    x = np.zeros((3, 4, 4))
    with pytest.raises(ValueError, match=match):
        reconstructions(x, x, **kwargs)


def test_reconstructions_rejects_missing_rows_shapes_and_short_rows():
    x = np.zeros((3, 4, 4))
    with pytest.raises(ValueError, match="at least one row"):
        reconstructions(x)
    with pytest.raises(ValueError, match="originals must be"):
        reconstructions(np.zeros((3, 5)), x)  # 5 is not a square
    with pytest.raises(ValueError, match="row 2 must be"):
        reconstructions(x, x, np.zeros((3, 4, 4, 2)))
    with pytest.raises(ValueError, match="row 1 has 2 images"):
        reconstructions(x, x[:2])
    with pytest.raises(ValueError, match="no images"):
        reconstructions(np.zeros((0, 4, 4)), x)


# --------------------------------------------------------------------------- plot_scores

from helpers.plotting import plot_scores  # noqa: E402


def test_plot_scores_draws_each_curve_and_the_floor_and_ceiling_lines():
    curves = {"VAE": ([0, 1, 2], [90.0, 30.0, 12.0]), "GAN": ([0, 2], [80.0, 8.0])}
    fig = plot_scores(curves, floor=1.5, ceiling=100.0, n=1_000, title="scores")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    for label, (epochs, scores) in curves.items():
        assert list(lines[label].get_xdata()) == epochs and list(lines[label].get_ydata()) == scores
    assert to_hex(lines["VAE"].get_color()) != to_hex(lines["GAN"].get_color())
    ceiling = lines["ceiling (trivial generator) 100.0"]
    floor = lines["floor (real vs real) 1.50"]
    assert list(ceiling.get_ydata()) == [100.0, 100.0] and list(floor.get_ydata()) == [1.5, 1.5]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "Fréchet distance (1,000 samples)"
    assert ax.get_title() == "scores"


@pytest.mark.parametrize("curves, kwargs, match", [
    ({}, dict(floor=1.0, ceiling=2.0), "at least one curve"),
    ({"a": ([0], [1.0])}, dict(floor=2.0, ceiling=1.0), "floor < ceiling"),
    ({"a": ([0, 1], [1.0])}, dict(floor=1.0, ceiling=2.0), "2 epochs but 1 scores"),
])
def test_plot_scores_rejects_bad_input(curves, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_scores(curves, n=10, **kwargs)


def test_plot_attention_draws_the_weights():
    from helpers.plotting import plot_attention

    weights = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.0, 0.1, 0.9], [0.3, 0.3, 0.4]])
    ax = plot_attention(weights, ["i", "like", "soccer"], ["me", "gusta", "fútbol"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["i", "like", "soccer"]
    np.testing.assert_allclose(ax.images[0].get_array(), weights[:3])  # cut to the words given
    with pytest.raises(ValueError, match="2-D"):
        plot_attention(np.ones(3), ["a"], ["b"])
    with pytest.raises(ValueError, match="smaller"):
        plot_attention(np.ones((1, 1)), ["a", "b"], ["c"])
    plt.close("all")


def test_plot_bleu_by_length_draws_one_line_per_model():
    from helpers.plotting import plot_bleu_by_length

    rows = {"LSTM": [{"bucket": "1-3", "n": 5, "bleu": 30.0}, {"bucket": "4+", "n": 2, "bleu": 10.0}],
            "attention": [{"bucket": "1-3", "n": 5, "bleu": 35.0}, {"bucket": "4+", "n": 2, "bleu": 25.0}]}
    fig = plot_bleu_by_length(rows, title="by length")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["LSTM", "attention"]
    assert list(ax.get_lines()[1].get_ydata()) == [35.0, 25.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1-3\n(5)", "4+\n(2)"]
    with pytest.raises(ValueError, match="empty"):
        plot_bleu_by_length({})
    plt.close("all")



def test_score_panels_show_the_recognised_share_beside_the_distance():
    from helpers import quality

    def score(fid, share, covered):
        coverage = quality.class_coverage(list(range(covered)) * 10)
        return quality.Score(fid, coverage, 200, confident_share=share, confident_coverage=coverage)

    curves = {"GAN": [(0, score(150.0, 0.05, 2)), (1, score(30.0, 0.6, 9))],
              "VAE": [(0, score(120.0, 0.1, 3)), (1, score(40.0, 0.7, 10))]}
    fig = score_panels(curves, floor=1.2, ceiling=160.0, bad=60.0, title="t")
    fid_ax, share_ax, classes_ax = fig.axes
    assert fid_ax.get_yscale() == "log"
    np.testing.assert_allclose(share_ax.lines[0].get_ydata(), [0.05, 0.6])
    np.testing.assert_allclose(classes_ax.lines[1].get_ydata(), [3, 10])
    assert {line.get_ydata()[0] for line in fid_ax.lines[2:]} == {1.2, 60.0, 160.0}
    with pytest.raises(ValueError, match="at least one curve"):
        score_panels({}, floor=1.0)
