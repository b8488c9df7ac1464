"""Tests for helpers.runtime: profiles, seeding, device and version report, warnings, setup."""

from __future__ import annotations

import json
import os
import random
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from helpers import runtime

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No profile or CI variable leaks in from the caller's shell."""
    for name in (runtime.PROFILE_ENV, "CI"):
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------- get_profile


def _fake_devices(monkeypatch, devices):
    """Make TensorFlow's device list say what ``devices`` says (the profile must not depend on it)."""
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "list_physical_devices", devices)


@pytest.mark.parametrize("name", ["smoke", "demo", "full"])
def test_get_profile_explicit_name(name):
    assert runtime.get_profile(name) == name


def test_get_profile_explicit_name_wins_over_env_and_is_normalised(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV, "full")
    monkeypatch.setenv("CI", "true")
    assert runtime.get_profile("smoke") == "smoke"
    assert runtime.get_profile("  Demo \n") == "demo"


@pytest.mark.parametrize("value, expected",
                         [("demo", "demo"), ("SMOKE", "smoke"), ("  Full\t\n", "full")])
def test_get_profile_from_env_is_case_and_whitespace_insensitive(monkeypatch, value, expected):
    monkeypatch.setenv(runtime.PROFILE_ENV, value)
    _fake_devices(monkeypatch, lambda *args, **kwargs: pytest.fail("devices must not be probed"))
    assert runtime.get_profile() == expected


def test_get_profile_env_wins_over_ci(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV, "full")
    monkeypatch.setenv("CI", "true")
    assert runtime.get_profile() == "full"


@pytest.mark.parametrize("source", ["arg", "env"])
def test_get_profile_unknown_name_lists_the_choices(monkeypatch, source):
    if source == "env":
        monkeypatch.setenv(runtime.PROFILE_ENV, "turbo")
        call = runtime.get_profile
    else:
        def call():
            return runtime.get_profile("turbo")
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert "turbo" in message
    for profile in ("smoke", "demo", "full"):
        assert profile in message


