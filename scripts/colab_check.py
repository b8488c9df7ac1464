"""Run notebooks as a student's Colab would: stock packages only, helpers installed by the setup cell.

    python scripts/colab_check.py [NN ...]     # run with the Python of the Colab-like environment

Colab's stock runtime has TensorFlow, Keras, NumPy, Matplotlib, scikit-learn... but not this course's
helpers or the extras a notebook needs (sacrebleu, the subword tokenizer...): each notebook's first
code cell installs them (``%pip install "keras-course-helpers[EXTRA] @ git+https://github.com/...@REF"``).
This script checks that this works, notebook by notebook:

1. the running interpreter's environment plays Colab's stock runtime (``requirements-colab.txt``:
   Colab's versions, without the course's package or extras; ``.ci/run`` creates it);
2. for each notebook, a fresh virtual environment sees those stock packages (a ``.pth`` file) and
   nothing else: no project checkout on the path, no helpers, no extras;
3. the notebook is executed there at the ``smoke`` profile (papermill), its install URL pointed at
   a wheel built once from this checkout (no network to GitHub is needed; the extras come from the
   package index), in an empty working folder;
4. the check fails if a cell fails, or if the setup cell did not install the helpers.

Executed copies go to ``build/colab-check/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import select_notebooks  # noqa: E402  (the same names and prefixes as ./course demo)

OUT = ROOT / "build" / "colab-check"
INSTALL = re.compile(r'(%pip install -q "keras-course-helpers(?:\[[\w,]+\])?) @ git\+https://github\.com/[^"]+"')


def _local_install(nb: dict, source: Path) -> dict:
    """``nb`` with its setup cell's install URL pointed at the checkout in ``source`` (a file URL)."""
    setup = next(c for c in nb["cells"] if c["cell_type"] == "code")
    text = "".join(setup["source"])
    if not INSTALL.search(text):
        raise SystemExit("The first code cell has no `%pip install -q \"keras-course-helpers[...] @ git+https://"
                         "github.com/...\"` line: nothing would install the helpers in Colab.")
    setup["source"] = INSTALL.sub(lambda m: f'{m.group(1)} @ {source.as_uri()}"', text)
    return nb


def _fresh_env(where: Path) -> Path:
    """A new virtual environment that sees the running interpreter's packages and nothing else."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = where / "bin" / "python"
    child_site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                check=True, capture_output=True, text=True).stdout.strip()
    Path(child_site, "_colab_stock_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    found = subprocess.run([python, "-c", "import importlib.util as u; print(u.find_spec('helpers') is None)"],
                           check=True, capture_output=True, text=True, cwd=where).stdout.strip()
    if found != "True":
        raise SystemExit("The Colab-like environment already has `helpers`: create it from "
                         "requirements-colab.txt only (no `pip install -e .`).")
    return python


def build_wheel(source: Path, into: Path) -> Path:
    """Build the course package's wheel from the checkout ``source`` once (each notebook installs it)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(into),
                    str(source)], check=True)
    wheels = sorted(into.glob("keras_course_helpers-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"building the course package's wheel from {source} gave {len(wheels)} wheels.")
    return wheels[0]


def check(path: Path, source: Path) -> float:
    """Run one notebook in a fresh environment; return its wall time in seconds."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"colab-{path.stem}-") as tmp:
        tmp = Path(tmp)
        python = _fresh_env(tmp / "venv")
        work = tmp / "work"
        work.mkdir()
        nb = _local_install(json.loads(path.read_text(encoding="utf-8")), source)
        (work / path.name).write_text(json.dumps(nb), encoding="utf-8")
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "VIRTUAL_ENV", "COURSE_WORK_DIR", "COURSE_METRICS_FILE")}
        env.update(COURSE_PROFILE="smoke", COURSE_STRICT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
        env.setdefault("COURSE_CACHE_DIR", str(ROOT / "data" / "cache"))
        start = time.perf_counter()
        result = subprocess.run([python, "-m", "papermill", path.name, str(OUT / path.name), "--kernel", "python3",
                                 "--no-progress-bar", "--log-level", "ERROR"], cwd=work, env=env)
        seconds = time.perf_counter() - start
        installed = subprocess.run([python, "-m", "pip", "show", "keras-course-helpers"], capture_output=True,
                                   text=True, env=env, cwd=work).returncode == 0
    if result.returncode != 0:
        raise SystemExit(f"{path.name}: a cell failed in the Colab-like environment (see {OUT / path.name}).")
    if not installed:
        raise SystemExit(f"{path.name}: ran, but its setup cell did not install keras-course-helpers.")
    missing = missing_results(json.loads((OUT / path.name).read_text(encoding="utf-8")))
    if missing:
        raise SystemExit(f"{path.name}: alone in its runtime it found no results of {', '.join(missing)}: "
                         "store them with ./course demo --store (helpers/stored_results/).")
    return seconds


def missing_results(nb: dict) -> list[str]:
    """The notebooks whose results an executed notebook looked for and did not find (helpers.results).

    >>> missing_results({"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream",
    ...     "text": "notebook 06_vae: no results found (neither ... nor stored ones): run ..."}]}]})
    ['06_vae']
    """
    found = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            found += re.findall(r"notebook (\S+): no results found", text)
    return found


def main(argv: list[str] | None = None) -> int:
    for name in ("COURSE_DATA_MIRROR", "COURSE_CACHE_DIR"):  # the notebooks run in another folder
        if os.environ.get(name):
            os.environ[name] = str(Path(os.environ[name]).resolve())
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook names or prefixes (default: all)")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout the setup cells install from")
    args = parser.parse_args(argv)
    chosen = select_notebooks(args.notebooks)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    print(f"Colab-like environment: Python {sys.version.split()[0]}, TensorFlow {tf.__version__}, "
          f"Keras {keras.__version__}; helpers installed by each notebook's setup cell from {args.source}")
    with tempfile.TemporaryDirectory(prefix="colab-wheel-") as wheels:
        wheel = build_wheel(args.source.resolve(), Path(wheels))
        for path in chosen:
            seconds = check(path, wheel)
            print(f"{path.stem}: passed in {seconds / 60:.1f} min (fresh environment, setup cell installed the "
                  "helpers)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
