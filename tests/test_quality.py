"""Tests for helpers.quality: the Fréchet distance, class coverage, input checks and the scorer."""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest

from helpers import data, lessons, quality


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



# --------------------------------------------------------------------------- confident predictions


def test_confident_share_counts_only_sure_predictions():
    probs = np.array([[0.95, 0.05, 0.0], [0.6, 0.4, 0.0], [0.0, 0.02, 0.98], [0.3, 0.3, 0.4]])
    assert quality.confident_share(probs) == 0.5
    assert quality.confident_share(probs, threshold=0.5) == 0.75
    assert quality.confident_share(probs, threshold=0.99) == 0.0
    assert quality.confident_share(probs, threshold=1.0) == 0.0
    assert quality.confident_share(np.eye(3), threshold=1.0) == 1.0


def test_confident_coverage_ignores_garbage_that_argmax_would_spread_over_classes():
    # 90 unsure samples spread over 9 classes (what argmax makes of blotches), 10 sure ones of class 0
    unsure = np.full((90, 10), 0.5 / 9)
    unsure[np.arange(90), np.arange(90) % 9 + 1] = 0.5
    sure = np.tile(np.eye(10)[0] * 0.97 + 0.003, (10, 1))
    probs = np.vstack([unsure, sure])
    assert quality.class_coverage(probs.argmax(axis=1)).covered == 10  # argmax: every class "covered"
    confident = quality.confident_coverage(probs)
    assert confident.covered == 1 and confident.entropy_bits == 0.0
    np.testing.assert_allclose(confident.histogram.sum(), quality.confident_share(probs))  # 0.1
    nobody = quality.confident_coverage(unsure)
    assert nobody.covered == 0 and nobody.entropy_bits == 0.0 and nobody.histogram.sum() == 0


@pytest.mark.parametrize("probs, kwargs, message", [
    (np.zeros((0, 10)), {}, "non-empty 2-D"),
    (np.full(10, 0.1), {}, "non-empty 2-D"),
    (np.array([[2.0, -1.0]]), {}, "not logits"),
    (np.array([[0.7, 0.7]]), {}, "sum to 1"),
    (np.array([[np.nan, 1.0]]), {}, "finite"),
    (np.eye(2), {"threshold": 0}, "threshold"),
    (np.eye(2), {"threshold": 1.5}, "threshold"),
])
def test_confident_share_rejects_bad_arguments(probs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        quality.confident_share(probs, **kwargs)
    with pytest.raises(ValueError, match=message):
        quality.confident_coverage(probs, **kwargs)


# --------------------------------------------------------------------------- precision and recall


def test_precision_recall_is_one_for_identical_sets_and_zero_for_disjoint_ones():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(500, 16))
    assert quality.precision_recall(real, real) == (1.0, 1.0)
    assert quality.precision_recall(real, real + 50.0) == (0.0, 0.0)
    # two draws of the same distribution: both high, though not 1 (k-NN balls miss some points)
    precision, recall = quality.precision_recall(real, rng.normal(size=(500, 16)))
    assert 0.6 < precision < 1 and 0.6 < recall < 1


def test_precision_recall_tells_realism_from_variety():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(600, 8))
    collapsed = real[:5].repeat(120, axis=0) + rng.normal(scale=1e-3, size=(600, 8))  # five real modes
    precision, recall = quality.precision_recall(real, collapsed)
    assert precision > 0.95 and recall < 0.1  # realistic but no variety
    spread = rng.normal(scale=3.0, size=(600, 8))  # covers the real set, mostly off it
    precision, recall = quality.precision_recall(real, spread)
    assert precision < 0.3 and recall > 0.9
    assert quality.precision_recall(real, real, k=1) == (1.0, 1.0)


