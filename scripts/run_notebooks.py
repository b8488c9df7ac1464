"""Execute the course notebooks at one run profile and write executed copies plus a report.

    python scripts/run_notebooks.py                      # every notebook, profile from $COURSE_PROFILE (demo)
    python scripts/run_notebooks.py --profile smoke 01_char_rnn
    python scripts/run_notebooks.py --store              # also store the clean outputs in notebooks/

Each notebook runs in its own kernel (papermill) with a progress bar over its cells. Executed
copies go to build/<profile>/, with report.md and report.json holding each notebook's wall time,
status and the key metrics it recorded through helpers.files.record().
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from normalize_notebooks import normalize  # noqa: E402

from helpers import files  # noqa: E402  (standard library only; every file here is written atomically)


def select_notebooks(names: list[str]) -> list[Path]:
    """The notebooks named (a stem, a file name or a prefix such as ``03``), or all when none is."""
    every = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        matches = [p for p in every if p.stem == name or p.name == name or p.stem.startswith(name)]
        if not matches:
            raise SystemExit(f"No notebook matches {name!r}; choose from: {', '.join(p.stem for p in every)}")
        chosen += matches
    return chosen


def run_one(path: Path, out_dir: Path, profile: str, store: bool) -> dict:
    import papermill

    out_path = out_dir / path.name
    metrics_path = out_dir / f"{path.stem}.metrics.json"
    metrics_path.unlink(missing_ok=True)
    os.environ["COURSE_PROFILE"] = profile
    os.environ[files.METRICS_ENV] = str(metrics_path)
    print(f"\n=== {path.name} (profile {profile}) ===", flush=True)
    start = time.perf_counter()
    status, error, missed = "ok", "", ""
    try:
        papermill.execute_notebook(str(path), str(out_path), cwd=str(NOTEBOOKS),
                                   progress_bar=True, kernel_name="python3")
    except Exception as exc:  # noqa: BLE001 - report every failure, then go on with the next notebook
        status, error = "failed", str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else type(exc).__name__
        missed = missed_threshold(exc)
    seconds = time.perf_counter() - start
    if out_path.exists():
        nb = normalize(json.loads(out_path.read_text(encoding="utf-8")))
        text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        files.atomic_write_text(out_path, text)
        if store and status == "ok":
            files.atomic_write_text(path, text)  # a crash never leaves a half-written notebook
            print(f"stored the outputs in notebooks/{path.name}")
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    print(f"{path.name}: {status} in {seconds / 60:.1f} min; metrics: {metrics}", flush=True)
    if error:
        print(f"  error: {error}")
    if missed:
        print(f"  quality threshold missed: {missed}")
    return {"notebook": path.name, "status": status, "seconds": round(seconds, 1),
            "metrics": metrics, "error": error, "missed_threshold": missed}


def missed_threshold(exc: BaseException) -> str:
    """The message of a failed quality ``assert`` (the notebooks' thresholds), or "" for other errors.

    >>> class Failed(Exception): ename, evalue = "AssertionError", "test accuracy 0.81 < 0.85"
    >>> missed_threshold(Failed())
    'test accuracy 0.81 < 0.85'
    """
    if getattr(exc, "ename", "") != "AssertionError":
        return ""
    return (str(getattr(exc, "evalue", "")).strip() or "an assert without a message failed")[:300]


def write_report(results: list[dict], out_dir: Path, profile: str) -> Path:
    files.atomic_write_text(out_dir / "report.json", json.dumps(results, indent=2) + "\n")
    lines = [f"# Notebook run report (profile `{profile}`)", "",
             "| notebook | status | time | missed quality threshold | key metrics |", "|---|---|---|---|---|"]
    for r in results:
        metrics = ", ".join(f"{k}={v}" for k, v in sorted(r["metrics"].items())) or "-"
        missed = r.get("missed_threshold", "").replace("|", "\\|") or "-"
        status = "**missed a threshold**" if r.get("missed_threshold") else r["status"]
        lines.append(f"| {r['notebook']} | {status} | {r['seconds'] / 60:.1f} min | {missed} | {metrics} |")
    return files.atomic_write_text(out_dir / "report.md", "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook names or prefixes (default: all)")
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE") or "demo",
                        choices=["smoke", "demo", "full"])
    parser.add_argument("--out", type=Path, help="output folder (default: build/<profile>)")
    parser.add_argument("--store", action="store_true",
                        help="store the normalized outputs back into notebooks/ (use with demo)")
    args = parser.parse_args(argv)
    out_dir = (args.out or ROOT / "build" / args.profile).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [run_one(p, out_dir, args.profile, args.store) for p in select_notebooks(args.notebooks)]
    report = write_report(results, out_dir, args.profile)
    print("\n" + report.read_text())
    shown = out_dir.relative_to(ROOT) if out_dir.is_relative_to(ROOT) else out_dir
    print(f"Executed notebooks and the report are in {shown}/")
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
