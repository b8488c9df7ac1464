"""Tests for helpers.gan: losses against hand-computed values, the gradient penalty on critics whose
gradient norm is known, and one GAN train_step (both networks move; the discriminator does not move
in the generator phase)."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import layers, ops

from helpers import gan, quality

LATENT = 4


def _f(x) -> float:
    return float(ops.convert_to_numpy(x))


# --------------------------------------------------------------------------- losses


def test_bce_matches_the_formula():
    y, p = np.array([1.0, 0.0, 0.8]), np.array([0.9, 0.3, 0.6])
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert _f(gan.bce(y, p)) == pytest.approx(expected, rel=1e-6)


def test_discriminator_loss_is_minus_half_the_value_function():
    real, fake = np.array([0.9, 0.6]), np.array([0.2, 0.5])
    value = np.mean(np.log(real)) + np.mean(np.log(1 - fake))           # V(D, G) on this batch
    assert _f(gan.discriminator_loss(real, fake)) == pytest.approx(-value / 2, rel=1e-6)
    # hand-computed: -(log 0.9 + log 0.8) / 2
    assert _f(gan.discriminator_loss([0.9], [0.2])) == pytest.approx(0.164252, abs=1e-6)


def test_discriminator_loss_with_soft_targets():
    real, fake = np.array([[0.9]]), np.array([[0.2]])
    t_real, t_fake = 0.95, 0.05
    expected = -0.5 * (t_real * math.log(0.9) + (1 - t_real) * math.log(0.1)
                       + t_fake * math.log(0.2) + (1 - t_fake) * math.log(0.8))
    assert _f(gan.discriminator_loss(real, fake, t_real, t_fake)) == pytest.approx(expected, rel=1e-6)


def test_generator_losses_by_hand():
    fake = np.array([0.1, 0.5])
    assert _f(gan.minimax_generator_loss(fake)) == pytest.approx((math.log(0.9) + math.log(0.5)) / 2, rel=1e-6)
    assert _f(gan.non_saturating_generator_loss(fake)) == pytest.approx(-(math.log(0.1) + math.log(0.5)) / 2,
                                                                        rel=1e-6)


def test_generator_loss_gradients_wrt_the_logit():
    """d/da log(1 - σ(a)) = -σ(a) (vanishes when D rejects); d/da -log σ(a) = -(1 - σ(a))."""
    import tensorflow as tf

    logits = tf.Variable([-4.0, 0.0, 4.0])
    d = 1 / (1 + np.exp(-logits.numpy()))
    for loss_fn, expected in ((gan.minimax_generator_loss, -d), (gan.non_saturating_generator_loss, -(1 - d))):
        with tf.GradientTape() as tape:
            loss = loss_fn(tf.sigmoid(logits)) * 3        # undo the mean over 3 elements
        np.testing.assert_allclose(tape.gradient(loss, logits).numpy(), expected, rtol=1e-4)


# --------------------------------------------------------------------------- gradient penalty


def test_gradient_penalty_on_a_linear_critic():
    """f(x) = w·x has ‖∇f‖ = ‖w‖ at every point, so the penalty is (‖w‖ - 1)² for any interpolate."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=(1, 3, 3, 1)).astype("float32")
    critic = lambda x: ops.sum(x * w, axis=(1, 2, 3))  # noqa: E731
    real = rng.normal(size=(5, 3, 3, 1)).astype("float32")
    fake = rng.normal(size=(5, 3, 3, 1)).astype("float32")
    expected = (np.linalg.norm(w) - 1) ** 2
    assert _f(gan.gradient_penalty(critic, real, fake, seed=1)) == pytest.approx(expected, rel=1e-5)
    unit = lambda x: ops.sum(x * w / np.linalg.norm(w), axis=(1, 2, 3))  # noqa: E731
    assert _f(gan.gradient_penalty(unit, real, fake, seed=1)) == pytest.approx(0.0, abs=1e-6)


def test_gradient_penalty_uses_the_interpolates():
    """f(x) = ½‖x‖² has ∇f = x: with α fixed, the norm is that of α·real + (1-α)·fake."""
    real = np.ones((2, 2, 2, 1), "float32")
    fake = np.zeros((2, 2, 2, 1), "float32")
    critic = lambda x: 0.5 * ops.sum(ops.square(x), axis=(1, 2, 3))  # noqa: E731
    alpha = np.array([0.25, 1.0], "float32")
    norms = alpha * math.sqrt(4)                      # 4 pixels per image, each α
    expected = np.mean((norms - 1) ** 2)
    assert _f(gan.gradient_penalty(critic, real, fake, alpha=alpha)) == pytest.approx(expected, rel=1e-5)


