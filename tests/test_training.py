"""Tests for helpers.training: the atomic save and the best-model checkpoint."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

from helpers import training
from helpers.training import BestModelCheckpoint, save_model_atomically

X = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _saved_kernel(path):
    return keras.models.load_model(path).layers[-1].get_weights()[0]


def _shift_weights(model, delta):
    model.set_weights([w + delta for w in model.get_weights()])


# --------------------------------------------------------------------------- construction


@pytest.mark.parametrize(
    "monitor, mode",
    [("val_accuracy", "max"), ("accuracy", "max"), ("val_sparse_categorical_accuracy", "max"),
     ("val_loss", "min"), ("loss", "min"), ("val_mae", "min")],
)
def test_auto_mode_follows_the_metric_name(tmp_path, monitor, mode):
    ckpt = BestModelCheckpoint(tmp_path / "m.keras", monitor=monitor)
    assert ckpt.mode == mode
    assert ckpt.best == (-np.inf if mode == "max" else np.inf)
    assert ckpt.best_epoch is None


def test_default_monitor_is_val_loss(tmp_path):
    ckpt = BestModelCheckpoint(tmp_path / "m.keras")
    assert (ckpt.monitor, ckpt.mode) == ("val_loss", "min")


def test_explicit_mode_overrides_auto(tmp_path):
    assert BestModelCheckpoint(tmp_path / "m.keras", monitor="val_loss", mode="max").mode == "max"
    assert BestModelCheckpoint(tmp_path / "m.keras", monitor="val_acc", mode="min").mode == "min"


@pytest.mark.parametrize("name", ["model.h5", "model.weights.h5", "model", "model.keras.tmp"])
def test_rejects_files_that_are_not_dot_keras(tmp_path, name):
    with pytest.raises(ValueError, match=r"\.keras"):
        BestModelCheckpoint(tmp_path / name)


@pytest.mark.parametrize("mode", ["maximum", "MAX", "", None])
def test_rejects_bad_modes(tmp_path, mode):
    with pytest.raises(ValueError, match="mode must be"):
        BestModelCheckpoint(tmp_path / "m.keras", mode=mode)


# --------------------------------------------------------------------------- saving on improvement


def test_saves_only_when_the_loss_improves(tmp_path):
    path = tmp_path / "best.keras"
    model = _model()
    ckpt = BestModelCheckpoint(path, monitor="val_loss")
    ckpt.set_model(model)

    ckpt.on_epoch_end(0, {"loss": 1.0, "val_loss": np.float32(0.9)})
    assert path.exists()
    assert (ckpt.best, ckpt.best_epoch) == (pytest.approx(0.9), 0)
    kernel_0 = model.layers[-1].get_weights()[0].copy()
    np.testing.assert_array_equal(_saved_kernel(path), kernel_0)

    _shift_weights(model, 1.0)
    ckpt.on_epoch_end(1, {"val_loss": 1.2})  # worse: not saved
    ckpt.on_epoch_end(2, {"val_loss": 0.9})  # equal: not an improvement
    assert (ckpt.best, ckpt.best_epoch) == (pytest.approx(0.9), 0)
    np.testing.assert_array_equal(_saved_kernel(path), kernel_0)

    ckpt.on_epoch_end(3, {"val_loss": 0.5})  # better: saved with the current weights
    assert (ckpt.best, ckpt.best_epoch) == (pytest.approx(0.5), 3)
    np.testing.assert_array_equal(_saved_kernel(path), kernel_0 + 1.0)
    assert [p.name for p in tmp_path.iterdir()] == ["best.keras"]


def test_saves_only_when_the_accuracy_improves(tmp_path):
    path = tmp_path / "sub" / "best.keras"  # the folder is created
    model = _model()
    ckpt = BestModelCheckpoint(path, monitor="val_accuracy")
    ckpt.set_model(model)
    saved = []
    for epoch, (acc, delta) in enumerate([(0.5, 0.0), (0.7, 1.0), (0.6, 1.0), (0.8, 1.0)]):
        _shift_weights(model, delta)
        ckpt.on_epoch_end(epoch, {"val_accuracy": acc, "val_loss": 1.0})
        saved.append(_saved_kernel(path)[0, 0])
    kernel = model.layers[-1].get_weights()[0][0, 0]
    # weights shift by +1 from epoch 1 on; saves happen at epochs 0, 1 and 3
    np.testing.assert_allclose(saved, [kernel - 3, kernel - 2, kernel - 2, kernel], atol=1e-6)
    assert (ckpt.best, ckpt.best_epoch) == (pytest.approx(0.8), 3)


def test_missing_metric_raises_key_error_with_advice(tmp_path):
    ckpt = BestModelCheckpoint(tmp_path / "m.keras", monitor="val_accuracy")
    ckpt.set_model(_model())
    with pytest.raises(KeyError) as info:
        ckpt.on_epoch_end(0, {"loss": 0.3, "accuracy": 0.9})
    message = str(info.value)
    assert "val_accuracy" in message and "validation_data" in message
    assert "['accuracy', 'loss']" in message
    with pytest.raises(KeyError, match="validation_data"):
        ckpt.on_epoch_end(0, None)
    assert not (tmp_path / "m.keras").exists()


def test_saved_model_reloads_and_predicts_the_same(tmp_path):
    path = tmp_path / "best.keras"
    model = _model(seed=3)
    ckpt = BestModelCheckpoint(path)
    ckpt.set_model(model)
    ckpt.on_epoch_end(0, {"val_loss": 0.1})
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(X, verbose=0), model.predict(X, verbose=0),
                               atol=1e-6)


def test_checkpoint_during_fit_keeps_the_best_epoch(tmp_path):
    path = tmp_path / "best.keras"
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = np.stack([x.sum(axis=1), x[:, 0] - x[:, 1]], axis=1).astype("float32")
    model = _model(seed=4)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    ckpt = BestModelCheckpoint(path)
    history = model.fit(x, y, validation_data=(x[:8], y[:8]), batch_size=16, epochs=3,
                        verbose=0, callbacks=[ckpt])
    val = history.history["val_loss"]
    assert ckpt.best_epoch == int(np.argmin(val))
    assert ckpt.best == pytest.approx(min(val), rel=1e-6)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.evaluate(x[:8], y[:8], verbose=0), min(val), rtol=1e-4)


# --------------------------------------------------------------------------- save_model_atomically


def test_save_model_atomically_writes_a_loadable_file(tmp_path):
    path = tmp_path / "deep" / "model.keras"
    model = _model(seed=5)
    assert save_model_atomically(model, str(path)) == path
    assert [p.name for p in path.parent.iterdir()] == ["model.keras"]
    np.testing.assert_allclose(keras.models.load_model(path).predict(X, verbose=0),
                               model.predict(X, verbose=0), atol=1e-6)


def test_save_model_atomically_rejects_other_suffixes(tmp_path):
    with pytest.raises(ValueError, match=r"\.keras"):
        save_model_atomically(_model(), tmp_path / "model.h5")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.keras"
    model = _model(seed=6)
    save_model_atomically(model, path)
    good_bytes = path.read_bytes()
    expected = model.predict(X, verbose=0)

    def crashing_save(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a zip file")
        raise RuntimeError("disk full while saving")

    monkeypatch.setattr(model, "save", crashing_save)
    _shift_weights(model, 1.0)
    with pytest.raises(RuntimeError, match="disk full"):
        save_model_atomically(model, path)
    assert path.read_bytes() == good_bytes
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # no temporary left
    np.testing.assert_allclose(keras.models.load_model(path).predict(X, verbose=0), expected,
                               atol=1e-6)

    ckpt = BestModelCheckpoint(path)  # a crash inside the callback is not recorded as a save
    ckpt.set_model(model)
    with pytest.raises(RuntimeError):
        ckpt.on_epoch_end(0, {"val_loss": 0.1})
    assert path.read_bytes() == good_bytes
    assert (ckpt.best, ckpt.best_epoch) == (np.inf, None)


def test_nan_metric_is_never_an_improvement(tmp_path):
    ckpt = BestModelCheckpoint(tmp_path / "m.keras")
    ckpt.set_model(_model())
    ckpt.on_epoch_end(0, {"val_loss": float("nan")})
    assert not (tmp_path / "m.keras").exists()
    assert ckpt.best_epoch is None
    ckpt.on_epoch_end(1, {"val_loss": 2.0})
    assert ckpt.best_epoch == 1 and (tmp_path / "m.keras").exists()


# --------------------------------------------------------------------------- train_or_reuse


def _tiny(units=1):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(units)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _fit(model, calls):
    def train():
        calls.append(1)
        return {"loss": model.fit(np.ones((8, 2)), np.ones((8, model.output_shape[-1])), epochs=2,
                                  verbose=0).history["loss"]}
    return train


def test_train_or_reuse_reloads_weights_and_result(tmp_path, capsys):
    calls, first = [], _tiny()
    result = training.train_or_reuse("m", _fit(first, calls), first, folder=tmp_path, profile="demo")
    assert capsys.readouterr().out == ""  # training without COURSE_REUSE prints nothing extra
    second = _tiny()  # fresh weights, and a fresh optimizer: no warning that its state is not loaded
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = training.train_or_reuse("m", _fit(second, calls), second, folder=tmp_path, profile="demo",
                                        reuse=True)
    assert calls == [1] and again == result
    assert "reused the weights and results of the demo run" in capsys.readouterr().out
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_train_or_reuse_reads_the_environment(tmp_path, monkeypatch, capsys):
    calls, model = [], _tiny()
    training.train_or_reuse("m", _fit(model, calls), model, folder=tmp_path, profile="demo")
    monkeypatch.setenv("COURSE_REUSE", "1")
    training.train_or_reuse("m", _fit(model, calls), model, folder=tmp_path, profile="demo")
    monkeypatch.setenv("COURSE_REUSE", "0")
    training.train_or_reuse("m", _fit(model, calls), model, folder=tmp_path, profile="demo")
    assert calls == [1, 1] and capsys.readouterr().out.count("reused") == 1


@pytest.mark.parametrize("change, why", [
    ({"profile": "smoke"}, "nothing saved yet"),
    ({"settings": {"epochs": 3}}, "saved with other settings"),
    ({"units": 2}, "no longer fit the model"),
])
def test_train_or_reuse_trains_again_and_says_why(tmp_path, capsys, change, why):
    calls, model = [], _tiny()
    training.train_or_reuse("m", _fit(model, calls), model, folder=tmp_path, profile="demo",
                            settings={"epochs": 2})
    other = _tiny(change.get("units", 1))
    training.train_or_reuse("m", _fit(other, calls), other, folder=tmp_path,
                            profile=change.get("profile", "demo"),
                            settings=change.get("settings", {"epochs": 2}), reuse=True)
    assert calls == [1, 1]
    assert why in capsys.readouterr().out


def test_train_or_reuse_trains_from_the_original_weights_when_some_do_not_fit(tmp_path):
    first, second = _tiny(), _tiny(2)
    training.train_or_reuse("pair", lambda: None, [first, second], folder=tmp_path, profile="demo")
    fresh_first, wider = _tiny(), _tiny(3)  # the first model fits its file, the second no longer does
    original = fresh_first.get_weights()
    seen = []
    training.train_or_reuse("pair", lambda: seen.append(fresh_first.get_weights()), [fresh_first, wider],
                            folder=tmp_path, profile="demo", reuse=True)
    for a, b in zip(seen[0], original):  # train() started from fresh_first's own weights, not the saved ones
        np.testing.assert_array_equal(a, b)


def test_train_or_reuse_keeps_nothing_from_a_failed_run(tmp_path):
    model = _tiny()

    def broken():
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        training.train_or_reuse("m", broken, model, folder=tmp_path, profile="demo")
    assert list(tmp_path.iterdir()) == []


def test_train_or_reuse_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="file names"):
        training.train_or_reuse("a b/c", lambda: None, _tiny(), folder=tmp_path, profile="demo")
    with pytest.raises(ValueError, match="the model"):
        training.train_or_reuse("m", lambda: None, [], folder=tmp_path, profile="demo")