@pytest.mark.parametrize("real, fake, k, message", [
    (np.zeros((10, 3)), np.zeros((10, 4)), 3, "differ in dimension"),
    (np.zeros((3, 2)), np.zeros((10, 2)), 3, "more than 3 samples"),
    (np.zeros((10, 2)), np.zeros((10, 2)), 0, "k must be an integer"),
    (np.zeros(10), np.zeros((10, 1)), 3, "one item per row"),
    (np.full((10, 2), np.inf), np.zeros((10, 2)), 3, "NaN or infinite"),
])
def test_precision_recall_rejects_bad_arguments(real, fake, k, message):
    with pytest.raises(ValueError, match=message):
        quality.precision_recall(real, fake, k=k)


# --------------------------------------------------------------------------- nearest training image


def test_nearest_distances_are_zero_for_exact_copies_and_match_brute_force():
    rng = np.random.default_rng(2)
    reference = rng.uniform(size=(300, 28, 28)).astype("float32")
    copies = reference[[5, 17, 299]]
    distances, indices = quality.nearest_neighbours(copies, reference)
    assert distances.tolist() == [0.0, 0.0, 0.0] and indices.tolist() == [5, 17, 299]
    samples = rng.uniform(size=(40, 784))
    brute = np.sqrt(((samples[:, None, :] - reference.reshape(1, 300, -1)) ** 2).sum(axis=2))
    distances, indices = quality.nearest_neighbours(samples, reference, batch=7, block=13)  # many blocks
    np.testing.assert_allclose(distances, brute.min(axis=1), rtol=1e-10)
    assert indices.tolist() == brute.argmin(axis=1).tolist()
    np.testing.assert_array_equal(quality.nearest_distances(samples, reference), distances)


@pytest.mark.parametrize("samples, reference, kwargs, message", [
    (np.zeros((2, 28, 28)), np.zeros((5, 27, 27)), {}, "differ in size"),
    (np.zeros((0, 4)), np.zeros((5, 4)), {}, "non-empty"),
    (np.zeros((2, 4)), np.full((5, 4), np.nan), {}, "NaN"),
    (np.zeros((2, 4)), np.zeros((5, 4)), {"batch": 0}, "batch must be an integer"),
])
def test_nearest_distances_rejects_bad_arguments(samples, reference, kwargs, message):
    with pytest.raises(ValueError, match=message):
        quality.nearest_distances(samples, reference, **kwargs)


# --------------------------------------------------------------------------- pixel PCA and blur


def test_pixel_pca_finds_the_directions_of_largest_variance():
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.normal(size=(20, 3)))[0].T  # three orthonormal directions in 20-D
    codes = rng.normal(size=(2000, 3)) * [5.0, 2.0, 1.0]
    points = codes @ basis + 0.3 + rng.normal(scale=0.01, size=(2000, 20))
    pca = quality.PixelPCA.fit(points, n_components=3, max_images=1500)
    np.testing.assert_allclose(pca.components @ pca.components.T, np.eye(3), atol=1e-10)
    ratio = pca.explained_variance_ratio
    assert list(ratio) == sorted(ratio, reverse=True) and 0.99 < ratio.sum() <= 1.0
    np.testing.assert_allclose(np.abs(pca.components @ basis.T), np.eye(3), atol=0.05)  # up to sign
    assert pca.transform(points).shape == (2000, 3)
    np.testing.assert_allclose(pca.transform(pca.mean[None]), 0.0, atol=1e-12)
    again = quality.PixelPCA.fit(points, n_components=3, max_images=1500)
    np.testing.assert_array_equal(again.components, pca.components)  # same subset, same signs
    with pytest.raises(ValueError, match="n_components=30"):
        quality.PixelPCA.fit(points, n_components=30)
    with pytest.raises(ValueError, match="fitted on 20"):
        pca.transform(np.zeros((2, 21)))