def test_gradient_penalty_draws_uniform_weights(monkeypatch):
    drawn = {}
    real_uniform = keras.random.uniform

    def spy(shape, minval=0.0, maxval=1.0, **kw):
        drawn["args"] = (minval, maxval)
        return real_uniform(shape, minval, maxval, **kw)

    monkeypatch.setattr(gan.keras.random, "uniform", spy)
    x = np.zeros((3, 2, 2, 1), "float32")
    gan.gradient_penalty(lambda v: ops.sum(v, axis=(1, 2, 3)), x, x + 1)
    assert drawn["args"] == (0.0, 1.0)


def test_gradient_penalty_has_a_finite_gradient_at_zero():
    """A critic whose gradient is 0 at the interpolates: penalty 1, and no NaN in the weight gradient."""
    import tensorflow as tf

    v = tf.Variable(0.0)
    x = np.zeros((2, 2, 2, 1), "float32")
    with tf.GradientTape() as tape:
        penalty = gan.gradient_penalty(lambda z: v * ops.sum(z, axis=(1, 2, 3)), x, x)
    grad = tape.gradient(penalty, v)
    assert _f(penalty) == pytest.approx(1.0, abs=1e-5)
    assert np.isfinite(grad.numpy())


def test_gradient_penalty_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="differ in shape"):
        gan.gradient_penalty(lambda x: x, np.zeros((2, 4)), np.zeros((2, 5)))


# --------------------------------------------------------------------------- train_step


def _pair(batch_norm: bool = True):
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((LATENT,)), layers.Dense(8, activation="relu"),
                                  layers.Dense(16, activation="tanh"), layers.Reshape((4, 4, 1))])
    d_layers = [keras.Input((4, 4, 1)), layers.Flatten(), layers.Dense(8)]
    if batch_norm:
        d_layers.append(layers.BatchNormalization())
    d_layers += [layers.LeakyReLU(0.2), layers.Dense(1, activation="sigmoid")]
    return generator, keras.Sequential(d_layers)


def _weights(model):
    return [ops.convert_to_numpy(w) for w in model.weights]


def _compiled(cls=gan.GAN, **kwargs):
    generator, discriminator = _pair(batch_norm=cls is gan.GAN)
    model = cls(generator, discriminator, LATENT, seed=1, **kwargs)
    model.compile(d_optimizer=keras.optimizers.Adam(0.01), g_optimizer=keras.optimizers.Adam(0.01))
    return model


REAL = np.random.default_rng(0).uniform(-1, 1, size=(8, 4, 4, 1)).astype("float32")


@pytest.mark.parametrize("k", [1, 2])
def test_one_train_step_changes_both_networks(k):
    model = _compiled(k=k, label_noise=0.05)
    g0, d0 = _weights(model.generator), _weights(model.discriminator)
    logs = model.train_on_batch(REAL, return_dict=True)
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v) for v in logs.values())
    assert any(not np.allclose(a, b) for a, b in zip(g0, _weights(model.generator)))
    assert any(not np.allclose(a, b) for a, b in zip(d0, _weights(model.discriminator)))
    assert int(model.d_optimizer.iterations) == k and int(model.g_optimizer.iterations) == 1


@pytest.mark.parametrize("cls", [gan.GAN, gan.WGANGP])
def test_generator_phase_leaves_the_discriminator_untouched(cls):
    model = _compiled(cls, k=2)
    model.train_on_batch(REAL)                       # build the optimizers' state
    g0, d0 = _weights(model.generator), _weights(model.discriminator)
    model.generator_step(8, None)
    for before, after in zip(d0, _weights(model.discriminator)):   # trainable and moving statistics
        np.testing.assert_array_equal(before, after)
    assert any(not np.allclose(a, b) for a, b in zip(g0, _weights(model.generator)))


def test_discriminator_phase_leaves_the_generator_untouched():
    model = _compiled()
    model.train_on_batch(REAL)
    g0 = [ops.convert_to_numpy(w) for w in model.generator.trainable_weights]
    model.discriminator_step(REAL, None)
    for before, after in zip(g0, model.generator.trainable_weights):
        np.testing.assert_array_equal(before, ops.convert_to_numpy(after))


def test_wgan_gp_logs_and_critic_steps():
    model = _compiled(gan.WGANGP, k=2)
    logs = model.train_on_batch(REAL, return_dict=True)
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake", "gp"}
    assert int(model.d_optimizer.iterations) == 2 and int(model.g_optimizer.iterations) == 1


