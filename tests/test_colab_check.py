"""scripts/colab_check.py: the notebook's own install line is what installs the helpers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import colab_check  # noqa: E402


def _nb(setup: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "source": "# T"}, {"cell_type": "code", "source": setup}]}


def test_install_url_points_at_the_checkout_and_keeps_the_extras(tmp_path):
    setup = ('try:\n    import helpers, sacrebleu\nexcept ImportError:\n'
             '    %pip install -q "keras-course-helpers[nmt] @ git+https://github.com/ann/course@v1"\n')
    out = colab_check._local_install(_nb(setup), tmp_path)
    code = out["cells"][1]["source"]
    assert f'%pip install -q "keras-course-helpers[nmt] @ {tmp_path.as_uri()}"' in code
    assert "github.com" not in code and "import helpers, sacrebleu" in code


def test_every_notebook_has_an_install_line_the_check_can_redirect(tmp_path):
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        out = colab_check._local_install(json.loads(path.read_text(encoding="utf-8")), tmp_path)
        setup = next(c for c in out["cells"] if c["cell_type"] == "code")
        assert tmp_path.as_uri() in "".join(setup["source"]), path.name


def test_a_notebook_without_the_install_line_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="nothing would install the helpers"):
        colab_check._local_install(_nb("import helpers\n"), tmp_path)


def test_a_notebook_that_found_no_results_of_another_is_named():
    printed = lambda text: {"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream", "text": text}]}]}
    assert colab_check.missing_results(printed("notebook 06_vae: no results found (neither x nor stored)")) == [
        "06_vae"]
    assert colab_check.missing_results(printed(
        "notebook 06_vae: results of the course's stored run (committed with the helpers), profile demo")) == []


def test_the_wheel_the_notebooks_install_holds_the_helpers_and_their_data(tmp_path):
    import zipfile

    wheel = colab_check.build_wheel(ROOT, tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert wheel.name.startswith("keras_course_helpers-") and "helpers/quality.py" in names
    assert any(n.startswith("helpers/stored_results/") and n.endswith(".json") for n in names), sorted(names)
    assert "helpers/registry/registry.json" in names
    assert not any(n.startswith(("notebooks/", "tests/", "seeds/")) for n in names)
