"""GANs: the lecture's losses, the WGAN-GP gradient penalty, a ``GAN`` model with its two-phase
``train_step`` (Algorithm 1's k discriminator steps, label noise, conditional inputs), a WGAN-GP
variant, a minibatch-standard-deviation layer, a callback that keeps a generator's images of fixed
noise while it trains, and the sampler that ``quality.ScoreHistory`` scores during training.

The generator and the discriminator (the lesson) are built in the notebooks; everything here works
with any pair of Keras models whose shapes fit: ``generator(z) -> images`` and
``discriminator(images) -> probability of "real"`` (a sigmoid output; the WGAN-GP critic instead
outputs an unbounded score). A conditional pair takes ``[z, labels]`` and ``[images, labels]``.

>>> gan = GAN(generator, discriminator, latent_dim=32, k=1)                    # doctest: +SKIP
>>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
...             g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))           # doctest: +SKIP
>>> gan.fit(gan_dataset(images, batch_size=64, k=1), epochs=5)                 # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers.runtime import check_int

__all__ = [
    "GAN",
    "WGANGP",
    "BatchHistory",
    "GanTrainer",
    "FixedNoiseSamples",
    "MinibatchStdDev",
    "bce",
    "discriminator_loss",
    "gan_dataset",
    "generate",
    "noise_sampler",
    "gradient_penalty",
    "minimax_generator_loss",
    "non_saturating_generator_loss",
]

NORM_EPSILON = 1e-12    # added inside the gradient norm's square root (no NaN gradient at 0)
GENERATOR_LOSSES = ("non_saturating", "minimax")


# --------------------------------------------------------------------------- losses


def _tensor(x: Any) -> Any:
    # keep a model's own output tensor as it is: Keras then reads the logits behind its sigmoid
    return x if hasattr(x, "dtype") and hasattr(x, "shape") and not isinstance(x, np.ndarray) \
        else ops.convert_to_tensor(x, dtype="float32")


def bce(targets: Any, probs: Any) -> Any:
    """Binary cross-entropy of the lecture, averaged over every element:
    ``-mean(y log p + (1 - y) log(1 - p))``; ``targets`` may be soft (label noise) or a scalar.

    Computed by ``keras.ops.binary_crossentropy``: when ``probs`` is the output of a sigmoid layer,
    Keras uses the logits behind it, so a saturated discriminator still gets gradients (plain
    probabilities are clipped to [1e-7, 1 - 1e-7]).

    >>> round(float(bce([1.0, 0.0], [0.5, 0.5])), 4)
    0.6931
    """
    p = _tensor(probs)
    y = ops.cast(ops.broadcast_to(ops.convert_to_tensor(targets), ops.shape(p)), p.dtype)
    return ops.mean(ops.binary_crossentropy(y, p))


def discriminator_loss(real_probs: Any, fake_probs: Any, real_targets: Any = 1.0,
                       fake_targets: Any = 0.0) -> Any:
    """The discriminator's BCE on a batch made of ``m`` real and ``m`` fake images (targets 1 and 0).

    It equals ``-V(D, G) / 2`` on that batch, where ``V = mean log D(x) + mean log(1 - D(G(z)))`` is the
    lecture's value function: minimising it is *ascending* V, as in Algorithm 1. Pass soft targets
    (e.g. ``1 - 0.05 u``) for deck 4's label-noise trick.

    >>> round(float(discriminator_loss([0.9], [0.2])), 4)   # -(log 0.9 + log 0.8) / 2
    0.1643
    """
    return 0.5 * (bce(real_targets, real_probs) + bce(fake_targets, fake_probs))


def minimax_generator_loss(fake_probs: Any) -> Any:
    """The generator's term of the minimax game, ``mean log(1 - D(G(z)))``, which G *minimises*.

    Its gradient with respect to D's logit is ``-D(G(z))``: it vanishes when D confidently rejects the
    fakes (D(G(z)) → 0), which is exactly the situation early in training.

    >>> round(float(minimax_generator_loss([0.5])), 4)      # log(0.5)
    -0.6931
    """
    return -bce(0.0, fake_probs)


def non_saturating_generator_loss(fake_probs: Any) -> Any:
    """The non-saturating generator loss ``-mean log D(G(z))`` (BCE with the target "real").

    Same fixed point as the minimax loss, but its gradient with respect to D's logit is
    ``-(1 - D(G(z)))``: largest when D rejects the fakes, so the generator learns from the start.

    >>> round(float(non_saturating_generator_loss([0.5])), 4)
    0.6931
    """
    return bce(1.0, fake_probs)


def gradient_penalty(critic: Callable[..., Any], real: Any, fake: Any, *,
                     alpha: Any = None, seed: Any = None, condition: Any = None) -> Any:
    """WGAN-GP's penalty ``mean((‖∇ f(x̂)‖₂ − 1)²)`` on interpolates ``x̂ = α x + (1 − α) x̃``.

    ``α`` is drawn **uniformly** in [0, 1] per sample (pass ``alpha`` to fix it, shape ``(batch,)``),
    and ``NORM_EPSILON`` sits inside the norm's square root so that a zero gradient gives no NaN.
    ``condition`` (e.g. class labels) is passed to a conditional critic as ``critic([x̂, condition])``.

    >>> f = lambda x: ops.sum(3.0 * x, axis=(1, 2, 3))     # ‖∇f‖ = 3·sqrt(d) everywhere
    >>> x = np.zeros((4, 2, 2, 1), "float32")
    >>> round(float(gradient_penalty(f, x, x)), 3)         # (3·2 − 1)² = 25
    25.0
    """
    real = ops.convert_to_tensor(real, dtype="float32")
    fake = ops.convert_to_tensor(fake, dtype="float32")
    if tuple(real.shape[1:]) != tuple(fake.shape[1:]):
        raise ValueError(f"real and fake images differ in shape: {real.shape} vs {fake.shape}.")
    batch = ops.shape(real)[0]
    if alpha is None:
        alpha = keras.random.uniform((batch,), 0.0, 1.0, seed=seed)
    alpha = ops.reshape(ops.convert_to_tensor(alpha, dtype="float32"), (-1,) + (1,) * (len(real.shape) - 1))
    interpolated = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolated)
        scores = critic(interpolated if condition is None else [interpolated, condition])
    grads = tape.gradient(scores, interpolated)
    if grads is None:
        raise ValueError("the critic's output does not depend on its input image; check the critic.")
    axes = tuple(range(1, len(grads.shape)))
    norm = ops.sqrt(ops.sum(ops.square(grads), axis=axes) + NORM_EPSILON)
    return ops.mean(ops.square(norm - 1.0))


# --------------------------------------------------------------------------- models


def _split(tensor: Any, k: int) -> list[Any]:
    """Split a batch of ``k·m`` rows into ``k`` minibatches of ``m`` (Algorithm 1's k steps)."""
    if k == 1:
        return [tensor]
    shape = ops.shape(tensor)
    if isinstance(shape[0], int) and shape[0] % k:
        raise ValueError(f"a batch of {shape[0]} is not divisible by k = {k}: batch the data with "
                         "gan_dataset(images, batch_size=m, k=k), which gives batches of k·m.")
    chunks = ops.reshape(tensor, (k, -1) + tuple(shape[1:]))
    return [chunks[i] for i in range(k)]


@keras.saving.register_keras_serializable(package="helpers")
class GAN(keras.Model):
    """A GAN trained with ``fit()``: each ``train_step`` runs Algorithm 1 of Goodfellow et al. (2014).

    1. ``k`` times: a minibatch of ``m`` real images and ``m`` fakes from fresh noise; update **only the
       discriminator** on the BCE (targets 1 for real, 0 for fake; with ``label_noise`` the targets are
       moved towards 0.5 by ``label_noise · U(0, 1)``, deck 4's trick).
    2. Once: fresh noise, fakes scored by the discriminator, update **only the generator** on the
       ``"non_saturating"`` loss ``-log D(G(z))`` or the ``"minimax"`` loss ``log(1 - D(G(z)))``; the
       discriminator's weights are read, never changed (its gradients are not even computed).

    The dataset gives batches of ``k·m`` real images (see ``gan_dataset``), or ``(images, labels)``
    for a conditional GAN (``conditional=True``: ``generator([z, labels])``,
    ``discriminator([images, labels])``; the fakes use the real batch's labels). Logged metrics:
    ``d_loss``, ``g_loss``, ``d_real`` (mean D(x)) and ``d_fake`` (mean D(G(z)) in the generator phase).

    >>> gan = GAN(generator, discriminator, latent_dim=32)                       # doctest: +SKIP
    >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4), g_optimizer=keras.optimizers.Adam(2e-4))  # doctest: +SKIP
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int, *,
                 k: int = 1, generator_loss: str = "non_saturating", label_noise: float = 0.0,
                 conditional: bool = False, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_int("latent_dim", latent_dim, 1)
        check_int("k", k, 1, " (discriminator steps per generator step)")
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}, got {generator_loss!r}.")
        if not 0.0 <= label_noise < 0.5:
            raise ValueError(f"label_noise must be in [0, 0.5), got {label_noise!r} (deck 4 uses 0.05).")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim, self.k, self.generator_loss = latent_dim, k, generator_loss
        self.label_noise, self.conditional = float(label_noise), bool(conditional)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer,
                **kwargs: Any) -> None:
        """Two optimizers, one per network (they must be two different objects)."""
        if d_optimizer is g_optimizer:
            raise ValueError("give the discriminator and the generator two separate optimizer objects.")
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def call(self, inputs: Any, training: bool = False) -> Any:
        """Generate images from noise (or from ``[noise, labels]`` when conditional)."""
        return self.generator(inputs, training=training)

    def _noise(self, m: Any) -> Any:
        return keras.random.normal((m, self.latent_dim), seed=self.seed_generator)

    def _generate(self, z: Any, labels: Any, training: bool = True) -> Any:
        return self.generator([z, labels] if self.conditional else z, training=training)

    def _discriminate(self, images: Any, labels: Any, training: bool = True) -> Any:
        return self.discriminator([images, labels] if self.conditional else images, training=training)

    def _unpack(self, data: Any) -> tuple[Any, Any]:
        if self.conditional:
            if not isinstance(data, (tuple, list)) or len(data) < 2:
                raise ValueError("a conditional GAN needs (images, labels) batches.")
            return data[0], data[1]
        if isinstance(data, (tuple, list)):
            data = data[0]
        return data, None

    def _soft(self, target: float, m: Any) -> Any:
        if self.label_noise == 0.0:
            return target
        u = keras.random.uniform((m, 1), seed=self.seed_generator)
        return target - self.label_noise * u if target == 1.0 else target + self.label_noise * u

    def discriminator_step(self, real: Any, labels: Any) -> Any:
        """Phase 1, one of the k steps: update the discriminator on m real and m fake images."""
        m = ops.shape(real)[0]
        fake = self._generate(self._noise(m), labels, training=True)
        with tf.GradientTape() as tape:
            real_out = self._discriminate(real, labels)
            fake_out = self._discriminate(fake, labels)
            loss = self.d_loss(real_out, fake_out, real, fake, labels)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply(tape.gradient(loss, weights), weights)
        self.d_real_tracker.update_state(ops.mean(real_out))
        return loss

    def d_loss(self, real_probs: Any, fake_probs: Any, real: Any, fake: Any, labels: Any) -> Any:
        """The discriminator's loss (logged as ``d_loss``), inside ``discriminator_step``'s tape: BCE
        with targets 1 for real and 0 for fake, softened by ``label_noise``. Subclasses replace it."""
        m = ops.shape(real)[0]
        return discriminator_loss(real_probs, fake_probs, self._soft(1.0, m), self._soft(0.0, m))

    def generator_step(self, m: Any, labels: Any) -> Any:
        """Phase 2: update the generator through the (unchanged) discriminator.

        The discriminator runs in training mode (batch statistics, as in phase 1); its batch-norm
        moving averages are put back afterwards, so none of its weights moves in this phase.
        """
        z = self._noise(m)
        frozen = [ops.copy(v.value) for v in self.discriminator.non_trainable_weights]
        with tf.GradientTape() as tape:
            fake_out = self._discriminate(self._generate(z, labels), labels)
            loss = self.g_loss(fake_out)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply(tape.gradient(loss, weights), weights)
        for variable, value in zip(self.discriminator.non_trainable_weights, frozen):
            variable.assign(value)
        self.d_fake_tracker.update_state(ops.mean(fake_out))
        return loss

    def g_loss(self, fake_probs: Any) -> Any:
        """The generator's loss (logged as ``g_loss``), inside ``generator_step``'s tape: the minimax
        ``mean log(1 − D(G(z)))`` or the non-saturating ``−mean log D(G(z))``. Subclasses replace it."""
        if self.generator_loss == "minimax":
            return minimax_generator_loss(fake_probs)
        return non_saturating_generator_loss(fake_probs)

    def train_step(self, data: Any) -> dict[str, Any]:
        real, labels = self._unpack(data)
        reals = _split(real, self.k)
        label_chunks = _split(labels, self.k) if labels is not None else [None] * self.k
        for real_m, labels_m in zip(reals, label_chunks):          # Algorithm 1: "for k steps do"
            self.d_loss_tracker.update_state(self.discriminator_step(real_m, labels_m))
        m = ops.shape(reals[-1])[0]
        self.g_loss_tracker.update_state(self.generator_step(m, label_chunks[-1]))
        return {metric.name: metric.result() for metric in self.metrics}


@keras.saving.register_keras_serializable(package="helpers")
class WGANGP(GAN):
    """Wasserstein GAN with gradient penalty (Gulrajani et al., 2017), trained with ``fit()``.

    The critic outputs an unbounded score (no sigmoid, no batch norm). Each ``train_step`` runs ``k``
    critic steps (the paper's n_critic = 5) on ``mean f(fake) − mean f(real) + λ · GP``, then one
    generator step on ``−mean f(G(z))``. Logged: ``d_loss`` (the critic's loss, penalty included),
    ``g_loss``, ``d_real``/``d_fake`` (mean critic scores) and ``gp``; ``d_real − d_fake`` estimates
    the Wasserstein distance, which should shrink as the generator improves.
    """

    def __init__(self, generator: keras.Model, critic: keras.Model, latent_dim: int, *, k: int = 5,
                 gp_weight: float = 10.0, **kwargs: Any) -> None:
        if kwargs.get("label_noise"):
            raise ValueError("label noise is for the BCE discriminator; WGAN-GP has no labels to smooth.")
        super().__init__(generator, critic, latent_dim, k=k, **kwargs)
        if gp_weight < 0:
            raise ValueError(f"gp_weight must be ≥ 0, got {gp_weight!r} (the paper uses 10).")
        self.gp_weight = float(gp_weight)
        self.gp_tracker = keras.metrics.Mean(name="gp")

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return super().metrics + [self.gp_tracker]

    def d_loss(self, real_scores: Any, fake_scores: Any, real: Any, fake: Any, labels: Any) -> Any:
        """The critic's loss ``mean f(fake) − mean f(real) + λ · GP``, inside ``discriminator_step``'s tape."""
        penalty = gradient_penalty(lambda x: self.discriminator(x, training=True), real, fake,
                                   seed=self.seed_generator, condition=labels)
        self.gp_tracker.update_state(penalty)
        return ops.mean(fake_scores) - ops.mean(real_scores) + self.gp_weight * penalty

    def g_loss(self, fake_scores: Any) -> Any:
        """The generator's loss ``−mean f(G(z))``, inside ``generator_step``'s tape."""
        return -ops.mean(fake_scores)


@keras.saving.register_keras_serializable(package="helpers")
class MinibatchStdDev(keras.layers.Layer):
    """Minibatch discrimination, the simple way (Karras et al., 2018): append one feature map holding
    the average over features of the standard deviation across the batch.

    A collapsed generator produces batches whose images are alike, so this feature is small for its
    batches and the discriminator can use it to call them fake; the generator is pushed to vary.

    >>> x = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype("float32")
    >>> tuple(MinibatchStdDev()(x).shape)
    (2, 2, 2, 2)
    """

    def call(self, inputs: Any) -> Any:
        mean = ops.mean(inputs, axis=0, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(inputs - mean), axis=0) + 1e-8)
        stat = ops.mean(std)
        shape = ops.shape(inputs)
        feature = ops.ones((shape[0],) + tuple(shape[1:-1]) + (1,), dtype=inputs.dtype) * stat
        return ops.concatenate([inputs, feature], axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (input_shape[-1] + 1,)


# --------------------------------------------------------------------------- data and sampling


def _to_unit(images: Any) -> np.ndarray:
    """Map a tanh generator's images from [-1, 1] to [0, 1] (for plots and the quality score).

    >>> _to_unit(np.array([-1.0, 0.0, 1.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    return np.clip((np.asarray(images, dtype="float32") + 1.0) / 2.0, 0.0, 1.0)


def gan_dataset(images: Any, batch_size: int, *, k: int = 1, labels: Any = None,
                seed: int = 0) -> tf.data.Dataset:
    """Shuffled batches of ``k · batch_size`` images (``(images, labels)`` pairs when labels are given).

    ``GAN.train_step`` splits each batch into its ``k`` discriminator minibatches, so the batch is
    dropped at the end of an epoch when it is not full (every step then has the same shape).

    >>> ds = gan_dataset(np.zeros((10, 28, 28, 1), "float32"), batch_size=2, k=2)
    >>> [tuple(b.shape) for b in ds]
    [(4, 28, 28, 1), (4, 28, 28, 1)]
    """
    images = np.asarray(images, dtype="float32")
    if batch_size < 1 or k < 1:
        raise ValueError(f"batch_size and k must be ≥ 1, got {batch_size} and {k}.")
    if len(images) < k * batch_size:
        raise ValueError(f"{len(images)} images are fewer than one batch of k·batch_size = {k * batch_size}.")
    items = images if labels is None else (images, np.asarray(labels, dtype="int32"))
    ds = tf.data.Dataset.from_tensor_slices(items).shuffle(len(images), seed=seed)
    return ds.batch(k * batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def noise_sampler(generator: keras.Model, noise: Any, labels: Any = None) -> Callable[[int], np.ndarray]:
    """``sample(n)``: the generator's images in [0, 1] for the first ``n`` of these fixed ``noise`` rows.

    The sampler of ``quality.ScoreHistory`` for a GAN: every score is taken on the same codings (and
    the same ``labels``, for a conditional generator), so scores differ only because the generator did.

    >>> g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="tanh")])
    >>> noise_sampler(g, np.zeros((10, 2)))(3).shape
    (3, 4)
    """
    noise = np.asarray(noise, dtype="float32")
    labels = None if labels is None else np.asarray(labels, dtype="int32")
    if labels is not None and len(labels) != len(noise):
        raise ValueError(f"labels ({len(labels)}) and noise ({len(noise)}) must have one row per sample.")

    def sample(n: int) -> np.ndarray:
        if not 0 < n <= len(noise):
            raise ValueError(f"asked for {n} samples from {len(noise)} fixed noise rows: pass more noise.")
        return generate(generator, noise[:n], None if labels is None else labels[:n])

    return sample


def generate(generator: keras.Model, noise: Any, labels: Any = None, *, batch_size: int = 500) -> np.ndarray:
    """Images in [0, 1] generated from ``noise`` (and ``labels`` for a conditional generator).

    >>> g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="tanh")])
    >>> generate(g, np.zeros((3, 2))).shape
    (3, 4)
    """
    noise = np.asarray(noise, dtype="float32")
    inputs = noise if labels is None else [noise, np.asarray(labels, dtype="int32")]
    return _to_unit(generator.predict(inputs, batch_size=batch_size, verbose=0))


# --------------------------------------------------------------------------- callbacks


class FixedNoiseSamples(keras.callbacks.Callback):
    """Keep the generator's images for the same fixed noise after every ``every`` epochs.

    ``snapshots`` maps an epoch number (1-based; 0 = before training) to images in [0, 1], so you can
    watch the *same* codings turn into clothing: ``plotting.image_grid`` of ``snapshots[e]``.
    """

    def __init__(self, noise: Any, labels: Any = None, every: int = 1) -> None:
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be ≥ 1, got {every}.")
        self.noise = np.asarray(noise, dtype="float32")
        self.labels = labels
        self.every = every
        self.epochs_seen = 0   # keeps counting across several fit() calls
        self.snapshots: dict[int, np.ndarray] = {}

    def _generator(self) -> keras.Model:
        return getattr(self.model, "generator", self.model)

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not self.snapshots:
            self.snapshots[0] = generate(self._generator(), self.noise, self.labels)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs_seen += 1
        if self.epochs_seen % self.every == 0:
            self.snapshots[self.epochs_seen] = generate(self._generator(), self.noise, self.labels)


class BatchHistory(keras.callbacks.Callback):
    """Keep the value of every logged metric **per batch**, for the plots of non-convergence.

    ``fit()`` logs running means that restart each epoch; each batch's own value is recovered from two
    consecutive means (``b · mean_b − (b − 1) · mean_{b−1}``), exact for metrics that are plain means
    with the same weight per batch, as every ``GAN`` metric is. ``values[name]`` is the list over all
    batches of all epochs (``GAN``: ``d_real`` is mean D(x), ``d_fake`` mean D(G(z)) of that batch).
    """

    def __init__(self, names: Sequence[str] = ("d_real", "d_fake")) -> None:
        super().__init__()
        if not names or isinstance(names, str):
            raise ValueError(f"names must be a list of logged metric names, got {names!r}.")
        self.names = tuple(names)
        self.values: dict[str, list[float]] = {name: [] for name in self.names}
        self._previous: dict[str, float] = {}

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._previous = {}

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for name in self.names:
            if name not in logs:
                raise KeyError(f"the model logs no metric {name!r}; it logs {sorted(logs)}.")
            mean = float(logs[name])
            self.values[name].append((batch + 1) * mean - batch * self._previous.get(name, 0.0))
            self._previous[name] = mean


@dataclass
class GanTrainer:
    """Train a notebook's GANs the same way, and keep what the later cells read.

    One ``train`` call compiles the model, fits it on ``gan_dataset(images, batch_size, k=model.k)``
    while two callbacks watch the generator (``FixedNoiseSamples`` on ``show_noise``, and
    ``quality.ScoreHistory`` on ``score_noise``: epoch 0 is the untrained generator) and, with
    ``per_batch=True``, a ``BatchHistory``. Under ``COURSE_REUSE=1`` it calls no ``fit()``:
    ``training.train_or_reuse`` loads both networks' weights and the results from an earlier run with
    the same ``settings``. ``runs[key]`` holds plain data (history, snapshots, ``(epoch, Score)`` pairs,
    seconds, generator and discriminator steps, per-batch values); ``results[key]`` the final score's
    numbers for the results table.

    >>> trainer = GanTrainer(scorer, X_train, score_noise, show_noise, 64, SEED, WORK, SETTINGS)  # doctest: +SKIP
    >>> trainer.train("dense", "dense GAN", model, 4, adam(1e-3), adam(1e-3))                    # doctest: +SKIP
    """

    scorer: Any
    images: Any
    score_noise: Any
    show_noise: Any
    batch_size: int
    seed: int
    folder: Any
    settings: dict[str, Any]
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def train(self, key: str, label: str, model: GAN, epochs: int, d_optimizer: keras.optimizers.Optimizer,
              g_optimizer: keras.optimizers.Optimizer, *, labels: Any = None, noise_labels: Any = None,
              images: Any = None, per_batch: bool = False, verbose: bool = True) -> GAN:
        """Train ``model`` for ``epochs`` (or reuse an earlier run), record it under ``key``; return it.

        ``labels`` are the training labels of a conditional GAN and ``noise_labels`` the labels asked
        with ``score_noise`` (one per row); ``images`` replaces the trainer's training images.
        """
        from helpers import quality, training  # imported here: quality and training import keras models

        check_int("epochs", epochs, 1)
        model.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)
        images = self.images if images is None else images
        score_noise = np.asarray(self.score_noise, dtype="float32")
        show_labels = None if noise_labels is None else np.asarray(noise_labels)[:len(self.show_noise)]

        def train() -> dict[str, Any]:
            samples = FixedNoiseSamples(self.show_noise, show_labels)
            scores = quality.ScoreHistory(self.scorer, noise_sampler(model.generator, score_noise, noise_labels),
                                          n=len(score_noise))
            callbacks = [samples, scores] + ([BatchHistory()] if per_batch else [])
            dataset = gan_dataset(images, self.batch_size, k=model.k, labels=labels, seed=self.seed)
            start = time.perf_counter()
            history = model.fit(dataset, epochs=epochs, verbose=0, callbacks=callbacks)
            return dict(history=history.history, snapshots=samples.snapshots, scores=scores.by_epoch,
                        seconds=time.perf_counter() - start, g_steps=int(model.g_optimizer.iterations),
                        d_steps=int(model.d_optimizer.iterations),
                        per_batch=callbacks[2].values if per_batch else None)

        run = training.train_or_reuse(key, train, [model.generator, model.discriminator],
                                      folder=self.folder, settings=self.settings)
        self.runs[key] = run
        final = run["scores"][-1][1]
        self.results[key] = dict(
            label=label, seconds=run["seconds"], g_steps=run["g_steps"], fid=final.fid,
            covered=final.coverage.covered, entropy_bits=final.coverage.entropy_bits,
            unrecognised=final.unrecognised_share, precision=final.precision, recall=final.recall,
            pca_fid=final.pca_fid, pca_precision=final.pca_precision, pca_recall=final.pca_recall,
            class_recognised=final.class_recognised,
            parameters=model.generator.count_params() + model.discriminator.count_params())
        if verbose:
            print(f"{label}: {epochs} epochs, {run['g_steps']:,} generator steps in {run['seconds']:.0f} s; "
                  f"{final}")
        return model