def test_the_losses_are_the_only_parts_wgan_gp_replaces():
    assert gan.WGANGP.discriminator_step is gan.GAN.discriminator_step
    real_out, fake_out = np.array([[0.9], [0.8]], "float32"), np.array([[0.2], [0.1]], "float32")
    model = _compiled()
    expected = gan.discriminator_loss(real_out, fake_out)
    assert np.isclose(float(model.d_loss(real_out, fake_out, REAL[:2], REAL[:2], None)), float(expected))
    critic = _compiled(gan.WGANGP, gp_weight=0.0)
    loss = critic.d_loss(real_out, fake_out, REAL[:2], REAL[::-1][:2], None)
    assert np.isclose(float(loss), 0.15 - 0.85)               # mean f(fake) − mean f(real), λ = 0
    assert np.isfinite(float(critic.gp_tracker.result())) and float(critic.gp_tracker.count) == 1
    assert gan.WGANGP.generator_step is gan.GAN.generator_step
    assert np.isclose(float(critic.g_loss(fake_out)), -0.15)   # −mean f(G(z))
    assert np.isclose(float(model.g_loss(fake_out)), float(gan.non_saturating_generator_loss(fake_out)))
    minimax = _compiled(generator_loss="minimax")
    assert np.isclose(float(minimax.g_loss(fake_out)), float(gan.minimax_generator_loss(fake_out)))


def test_conditional_gan_step():
    keras.utils.set_random_seed(0)
    z, label = keras.Input((LATENT,)), keras.Input((), dtype="int32")
    h = layers.Concatenate()([z, layers.Embedding(3, 2)(label)])
    generator = keras.Model([z, label], layers.Reshape((4, 4, 1))(layers.Dense(16, activation="tanh")(h)))
    x, label_d = keras.Input((4, 4, 1)), keras.Input((), dtype="int32")
    h = layers.Concatenate()([layers.Flatten()(x), layers.Embedding(3, 2)(label_d)])
    discriminator = keras.Model([x, label_d], layers.Dense(1, activation="sigmoid")(h))
    model = gan.GAN(generator, discriminator, LATENT, conditional=True, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(0.01), g_optimizer=keras.optimizers.Adam(0.01))
    logs = model.train_on_batch(REAL, np.arange(8) % 3, return_dict=True)
    assert np.isfinite(logs["g_loss"])
    assert gan.generate(generator, np.zeros((3, LATENT)), [0, 1, 2]).shape == (3, 4, 4, 1)


class _MeanPixelScorer:
    """Stands for quality.QualityScorer: the 'Fréchet distance' is the mean pixel, and it keeps what it saw."""

    def __init__(self):
        self.seen = []

    def score(self, images):
        self.seen.append(np.array(images))
        return quality.Score(float(np.mean(images)), quality.class_coverage([0, 1]), len(images))


def test_fit_with_callbacks_and_the_dataset_helper():
    model = _compiled(k=2)
    noise = np.random.default_rng(0).normal(size=(130, LATENT)).astype("float32")
    samples = gan.FixedNoiseSamples(noise[:3])
    scorer = _MeanPixelScorer()
    scores = quality.ScoreHistory(scorer, gan.noise_sampler(model.generator, noise), n=len(noise))
    history = model.fit(gan.gan_dataset(REAL, batch_size=2, k=2), epochs=2, verbose=0,
                        callbacks=[samples, scores])
    assert sorted(history.history) == ["d_fake", "d_loss", "d_real", "g_loss"]
    assert sorted(samples.snapshots) == [0, 1, 2] and samples.snapshots[2].shape == (3, 4, 4, 1)
    assert [e for e, _ in scores.by_epoch] == [0, 1, 2] and scores.epochs == [0, 1, 2]
    assert 0.0 <= samples.snapshots[0].min() and samples.snapshots[0].max() <= 1.0
    # every score is of the generator's images of the same fixed noise, taken at that epoch
    np.testing.assert_allclose(scorer.seen[-1], gan.generate(model.generator, noise), atol=1e-6)
    np.testing.assert_allclose(scorer.seen[-1][:3], samples.snapshots[2], atol=1e-6)
    assert scores.fids == [float(np.mean(images)) for images in scorer.seen]


def test_noise_sampler_takes_the_first_rows_and_their_labels():
    z, label = keras.Input((LATENT,)), keras.Input((), dtype="int32")
    h = layers.Concatenate()([z, layers.Embedding(3, 2)(label)])
    generator = keras.Model([z, label], layers.Dense(5, activation="tanh")(h))
    noise, labels = np.random.default_rng(1).normal(size=(6, LATENT)), np.arange(6) % 3
    sample = gan.noise_sampler(generator, noise, labels)
    np.testing.assert_allclose(sample(4), gan.generate(generator, noise[:4], labels[:4]), atol=1e-6)
    with pytest.raises(ValueError, match="pass more noise"):
        sample(7)
    with pytest.raises(ValueError, match="one row per sample"):
        gan.noise_sampler(generator, noise, labels[:5])