def test_gaussian_blur_matches_scipy_and_keeps_brightness():
    rng = np.random.default_rng(4)
    images = rng.uniform(size=(3, 28, 28)).astype("float32")
    ndimage = pytest.importorskip("scipy.ndimage")
    for sigma in (0.7, 1.5, 2.0):
        expected = ndimage.gaussian_filter(images.astype(np.float64), sigma=(0, sigma, sigma), mode="reflect")
        np.testing.assert_allclose(quality.gaussian_blur(images, sigma), expected, atol=1e-6)
    blurred = quality.gaussian_blur(images[..., None], 2.0)  # the (n, 28, 28, 1) layout
    assert blurred.shape == (3, 28, 28, 1) and blurred.dtype == np.float32
    np.testing.assert_allclose(blurred.sum(axis=(1, 2, 3)), images.sum(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(quality.gaussian_blur(np.full((1, 5, 5), 0.3), 1.0), 0.3)
    assert blurred.std() < images.std() / 2
    with pytest.raises(ValueError, match="sigma"):
        quality.gaussian_blur(images, 0)
    with pytest.raises(ValueError, match="n, height, width"):
        quality.gaussian_blur(images[0], 1.0)


def test_per_class_recognised_cannot_be_raised_by_drawing_only_easy_classes():
    sure_bag = np.tile(np.eye(10)[8] * 0.98 + 0.002, (100, 1))  # every sample: "bag", p ≈ 0.98
    assert quality.confident_share(sure_bag) == 1.0
    assert quality.per_class_recognised(sure_bag) == pytest.approx(0.1)  # one class of ten
    asked = np.arange(100) % 10
    assert quality.per_class_recognised(sure_bag, asked=asked) == pytest.approx(0.1)  # right only when bag was asked
    # ten classes, each recognised half the time, as asked: 0.5 either way
    probs = np.where(np.arange(100)[:, None] % 2 == 0, 0.98, 0.5) * np.eye(10)[asked]
    probs = probs + (1 - probs.sum(axis=1, keepdims=True)) / 10
    assert quality.per_class_recognised(probs, asked=asked) == pytest.approx(0.5)
    assert quality.per_class_recognised(probs) == pytest.approx(0.5)


@pytest.mark.parametrize("asked, message", [
    (np.zeros(3, int), "one integer class per sample"),
    (np.zeros(4), "one integer class per sample"),
    (np.full(4, 10), "must lie in"),
])
def test_per_class_recognised_rejects_bad_asked_classes(asked, message):
    with pytest.raises(ValueError, match=message):
        quality.per_class_recognised(np.full((4, 10), 0.1), asked=asked)


def test_agreed_order_states_an_order_only_where_every_measure_agrees():
    a, b = {"fid": 1.0, "pca_fid": 2.0, "u": 0.5}, {"fid": 3.0, "pca_fid": 4.0, "u": 0.52}
    assert quality.agreed_order(a, b) is True and quality.agreed_order(b, a) is False
    assert quality.agreed_order(a, {"fid": 3.0, "pca_fid": 1.0}) is None      # the spaces disagree
    assert quality.agreed_order(a, b, keys=["fid", "u"]) is True
    assert quality.agreed_order(a, b, keys=["fid", "u"], margins={"u": 0.05}) is None  # a tie on u
    assert quality.agreed_order(a, {"fid": math.nan, "pca_fid": 4.0}) is None  # not measured
    with pytest.raises(ValueError, match="missing"):
        quality.agreed_order(a, {"fid": 1.0})
    with pytest.raises(ValueError, match="at least one key"):
        quality.agreed_order(a, b, keys=[])


def test_claim_better_claims_where_the_spaces_agree_and_fails_when_reversed(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "demo")
    monkeypatch.setenv("COURSE_STRICT", "1")
    good, bad = {"fid": 10.0, "pca_fid": 2.0}, {"fid": 20.0, "pca_fid": 3.0}
    assert quality.claim_better("the good model", good, "the bad one", bad) is True
    assert capsys.readouterr().out.startswith("✔ the good model scores better than the bad one in both feature spaces")
    assert quality.claim_better("a", good, "b", {"fid": 20.0, "pca_fid": 1.0}) is None
    assert capsys.readouterr().out.startswith("· a against b: the measures (Fréchet and pixel-PCA Fréchet) disagree")
    with pytest.raises(lessons.ClaimFailed):
        quality.claim_better("the bad one", bad, "the good model", good)


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
    # a one-class set is realistic but not varied: recall falls in both feature spaces
    assert one_class.recall < real.recall / 2 and one_class.pca_recall < real.pca_recall / 2, (one_class, real)


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



def test_score_keeps_its_old_fields_and_adds_the_new_ones(scorer, fashion):
    x_train, *_ = fashion
    images = x_train[20000:20500]
    score = scorer.score(images)
    features = scorer.features(images)
    expected = quality._frechet_from_stats(*quality._gaussian(features), *scorer.reference())
    assert score.fid == expected and score.n == 500  # the Fréchet distance as before
    assert 0 < score.confident_share <= 1 and score.unrecognised_share == 1 - score.confident_share
    assert score.confident_coverage.histogram.sum() == pytest.approx(score.confident_share)
    assert 0.5 < score.precision <= 1 and 0.5 < score.recall <= 1 and score.pca_fid >= 0
    assert 0.5 < score.pca_precision <= 1 and 0.5 < score.pca_recall <= 1
    probs = scorer.classifier.predict(images, verbose=0)
    assert score.class_recognised == quality.per_class_recognised(probs)
    assert score.memorisation is None  # only when asked
    assert "unrecognised" in str(score) and "precision" in str(score) and "pixel-PCA" in str(score)
    # a Score built the old way still works and prints as before
    old = quality.Score(0.1, quality.class_coverage([0, 1, 1]), 3)
    assert str(old) == "Fréchet distance 0.10, 2/10 classes ≥ 5%, class entropy 0.92 bits (3 samples)"
    with pytest.raises(ValueError, match="threshold"):
        scorer.score(images, confidence=0.0)


def test_memorisation_finds_copied_training_images(scorer, fashion):
    x_train, _, x_test, _ = fashion
    copied = scorer.score(x_train[:500], memorisation=True).memorisation  # the scorer's training images
    assert copied.median == 0.0 and copied.copy_share == 1.0
    unseen = scorer.score(x_test[5000:5500], memorisation=True).memorisation  # not the reference ones
    assert unseen.median == pytest.approx(unseen.reference_median, rel=0.15)
    assert unseen.copy_share < 0.05 and unseen.reference_n == 1000
    assert unseen.median > 1.5 * unseen.copy_distance > 0
    assert "near-copies" in str(unseen)


def test_blurred_baseline_sits_between_floor_and_ceiling(scorer):
    base = scorer.baselines(500)
    assert base.floor < base.blurred < base.ceiling and base.blur_sigma == 1.5
    assert set(base.scores) == {"real", "blurred", "noise", "mean image"}
    assert base.scores["blurred"].fid == base.blurred and base.scores["real"].fid == base.floor_draws[0]
    assert "blurred" in str(base)
    sharper = scorer.baselines(500, blur_sigma=0.5)
    assert sharper.floor_draws == base.floor_draws and sharper.noise == base.noise  # the same floor
    assert sharper.blurred < base.blurred
    with pytest.raises(ValueError, match="blur_sigma"):
        scorer.baselines(500, blur_sigma=0)


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



# --------------------------------------------------------------------------- agreeing with the eye


@pytest.fixture(scope="module")
def course_scorer():
    """The course's own scorer: the cached classifier through load_scorer (trained once if missing)."""
    return quality.load_scorer(log=lambda line: None)


def _blotches(n, rng, sigma=2.0):
    """Smooth random blobs: uniform noise blurred, each image rescaled to [0, 1] (a failed generator)."""
    blobs = quality.gaussian_blur(rng.uniform(size=(n, 28, 28)), sigma)
    low, high = blobs.min(axis=(1, 2), keepdims=True), blobs.max(axis=(1, 2), keepdims=True)
    return ((blobs - low) / (high - low)).astype("float32")


def _speckled(images, rng, share=0.1, amplitude=0.3):
    """Recognisable samples: real images with ``share`` of their pixels moved by up to ``amplitude``."""
    speckle = (rng.uniform(size=images.shape) < share) * rng.uniform(-amplitude, amplitude, images.shape)
    return np.clip(images + speckle, 0, 1).astype("float32")


def test_blotches_score_worse_than_recognisable_samples_and_blurred_real_sits_between(course_scorer):
    """Issue 24: a score must not rank blobs like recognisable clothes (n = 1,000 each).

    Measured with the cached classifier (test accuracy 0.912), for floor / speckled / blurred /
    blotches: Fréchet distance 1.5 / 3.1 / 75 / 134, recognised share 0.77 / 0.69 / 0.21 / 0.44,
    precision 0.88 / 0.88 / 0.83 / 0.58, recall 0.88 / 0.80 / 0.00 / 0.00, pixel-PCA Fréchet
    distance 0.49 / 0.35 / 7.3 / 66. The recognised share is the weak one: the classifier calls 95%
    of the blotches "bag", 44% of them with p ≥ 0.9, but is unsure of most blurred clothes, so it
    ranks the blotches above the blurred reference; only its order against recognisable samples (and
    the floor's against the blurred) is asserted. Recall cannot tell blurred clothes from blotches.
    """
    rng = np.random.default_rng(0)
    n = 1000
    base = course_scorer.baselines(n, draws=1)
    floor, blurred = base.scores["real"], base.scores["blurred"]
    # training images, not test images: the test set is the reference the scores compare against
    recognisable = course_scorer.score(_speckled(course_scorer.train_images[30000:30000 + n], rng))
    blotches = course_scorer.score(_blotches(n, rng))
    table = {name: (s.fid, s.confident_share, s.precision, s.recall, s.pca_fid) for name, s in
             [("floor", floor), ("recognisable", recognisable), ("blurred", blurred), ("blotches", blotches)]}
    shown = "\n".join(f"{name}: " + ", ".join(f"{v:.3f}" for v in values) for name, values in table.items())
    # Fréchet distance in the classifier's features: floor < recognisable << blurred << blotches
    assert floor.fid < 3 and recognisable.fid < 10 and 10 * recognisable.fid < blurred.fid, shown
    assert 1.5 * blurred.fid < blotches.fid, shown
    # recognised share (p ≥ 0.9): recognisable samples are recognised far more often than blotches
    assert recognisable.confident_share > blotches.confident_share + 0.2, shown
    assert floor.confident_share > blurred.confident_share + 0.4, shown
    # precision: blotches fall off the real manifold; blurred real images mostly stay on it
    assert recognisable.precision > blotches.precision + 0.25, shown
    assert floor.precision > blurred.precision + 0.02 and blurred.precision > blotches.precision + 0.2, shown
    assert min(floor.recall, recognisable.recall) > 0.7 and max(blurred.recall, blotches.recall) < 0.05, shown
    # the second feature space (pixel PCA) agrees on every order
    assert max(floor.pca_fid, recognisable.pca_fid) < 1 and 10 * recognisable.pca_fid < blurred.pca_fid, shown
    assert 6 * blurred.pca_fid < blotches.pca_fid, shown


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


# --------------------------------------------------------------------------- the stored demo results


KEPT = {"07_gans": ["dcgan"], "07b_gans_conditional_wgan": ["cgan", "wgan_gp"]}
"""The models the GAN notebooks keep as their result (the others are the failing side of a lesson,
such as the minimax loss with SGD, and are meant to score badly)."""


def test_the_blurred_real_reference_scores_worse_than_every_model_the_notebooks_keep():
    from helpers import results

    stored = {name: json.loads((results.STORED_DIR / f"{name}.json").read_text())["data"]
              for name in [*KEPT, "06_vae"]}
    blurred = stored["07_gans"]["blurred"]
    assert stored["07b_gans_conditional_wgan"]["blurred"] == blurred   # one reference, n alike
    assert all(stored[name]["n"] == stored["07_gans"]["n"] for name in stored)
    scores = {f"{name}/{key}": stored[name]["models"][key]["fid"]
              for name, keys in KEPT.items() for key in keys}
    scores["06_vae"] = stored["06_vae"]["fid"]
    assert all(stored["07_gans"]["floor"] < fid < blurred for fid in scores.values()), (scores, blurred)