@pytest.mark.parametrize("ci", ["true", "TRUE", "1", "yes", " on "])
def test_get_profile_ci_defaults_to_smoke(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    _fake_devices(monkeypatch, lambda *args, **kwargs: ["GPU:0"])  # CI wins even with a GPU
    assert runtime.get_profile() == "smoke"


def test_get_profile_blank_env_falls_back_to_default(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV, "   ")
    monkeypatch.setenv("CI", "true")
    assert runtime.get_profile() == "smoke"


@pytest.mark.parametrize("ci", [None, "false", "0", ""])
def test_get_profile_without_ci_or_gpu_is_demo(monkeypatch, ci):
    if ci is not None:
        monkeypatch.setenv("CI", ci)
    _fake_devices(monkeypatch, lambda *args, **kwargs: [])
    assert runtime.get_profile() == "demo"


def test_get_profile_with_gpu_is_demo_and_full_is_opt_in(monkeypatch):
    _fake_devices(monkeypatch, lambda *args, **kwargs: ["GPU:0"])
    assert runtime.get_profile() == "demo"  # its time is measured; full's is only estimated
    monkeypatch.setenv(runtime.PROFILE_ENV, "full")
    assert runtime.get_profile() == "full"


# --------------------------------------------------------------------------- chooser


@pytest.mark.parametrize("profile, expected", [("smoke", 1), ("demo", 5), ("full", 10)])
def test_chooser_picks_the_profile_value(profile, expected):
    pick = runtime.chooser(profile)
    assert pick(smoke=1, demo=5, full=10) == expected
    assert pick(smoke="a", demo="b", full="c") == "abc"[["smoke", "demo", "full"].index(profile)]


def test_chooser_without_name_uses_env(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV, "Full")
    assert runtime.chooser(None)(smoke=1, demo=2, full=3) == 3


def test_chooser_rejects_unknown_profile():
    with pytest.raises(ValueError, match="smoke, demo, full"):
        runtime.chooser("huge")


def test_chooser_needs_all_three_values_by_keyword():
    pick = runtime.chooser("demo")
    with pytest.raises(TypeError):
        pick(smoke=1, demo=2)  # full missing
    with pytest.raises(TypeError):
        pick(1, 2, 3)


# --------------------------------------------------------------------------- seed_everything


def _draws():
    import keras
    import tensorflow as tf

    return (
        random.random(),
        np.random.rand(3),
        keras.ops.convert_to_numpy(keras.random.normal((4,))),
        tf.random.uniform((4,)).numpy(),
    )


def test_seed_everything_repeats_every_generator(monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)  # restored after the test
    rng_a = runtime.seed_everything(123)
    first = _draws()
    rng_b = runtime.seed_everything(123)
    second = _draws()

    assert isinstance(rng_a, np.random.Generator)
    assert first[0] == second[0]
    for a, b in zip(first[1:], second[1:]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(rng_a.integers(0, 1000, 10), rng_b.integers(0, 1000, 10))
    assert os.environ["PYTHONHASHSEED"] == "123"

    runtime.seed_everything(124)
    other = _draws()
    assert other[0] != first[0]
    for a, b in zip(other[1:], first[1:]):
        assert not np.array_equal(a, b)


def test_seed_everything_generator_matches_default_rng():
    rng = runtime.seed_everything(7)
    np.testing.assert_array_equal(rng.random(5), np.random.default_rng(7).random(5))


def test_seed_everything_deterministic_switches_on_op_determinism(monkeypatch):
    import tensorflow as tf

    calls = []
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism",
                        lambda: calls.append("on"))
    runtime.seed_everything(1, deterministic=False)
    assert calls == []
    runtime.seed_everything(1, deterministic=True)
    assert calls == ["on"]
    monkeypatch.setattr(runtime, "deterministic_default", lambda: False)  # as on a GPU
    runtime.seed_everything(1)
    assert calls == ["on"]
    monkeypatch.setattr(runtime, "deterministic_default", lambda: True)  # as on a CPU
    runtime.seed_everything(1)
    assert calls == ["on", "on"]


def test_op_determinism_is_off_by_default():
    assert runtime.deterministic_default() is False


@pytest.mark.parametrize("seed", [-1, 1.5, "3", None, True, np.float64(2.0)])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be an integer ≥ 0"):
        runtime.seed_everything(seed)


# --------------------------------------------------------------------------- run seed, parameters


def test_get_seed_reads_the_environment_or_the_notebooks_default(monkeypatch):
    monkeypatch.delenv(runtime.SEED_ENV, raising=False)
    assert runtime.get_seed(42) == 42
    monkeypatch.setenv(runtime.SEED_ENV, " 2 ")
    assert runtime.get_seed(42) == 2
    monkeypatch.setenv(runtime.SEED_ENV, "two")
    with pytest.raises(ValueError, match="export COURSE_SEED=1"):
        runtime.get_seed(42)


def test_the_run_seed_drives_the_random_streams(monkeypatch):
    monkeypatch.setenv(runtime.SEED_ENV, "1")
    first = runtime.seed_everything(runtime.get_seed(42)).integers(1000, size=5).tolist()
    again = runtime.seed_everything(runtime.get_seed(42)).integers(1000, size=5).tolist()
    monkeypatch.setenv(runtime.SEED_ENV, "2")
    other = runtime.seed_everything(runtime.get_seed(42)).integers(1000, size=5).tolist()
    assert first == again != other


def test_parameters_keep_every_plain_upper_case_value_and_nothing_else():
    from pathlib import Path

    namespace = {"EPOCHS": 3, "RATE": 0.5, "NAME": "gru", "SIZES": (1, 2), "MAP": {"a": [1]},
                 "OFF": None, "COUNT": np.int64(4), "WORK": Path("outputs"), "MIXED": (1, Path("x")),
                 "pick": 1, "_HIDDEN": 2, "SETTINGS": {"old": 1}, "ARRAY": np.zeros(2)}
    assert runtime.parameters(namespace) == {"COUNT": 4, "EPOCHS": 3, "MAP": {"a": [1]}, "NAME": "gru",
                                             "OFF": None, "RATE": 0.5, "SIZES": [1, 2]}
    changed = dict(namespace, EPOCHS=4)
    assert runtime.parameters(changed) != runtime.parameters(namespace)
    with pytest.raises(TypeError, match="globals"):
        runtime.parameters([("EPOCHS", 3)])


# --------------------------------------------------------------------------- warnings


def test_silence_known_warnings_hides_only_listed_messages():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runtime.silence_known_warnings()
        warnings.warn("Your input ran out of data; interrupting training.", UserWarning)
        warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` "
                      "was provided as a tf.data.Dataset.", UserWarning)
        warnings.warn("Layer 'gru' does not support masking", UserWarning)
        warnings.warn("Something else: your input ran out of data", UserWarning)
    messages = [str(w.message) for w in caught]
    assert messages == [
        "Layer 'gru' does not support masking",
        "Something else: your input ran out of data",  # pattern matches at the start only
    ]


def test_silence_known_warnings_does_not_leak_out_of_catch_warnings():
    before = list(warnings.filters)
    with warnings.catch_warnings():
        runtime.silence_known_warnings()
        assert len(warnings.filters) == len(before) + len(runtime.KNOWN_WARNINGS)
    assert warnings.filters == before


def test_not_in_colab_here():
    assert runtime._in_colab() is False


# --------------------------------------------------------------------------- check_versions / setup


def _versions(monkeypatch, **found):
    monkeypatch.setattr(runtime, "_found_versions", lambda names: {n: found.get(n) for n in names})


@pytest.mark.parametrize("tf_version, keras_version", [
    ("2.20.0", "3.13.2"), ("2.21.0", "3.15.1"), ("2.20.1rc0", "3.14.0.dev2026"), ("2.21.9", "3.15.0")])
def test_check_versions_in_range_is_one_quiet_line(monkeypatch, tf_version, keras_version):
    _versions(monkeypatch, tensorflow=tf_version, keras=keras_version)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        line = runtime.check_versions()
    assert line == f"TensorFlow {tf_version}, Keras {keras_version} (tested)"
    assert "\n" not in line


@pytest.mark.parametrize("tf_version, keras_version, culprit", [
    ("2.22.0", "3.15.1", "TensorFlow 2.22.0 is outside the tested 2.20–2.21"),
    ("2.19.1", "3.13.0", "TensorFlow 2.19.1 is outside the tested 2.20–2.21"),
    ("2.21.0", "3.16.0", "Keras 3.16.0 is outside the tested 3.13–3.15"),
    ("2.20.0", "3.9.0", "Keras 3.9.0 is outside the tested 3.13–3.15"),  # 3.9 < 3.13, not a string compare
    ("2.20.0", "nightly", "Keras nightly is outside the tested 3.13–3.15"),
])
def test_check_versions_warns_outside_the_tested_range(monkeypatch, tf_version, keras_version, culprit):
    _versions(monkeypatch, tensorflow=tf_version, keras=keras_version)
    with pytest.warns(UserWarning, match="outside the tested") as caught:
        line = runtime.check_versions()
    assert len(caught) == 1 and culprit in str(caught[0].message)
    assert line.startswith(f"TensorFlow {tf_version}, Keras {keras_version} (UNTESTED: ")
    assert culprit in line


def test_check_versions_missing_library_warns_and_custom_range(monkeypatch):
    _versions(monkeypatch, tensorflow="2.21.0")
    with pytest.warns(UserWarning, match="Keras is not installed"):
        line = runtime.check_versions()
    assert line.startswith("TensorFlow 2.21.0, Keras missing (UNTESTED")
    _versions(monkeypatch, keras="3.15.1")
    assert runtime.check_versions({"keras": ("3.15", "3.15")}) == "Keras 3.15.1 (tested)"


def test_check_versions_default_range_covers_both_requirement_files():
    for name in ("requirements.txt", "requirements-colab.txt"):
        pins = dict(line.split("==") for line in (REPO_ROOT / name).read_text().splitlines()
                    if "==" in line and not line.startswith("#"))
        for module, (low, high) in runtime.TESTED_VERSIONS.items():
            version = runtime._major_minor(pins[module])
            assert runtime._major_minor(low) <= version <= runtime._major_minor(high), (name, module)


def test_check_versions_with_the_real_libraries_names_them():
    import keras
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        line = runtime.check_versions()
    assert line.startswith(f"TensorFlow {tf.__version__}, Keras {keras.__version__} (")


@pytest.mark.parametrize("tested", [{}, {"keras": ("3.15", "3.13")}, {"keras": ("3",)},
                                    {"keras": (3.13, 3.15)}, {"keras": ("three", "3.15")}, ["keras"]])
def test_check_versions_rejects_a_bad_range(tested):
    with pytest.raises(ValueError, match="major.minor|non-empty dict"):
        runtime.check_versions(tested)


def test_setup_notebook_prints_one_line_and_sets_style_and_filters(monkeypatch, capsys):
    import matplotlib as mpl
    import tensorflow as tf

    from helpers import plotting

    _versions(monkeypatch, tensorflow="2.21.0", keras="3.15.1")
    monkeypatch.setattr(mpl, "rcParams", mpl.RcParams(mpl.rcParamsDefault))
    logger = tf.get_logger()
    monkeypatch.setattr(logger, "level", logger.level)  # restored after the test
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert runtime.setup_notebook("smoke") is None
        warnings.warn("Your input ran out of data; interrupting training.", UserWarning)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith(f"Python {runtime.platform.python_version()}, TensorFlow 2.21.0, Keras 3.15.1 (tested) | ")
    gpus = len(tf.config.list_physical_devices("GPU"))
    assert f"{os.cpu_count()} CPU cores, " + ("no GPU" if not gpus else f"{gpus} GPU") in out
    assert out.rstrip().endswith("| profile smoke (set COURSE_PROFILE to change)")
    assert caught == []  # the known warning is filtered
    for key, value in plotting._STYLE.items():
        assert mpl.rcParams[key] == mpl.rcParams.validate[key](value), key
    assert logger.level == 40  # ERROR


def test_setup_notebook_uses_the_environment_profile_and_warns_on_untested(monkeypatch, capsys):
    _versions(monkeypatch, tensorflow="2.30.0", keras="3.15.1")
    monkeypatch.setenv(runtime.PROFILE_ENV, "full")
    with warnings.catch_warnings():
        with pytest.warns(UserWarning, match="TensorFlow 2.30.0 is outside"):
            runtime.setup_notebook(quiet_tensorflow=False)
    out = capsys.readouterr().out
    assert "(UNTESTED: TensorFlow 2.30.0" in out and "| profile full (" in out


def test_setup_notebook_rejects_a_bad_profile_before_changing_anything(monkeypatch, capsys):
    import matplotlib as mpl

    monkeypatch.setattr(mpl, "rcParams", mpl.RcParams(mpl.rcParamsDefault))
    with pytest.raises(ValueError, match="smoke, demo, full"):
        runtime.setup_notebook("turbo")
    assert mpl.rcParams["axes.grid"] is False and capsys.readouterr().out == ""


# --------------------------------------------------------------------------- what a run costs


def _readme_minutes() -> dict[str, dict[str, str]]:
    """The smoke/demo/full columns of the README's notebook table, as ``runtime.RUN_MINUTES`` holds them."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        match = re.match(r"\| (\d\d\w*) \| \[.*\| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \|$", line)
        if match:
            key, *cells = match.groups()
            smoke, demo, full = (re.sub(r"\s*min.*$", "", c).strip() for c in cells)
            rows[key] = {"smoke": smoke, "demo": demo, "full": full.lstrip("≈ ")}
    return rows


def test_readme_table_shows_the_costs_the_notebooks_print():
    assert _readme_minutes() == runtime.RUN_MINUTES


def test_readme_notebook_table_rows_have_the_headers_columns_and_count_the_exercises():
    root = Path(__file__).resolve().parent.parent
    lines = (root / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(next(line for line in lines if line.startswith("| # | topic |")))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    rows = lines[start + 2:end]
    assert len(rows) == len(list((root / "notebooks").glob("[0-9]*.ipynb")))
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == len(header), f"{cells[0]}: {len(cells)} cells, the header has {len(header)}"
        notebook = next((root / "notebooks").glob(f"{cells[0]}_*.ipynb"))
        cells_md = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        exercises = sum(1 for cell in cells_md if cell["cell_type"] == "markdown"
                        and re.match(r"### Exercise \d", "".join(cell["source"])))
        assert cells[header.index("exercises")] == str(exercises), f"{cells[0]}: README says " \
            f"{cells[header.index('exercises')]} exercises, the notebook has {exercises}"


def test_print_cost_names_the_profile_and_marks_full_as_estimated(capsys):
    runtime.print_cost("05_autoencoders", "demo")
    out = capsys.readouterr().out
    assert out.startswith(f"profile demo: about {runtime.RUN_MINUTES['05']['demo']} min (measured")
    assert f"full ≈ {runtime.RUN_MINUTES['05']['full']} min on a Colab T4 GPU (estimated, never run" in out
    runtime.print_cost("05_autoencoders", "full")
    assert capsys.readouterr().out.startswith(f"profile full: ≈ {runtime.RUN_MINUTES['05']['full']} min")
    with pytest.raises(KeyError, match="RUN_MINUTES"):
        runtime.print_cost("99_new", "demo")
    with pytest.raises(ValueError):
        runtime.print_cost("03_nmt_rnn", "huge")


def test_every_notebook_prints_its_cost():
    for path in sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb")):
        key = path.stem.split("_")[0]
        assert key in runtime.RUN_MINUTES, f"{path.name}: add its measured times to runtime.RUN_MINUTES"
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        parameters = next(c for c in cells if "parameters" in c["metadata"].get("tags", []))
        assert f'runtime.print_cost("{path.stem}", PROFILE)' in "".join(parameters["source"]), (
            f"{path.name}: its parameters cell should end with runtime.print_cost(\"{path.stem}\", PROFILE)")
