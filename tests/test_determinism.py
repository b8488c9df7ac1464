"""The same seed gives the same run: one notebook executed twice at smoke, every recorded metric
compared (times, and claims about time, excepted); another seed gives another run (the seed reaches
the random sources)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "04_transformer.ipynb"  # the cheapest notebook that trains with dropout
TIMED = ("seconds", "per_s", "per_second", "speed", "minutes", "time")


def _run(tmp: Path, seed: int, tag: str) -> dict:
    import papermill

    metrics = tmp / f"{tag}.metrics.json"
    env = {"COURSE_PROFILE": "smoke", "COURSE_SEED": str(seed), "COURSE_STRICT": "1",
           "COURSE_METRICS_FILE": str(metrics), "COURSE_WORK_DIR": str(tmp / tag)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        papermill.execute_notebook(str(NOTEBOOK), str(tmp / f"{tag}.ipynb"), cwd=str(NOTEBOOK.parent),
                                   progress_bar=False, kernel_name="python3")
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    recorded = json.loads(metrics.read_text())
    claims = recorded.pop("claims", [])
    plain = {k: v for k, v in recorded.items() if not any(t in k for t in TIMED)}
    untimed = [c for c in claims if not any(t in c["claim"].lower() for t in TIMED)]  # timings vary
    return {"metrics": plain, "claims": [(c["claim"], c["holds"], c["evidence"]) for c in untimed]}


@pytest.mark.slow  # three smoke runs of notebook 04: about two minutes on 2 cores
def test_a_notebook_run_twice_with_one_seed_records_the_same_metrics(tmp_path):
    first, again, other = _run(tmp_path, 42, "a"), _run(tmp_path, 42, "b"), _run(tmp_path, 1, "c")
    assert len(first["metrics"]) >= 2 and len(first["claims"]) >= 2, first  # BLEU, chrF; two claims at smoke
    assert first == again
    assert other["metrics"] != first["metrics"], "COURSE_SEED=1 changed nothing: the seed is not used"
