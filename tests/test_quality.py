"""Tests for helpers.quality: the Fréchet distance, class coverage, input checks and the scorer."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from helpers import data, quality


# --------------------------------------------------------------------------- Fréchet distance


def _frechet(a, b):
    """The Fréchet distance between two feature sets, as QualityScorer.score computes it."""
    return quality._frechet_from_stats(*quality._gaussian(quality._check_features(a, "first")),
                                       *quality._gaussian(quality._check_features(b, "second")))


def test_frechet_distance_is_zero_for_identical_sets_and_symmetric():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 8))
    b = rng.normal(loc=0.5, scale=2.0, size=(300, 8))
    assert _frechet(a, a) == pytest.approx(0.0, abs=1e-8)
    assert _frechet(a, b) == pytest.approx(_frechet(b, a), rel=1e-9)
    assert _frechet(a, b) > 1.0


def test_frechet_distance_matches_the_closed_form_for_gaussians():
    # N(0, I) vs N(m, s² I) in d dimensions: |m|² + d (1 + s² - 2 s).
    mu1, cov1 = np.zeros(3), np.eye(3)
    mu2, cov2 = np.array([1.0, 2.0, 0.0]), 4.0 * np.eye(3)
    expected = 5.0 + 3 * (1 + 4 - 2 * 2)
    assert quality._frechet_from_stats(mu1, cov1, mu2, cov2) == pytest.approx(expected)
    # Non-commuting covariances: compare with the eigenvalue definition of tr((C1 C2)^½).
    rng = np.random.default_rng(1)
    m1, m2 = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    c1, c2 = m1 @ m1.T + np.eye(4), m2 @ m2.T + np.eye(4)
    trace_sqrt = np.sqrt(np.linalg.eigvals(c1 @ c2).real).sum()
    assert quality._frechet_from_stats(np.zeros(4), c1, np.zeros(4), c2) == pytest.approx(
        np.trace(c1) + np.trace(c2) - 2 * trace_sqrt, rel=1e-9)


def test_frechet_distance_grows_with_the_shift():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(1000, 4))
    distances = [_frechet(a, a + shift) for shift in (0.1, 0.5, 1.0)]
    assert distances == sorted(distances)
    assert distances[-1] == pytest.approx(4.0, rel=1e-6)


@pytest.mark.parametrize("a, b, message", [
    (np.zeros((10, 20)), np.zeros((100, 20)), "more samples than dimensions"),
    (np.full((100, 4), np.nan), np.zeros((100, 4)), "NaN"),
    (np.zeros(100), np.zeros(100), "2-D"),
])
def test_frechet_distance_rejects_bad_feature_sets(a, b, message):
    with pytest.raises(ValueError, match=message):
        _frechet(a, b)


# --------------------------------------------------------------------------- coverage and checks


def test_one_class_gets_low_coverage_and_uniform_classes_full_coverage():
    one = quality.class_coverage(np.full(500, 3))
    assert (one.covered, one.entropy_bits, one.share_covered) == (1, 0.0, 0.1)
    uniform = quality.class_coverage(np.arange(1000) % 10)
    assert uniform.covered == 10 and uniform.entropy_bits == pytest.approx(math.log2(10))
    # a class with 4% of the samples is not covered at the default 5%
    labels = np.array([0] * 96 + [1] * 4)
    assert quality.class_coverage(labels).covered == 1
    assert quality.class_coverage(labels, min_share=0.04).covered == 2


@pytest.mark.parametrize("labels", [[], [[0, 1]], [0.5, 1.0], [0, 10], [-1, 2]])
def test_class_coverage_rejects_bad_labels(labels):
    with pytest.raises(ValueError):
        quality.class_coverage(np.asarray(labels))


@pytest.mark.parametrize("images, message", [
    (np.zeros((4, 32, 32)), "Fashion-MNIST-shaped"),
    (np.zeros((4, 28, 28, 3)), "Fashion-MNIST-shaped"),
    (np.zeros((0, 28, 28)), "no images"),
    (np.zeros((4, 28, 28), dtype=np.uint8), "divide by 255"),
    (np.full((4, 28, 28), np.nan), "NaN"),
    (np.full((4, 28, 28), -0.5), r"\(x \+ 1\) / 2"),
    (np.full((4, 28, 28), 3.0), r"\[0, 1\]"),
    (np.array([["a"] * 784]), "numeric"),
])
def test_check_images_says_what_to_do(images, message):
    with pytest.raises(ValueError, match=message):
        quality._check_images(images)


def test_check_images_accepts_the_three_layouts():
    flat = np.random.default_rng(0).uniform(size=(3, 784))
    for layout in (flat, flat.reshape(3, 28, 28), flat.reshape(3, 28, 28, 1)):
        out = quality._check_images(layout)
        assert out.shape == (3, 28, 28, 1) and out.dtype == np.float32
        np.testing.assert_allclose(out.reshape(3, -1), flat, rtol=1e-6)


# --------------------------------------------------------------------------- the scorer


@pytest.fixture(scope="module")
def fashion():
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    return (x_train / 255.0).astype("float32"), y_train, (x_test / 255.0).astype("float32"), y_test


@pytest.fixture(scope="module")
def scorer(fashion):
    """A scorer built on a quickly trained classifier (the real one is trained by load_scorer)."""
    x_train, y_train, x_test, _ = fashion
    keras.utils.set_random_seed(0)
    model = quality._build_classifier(seed=0, steps=8000 // 128)
    model.fit(x_train[:8000, ..., None], y_train[:8000], epochs=1, batch_size=128, verbose=0)
    return quality.QualityScorer(model, x_test[:3000], x_train[:10000], test_accuracy=0.0, seed=0)


def test_floor_is_small_and_ceiling_large_for_the_same_sample_count(scorer):
    base = scorer.baselines(500)
    assert base.n == 500 and base.ceiling == min(base.noise, base.mean_image)
    assert len(base.floor_draws) == 5 and len(set(base.floor_draws)) == 5  # five different draws
    assert min(base.floor_draws) <= base.floor <= max(base.floor_draws)
    assert max(base.floor_draws) < base.ceiling / 10, str(base)
    assert scorer.baselines(500) is base  # cached per sample count
    assert "floor" in str(base) and "ceiling" in str(base)


def test_real_images_score_near_the_floor_and_one_class_has_low_coverage(scorer, fashion):
    x_train, y_train, *_ = fashion
    real = scorer.score(x_train[20000:20500])
    assert real.fid < scorer.baselines(500).ceiling / 10
    assert real.coverage.covered >= 9
    one_class = scorer.score(x_train[y_train == 7][:500])  # sneakers only
    assert one_class.coverage.covered <= 2 and one_class.coverage.entropy_bits < 1.0
    assert one_class.fid > 5 * real.fid


def test_scorer_rejects_bad_samples_clearly(scorer):
    with pytest.raises(ValueError, match="more samples than dimensions"):
        scorer.score(np.zeros((100, 28, 28), dtype="float32"))
    with pytest.raises(ValueError, match="NaN"):
        scorer.score(np.full((200, 28, 28), np.nan, dtype="float32"))
    with pytest.raises(ValueError, match="tanh"):
        scorer.score(np.full((200, 28, 28), -1.0, dtype="float32"))
    with pytest.raises(ValueError, match="above the feature dimension"):
        scorer.baselines(50)
    with pytest.raises(ValueError, match="draws"):
        scorer.baselines(500, draws=0)
    with pytest.raises(ValueError, match="real training images"):
        scorer.baselines(10**6)


def test_predicted_classes_match_the_classifier(scorer, fashion):
    _, _, x_test, y_test = fashion
    predicted = scorer.predict_classes(x_test[:500])
    assert predicted.shape == (500,) and set(np.unique(predicted)) <= set(range(10))
    assert np.mean(predicted == y_test[:500]) > 0.6  # one epoch on 8,000 images already does this


@pytest.mark.slow  # over 10 s on 2 cores: trains a classifier
def test_load_scorer_caches_the_classifier_and_refuses_a_weak_one(tmp_path, monkeypatch):
    """Trains (a deliberately tiny stand-in), caches it, loads it back; a weak classifier is refused."""
    def tiny(seed=0, steps=1):
        inputs = keras.Input((28, 28, 1))
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(130, activation="relu", name=quality._FEATURE_LAYER)(x)
        model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    def train_here(path, *, epochs, seed, cache_dir):  # in this process, so the stand-in is used
        (x, y), _ = data.load_fashion_mnist(cache_dir=cache_dir)
        model = tiny()
        model.fit((x[:8000] / 255.0)[..., None], y[:8000], epochs=epochs, verbose=0)
        model.save(path)

    monkeypatch.setattr(quality, "train_classifier", train_here)
    monkeypatch.setenv(data.MIRROR_ENV, str(_mirror()))
    logs: list[str] = []
    monkeypatch.setattr(quality, "_MIN_TEST_ACCURACY", 0.5)
    first = quality.load_scorer(cache_dir=tmp_path, epochs=1, log=logs.append)
    assert "trained for 1 epochs (in a separate process) and cached" in logs[-1]
    assert first.test_accuracy > 0.5
    cached = list(tmp_path.rglob("quality-classifier-*.keras"))
    assert len(cached) == 1 and not list(tmp_path.rglob("*.tmp.keras"))
    second = quality.load_scorer(cache_dir=tmp_path, log=logs.append)
    assert "loaded from the cache" in logs[-1]
    assert second.test_accuracy == pytest.approx(first.test_accuracy)
    cached[0].write_bytes(b"not a keras file")
    quality.load_scorer(cache_dir=tmp_path, epochs=1, log=logs.append)
    assert "training it again" in logs[-2] and "trained" in logs[-1]
    monkeypatch.setattr(quality, "_MIN_TEST_ACCURACY", 0.999)
    with pytest.raises(RuntimeError, match="retrain=True"):
        quality.load_scorer(cache_dir=tmp_path, log=logs.append)


@pytest.mark.slow  # about 20 s on 2 cores: one epoch of the real classifier
def test_the_classifier_trains_in_its_own_process_and_leaves_the_callers_random_streams(tmp_path,
                                                                                       monkeypatch):
    monkeypatch.setenv(data.MIRROR_ENV, str(_mirror()))
    keras.utils.set_random_seed(3)
    expected = (np.random.rand(), float(keras.random.uniform(())))
    keras.utils.set_random_seed(3)
    path = quality.train_classifier(tmp_path / "clf.keras", epochs=1, seed=0, cache_dir=tmp_path)
    assert (np.random.rand(), float(keras.random.uniform(()))) == expected  # as if nothing ran
    model = keras.models.load_model(path)
    assert model.get_layer(quality._FEATURE_LAYER).units == 128
    (_, _), (x_test, y_test) = data.load_fashion_mnist(cache_dir=tmp_path)
    predicted = model.predict((x_test[:1000] / 255.0)[..., None], verbose=0).argmax(axis=1)
    assert np.mean(predicted == y_test[:1000]) > 0.8


def _mirror():
    import os
    from pathlib import Path

    return Path(os.environ.get(data.MIRROR_ENV) or Path(__file__).resolve().parents[2] / "shared" / "data")


# --------------------------------------------------------------------------- ScoreHistory


class _FakeScorer:
    """Stands for QualityScorer: the 'Fréchet distance' is the mean pixel of the images it is given."""

    def score(self, images):
        return quality.Score(float(np.mean(images)), quality.class_coverage([0, 1, 1]), len(images))


def _tiny_fit(callback, epochs):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=epochs, verbose=0, callbacks=[callback])


def test_score_history_scores_before_training_every_k_epochs_and_at_the_end():
    calls = []

    def sample(n):
        calls.append(n)
        return np.full((n, 28, 28), len(calls) / 10)  # a different image set at every call

    lines = []
    history = quality.ScoreHistory(_FakeScorer(), sample, n=200, every=2, log=lines.append)
    _tiny_fit(history, epochs=5)
    assert history.epochs == [0, 2, 4, 5] and calls == [200] * 4  # 5: the last epoch of the fit
    np.testing.assert_allclose(history.fids, [0.1, 0.2, 0.3, 0.4])
    assert history.coverage == [2] * 4 and [e for e, _ in history.by_epoch] == history.epochs
    assert lines[0].startswith("epoch 0: Fréchet distance 0.10, 2/10 classes")
    _tiny_fit(history, epochs=2)  # a second fit goes on counting and does not score epoch 0 again
    assert history.epochs == [0, 2, 4, 5, 6, 7]


@pytest.mark.parametrize("kwargs, message", [({"n": 100}, "above the feature dimension"),
                                             ({"n": 200, "every": 0}, "every must be an integer ≥ 1")])
def test_score_history_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        quality.ScoreHistory(_FakeScorer(), lambda n: np.zeros((n, 28, 28)), **kwargs)