def test_minibatch_stddev_layer_and_round_trip(tmp_path):
    x = np.stack([np.zeros((2, 2, 1)), 2 * np.ones((2, 2, 1))]).astype("float32")
    out = ops.convert_to_numpy(gan.MinibatchStdDev()(x))
    assert out.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(out[..., 1], 1.0, atol=1e-4)      # std of {0, 2} is 1
    model = keras.Sequential([keras.Input((2, 2, 1)), gan.MinibatchStdDev(), layers.Flatten(), layers.Dense(1)])
    path = tmp_path / "d.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_bad_arguments_are_refused():
    generator, discriminator = _pair()
    with pytest.raises(ValueError, match="k"):
        gan.GAN(generator, discriminator, LATENT, k=0)
    with pytest.raises(ValueError, match="generator_loss"):
        gan.GAN(generator, discriminator, LATENT, generator_loss="hinge")
    with pytest.raises(ValueError, match="label_noise"):
        gan.GAN(generator, discriminator, LATENT, label_noise=0.7)
    model = gan.GAN(generator, discriminator, LATENT)
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two separate"):
        model.compile(d_optimizer=opt, g_optimizer=opt)
    with pytest.raises(ValueError, match="divisible"):
        model.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
        gan.GAN(generator, discriminator, LATENT, k=3).train_step(np.zeros((4, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="fewer than one batch"):
        gan.gan_dataset(np.zeros((3, 4, 4, 1)), batch_size=2, k=2)


def test_to_unit_maps_tanh_range():
    np.testing.assert_allclose(gan._to_unit(np.array([-1.0, 0.0, 1.0, 1.5])), [0.0, 0.5, 1.0, 1.0])


# --------------------------------------------------------------------------- BatchHistory, GanTrainer


class _Logged(keras.Model):
    """A model whose only metric logs the batch's own number, so each batch's value is known."""

    def __init__(self, values):
        super().__init__()
        self.values = list(values)
        self.tracker = keras.metrics.Mean(name="d_fake")
        self.dense = layers.Dense(1)

    def train_step(self, data):
        self.tracker.update_state(ops.convert_to_tensor(data[0, 0], dtype="float32"))
        return {"d_fake": self.tracker.result()}


def test_batch_history_recovers_each_batchs_value_from_the_running_means():
    values = np.array([0.9, 0.1, 0.7, 0.2, 0.05, 0.95], "float32")    # an oscillating D(G(z))
    model = _Logged(values)
    model.compile()
    history = gan.BatchHistory(["d_fake"])
    data = np.repeat(values[:, None], 3, axis=1)                       # one batch per value
    model.fit(data, batch_size=1, epochs=2, shuffle=False, verbose=0, callbacks=[history])
    np.testing.assert_allclose(history.values["d_fake"], np.tile(values, 2), atol=1e-5)
    with pytest.raises(KeyError, match="logs no metric 'd_real'"):
        model.fit(data, batch_size=1, epochs=1, verbose=0, callbacks=[gan.BatchHistory(["d_real"])])
    with pytest.raises(ValueError, match="list of logged metric names"):
        gan.BatchHistory("d_fake")


def test_gan_trainer_records_runs_and_results_and_reuses_them(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_REUSE", raising=False)
    noise = np.random.default_rng(0).normal(size=(130, LATENT)).astype("float32")
    trainer = gan.GanTrainer(_MeanPixelScorer(), REAL, noise, noise[:3], batch_size=2, seed=0,
                             folder=tmp_path, settings={"a": 1})
    model = _compiled(k=2)
    adam = keras.optimizers.Adam
    assert trainer.train("toy", "toy GAN", model, 2, adam(0.01), adam(0.01), per_batch=True,
                         verbose=False) is model
    run, result = trainer.runs["toy"], trainer.results["toy"]
    assert run["g_steps"] == 2 * 2 and run["d_steps"] == 2 * 2 * 2        # 8 images = 2 batches of k·m
    assert [e for e, _ in run["scores"]] == [0, 1, 2] and sorted(run["snapshots"]) == [0, 1, 2]
    assert len(run["per_batch"]["d_fake"]) == 4 and len(run["per_batch"]["d_real"]) == 4
    np.testing.assert_allclose(np.mean(run["per_batch"]["d_fake"][2:]), run["history"]["d_fake"][1],
                               rtol=1e-4)                             # the epoch's mean of its batches
    assert result["fid"] == run["scores"][-1][1].fid and result["label"] == "toy GAN"
    assert result["parameters"] == model.generator.count_params() + model.discriminator.count_params()
    monkeypatch.setenv("COURSE_REUSE", "1")
    again = gan.GanTrainer(_MeanPixelScorer(), REAL, noise, noise[:3], 2, 0, tmp_path, {"a": 1})
    fresh = _compiled(k=2)
    again.train("toy", "toy GAN", fresh, 2, adam(0.01), adam(0.01), per_batch=True, verbose=False)
    assert int(fresh.g_optimizer.iterations) == 0                       # reused, not trained
    assert again.results["toy"]["fid"] == result["fid"]
