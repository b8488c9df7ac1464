"""Shared helpers for the Keras 3 course notebooks.

Modules (import the one you need, e.g. ``from helpers import data, plotting``):

- ``runtime``: the environment a notebook runs in: run profiles (smoke/demo/full), seeding,
  version and device report, known-warning filters, the one-call notebook setup.
- ``lessons``: a lesson as a claim checked on the run (``expect``: a ✔/✘ line; strict under CI).
- ``exercises``: checked exercises (``check``: a ✔/✘ line on a student's answer; the starter must
  fail it and the solution pass it under CI), checkers, hidden solution cells (NumPy only).
- ``results``: one notebook's results for another (this machine's run, else the stored demo ones).
- ``files``: what a notebook writes: work folders, metrics recorded for the run report, atomic
  writes (standard library only).
- ``data``: the dataset registry, verified downloads/mirror copies, and loaders.
- ``decoding``: samplers (temperature, top-k, top-p) and character generators.
- ``rnn``: stateful-RNN utilities (state reset, stateless twin).
- ``training``: atomic ``.keras`` saves, the best-model checkpoint, ``train_or_reuse`` (``COURSE_REUSE=1``).
- ``plotting``: course plot style, learning curves, image grids, reconstructions, quality scores.
- ``layers``: reusable Keras layers (tied ``DenseTranspose``, ``ActivityPenalty``).
- ``text``: length bucketing and the sentiment-prediction wrapper.
- ``encoders``: sentence encoders for Keras 3 (TF Hub SavedModels, offline USE-multilingual).
- ``seq2seq``: greedy and beam-search decoders, masks, positional encodings, attention plots.
- ``metrics``: corpus BLEU and chrF (sacrebleu), BLEU by sentence length.
- ``quality``: the image-quality score of the generative notebooks (classifier-feature Fréchet
  distance, class coverage, the recognised share, precision and recall, a pixel-PCA score, floor,
  ceiling and a blurred-real bad reference, edge strength).
- ``vae``: the VAE's ``Sampling`` layer (reparameterization trick) and KL term.
- ``gan``: GAN losses, the two-phase GAN and WGAN-GP models, gradient penalty, the trainer the GAN
  notebooks share (``GanTrainer``) and per-batch discriminator outputs (``BatchHistory``).
- ``toy2d``: the ring of eight Gaussians (a toy for mode collapse) and its diversity measures.
- ``mlm``: BERT's masked-language-model corruption (15% selected; 80/10/10).
"""

__version__ = "0.1.0"
