"""Execute the course notebooks at one run profile and write executed copies plus a report.

    python scripts/run_notebooks.py                      # every notebook, profile from $COURSE_PROFILE (demo)
    python scripts/run_notebooks.py --profile smoke 01_char_rnn
    python scripts/run_notebooks.py --store              # also store the clean outputs in notebooks/
    python scripts/run_notebooks.py --seeds 0,1,2 03 04  # the seed sweep: build/demo/seeds.md

Each notebook runs in its own kernel (papermill) with a progress bar over its cells. Executed
copies go to build/<profile>/, with report.md and report.json holding each notebook's wall time,
status, the key metrics it recorded through helpers.files.record() and its lessons' claims
(helpers.lessons.expect). A failed claim does not stop the notebook (COURSE_STRICT=record) but fails
the run and is listed in the report. --store also copies each notebook's saved results
(helpers.results) into helpers/stored_results/, where other notebooks find them in Colab.
With --seeds, every notebook runs once per seed (COURSE_SEED) into build/<profile>/seed-<N>/,
and build/<profile>/seeds.md gives every metric and claim at each seed with min / median / max.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from normalize_notebooks import normalize  # noqa: E402

from helpers import files  # noqa: E402  (standard library only; every file here is written atomically)

STORED_RESULTS = ROOT / "helpers" / "stored_results"


def select_notebooks(names: list[str]) -> list[Path]:
    """The notebooks named, each by number (``07`` is 07_gans only, ``07b`` is 07b), stem or file
    name, in the order given without repeats; every notebook when none is named. The one selection
    of ``./course demo``, ``./course slides`` and ``./course colab-check``.

    >>> [p.stem for p in select_notebooks(["07", "07b_gans_conditional_wgan.ipynb", "07"])]
    ['07_gans', '07b_gans_conditional_wgan']
    """
    every = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    if not names:
        return every
    chosen: list[Path] = []
    for name in names:
        stem = Path(name).stem
        matches = [p for p in every if stem in (p.stem, p.stem.split("_")[0])]
        if not matches:
            raise SystemExit(f"No notebook matches {name!r}; choose from: {', '.join(p.stem for p in every)}")
        chosen += [p for p in matches if p not in chosen]
    return chosen


@contextlib.contextmanager
def environment(values: dict[str, str | None]) -> Iterator[None]:
    """Set (a string) or unset (None) these environment variables inside the block, then put back
    what was there: a run never changes the caller's environment, which later runs and, under
    pytest, every later notebook's kernel inherit.

    >>> with environment({"COURSE_EXAMPLE": "7"}):
    ...     print(os.environ["COURSE_EXAMPLE"])
    7
    >>> "COURSE_EXAMPLE" in os.environ
    False
    """
    before = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            _put(name, value)
        yield
    finally:
        for name, value in before.items():
            _put(name, value)


def _put(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def run_one(path: Path, out_dir: Path, profile: str, store: bool, seed: int | None = None,
            work_dir: Path | None = None) -> dict:
    import papermill

    out_path = out_dir / path.name
    metrics_path = out_dir / f"{path.stem}.metrics.json"
    metrics_path.unlink(missing_ok=True)
    kernel_env = {"COURSE_PROFILE": profile, files.METRICS_ENV: str(metrics_path),
                  "COURSE_STRICT": "record",  # a failed claim is reported below, not raised mid-run
                  "COURSE_SEED": None if seed is None else str(seed),
                  "COURSE_WORK_DIR": None if work_dir is None else str(work_dir)}
    print(f"\n=== {path.name} (profile {profile}) ===", flush=True)
    start = time.perf_counter()
    status, error, missed = "ok", "", ""
    try:
        with environment(kernel_env):  # the kernel inherits it; the caller's is restored after
            papermill.execute_notebook(str(path), str(out_path), cwd=str(NOTEBOOKS),
                                       progress_bar=True, kernel_name="python3")
    except Exception as exc:  # noqa: BLE001 - report every failure, then go on with the next notebook
        status, error = "failed", str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else type(exc).__name__
        missed = missed_threshold(exc)
    seconds = time.perf_counter() - start
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    claims = metrics.pop("claims", [])
    failed = [c["claim"] for c in claims if c["checked"] and not c["holds"]]
    if failed and status == "ok":
        status, error = "claim failed", "; ".join(failed)[:300]
    from helpers import exercises  # NumPy: imported only when a notebook has run

    checks = metrics.pop("exercises", [])
    wrong = exercises.misbehaved(checks)  # a check that passed its starter or failed its solution
    if wrong and status == "ok":
        status, error = "exercise check failed", "; ".join(wrong)[:300]
    slowest: list[dict] = []
    if out_path.exists():
        executed = json.loads(out_path.read_text(encoding="utf-8"))
        slowest = slowest_cells(executed)
        nb = normalize(executed)
        text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        files.atomic_write_text(out_path, text)
        if store and status == "ok":
            files.atomic_write_text(path, text)  # a crash never leaves a half-written notebook
            print(f"stored the outputs in notebooks/{path.name}")
            store_results(path.stem, (work_dir or NOTEBOOKS / "outputs") / "results")
    print(f"{path.name}: {status} in {seconds / 60:.1f} min; metrics: {metrics}", flush=True)
    if error:
        print(f"  error: {error}")
    if missed:
        print(f"  quality threshold missed: {missed}")
    for c in claims:
        print(f"  {'✔' if c['holds'] else '✘' if c['checked'] else '·'} {c['claim']} | {c['evidence']}")
    if slowest:
        print("  slowest cells: " + "; ".join(f"[{c['cell']}] {c['seconds']:.0f} s {c['start']!r}"
                                             for c in slowest))
    return {"notebook": path.name, "status": status, "seconds": round(seconds, 1), "seed": seed,
            "slowest_cells": slowest,
            "metrics": metrics, "claims": claims, "exercises": checks, "error": error,
            "missed_threshold": missed}


def slowest_cells(notebook: dict, n: int = 5) -> list[dict]:
    """The ``n`` code cells that took longest in a notebook papermill executed (before its timing
    metadata is normalized away): index, seconds and the start of the cell's first line.

    >>> cell = lambda src, s: {"cell_type": "code", "source": src, "metadata": {"papermill": {"duration": s}}}
    >>> slowest_cells({"cells": [cell("a = 1", 0.1), cell("model.fit(x)\\nprint(1)", 42.0)]}, n=1)
    [{'cell': 1, 'seconds': 42.0, 'start': 'model.fit(x)'}]
    """
    timed = []
    for i, cell in enumerate(notebook.get("cells", [])):
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.get("cell_type") == "code" and isinstance(duration, (int, float)):
            source = "".join(cell.get("source", ""))
            timed.append({"cell": i, "seconds": round(float(duration), 1),
                          "start": source.strip().splitlines()[0][:60] if source.strip() else ""})
    return sorted(timed, key=lambda c: -c["seconds"])[:n]


def store_results(stem: str, folder: Path) -> Path | None:
    """Copy the results ``stem`` saved (helpers.results.save) into helpers/stored_results/."""
    saved = folder / f"{stem}.json"
    if not saved.exists():
        return None
    target = files.atomic_write_text(STORED_RESULTS / saved.name, saved.read_text(encoding="utf-8"))
    print(f"stored its results in helpers/stored_results/{saved.name}")
    return target


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
             "| notebook | status | time | claims held | failed claims or assert | key metrics |",
             "|---|---|---|---|---|---|"]
    for r in results:
        metrics = ", ".join(f"{k}={v}" for k, v in sorted(r["metrics"].items())) or "-"
        checked = [c for c in r.get("claims", []) if c["checked"]]
        failed = [c["claim"] for c in checked if not c["holds"]] + [r.get("missed_threshold") or ""]
        failed = "; ".join(f for f in failed if f).replace("|", "\\|") or "-"
        status = "**missed a threshold**" if r.get("missed_threshold") else r["status"]
        held = f"{sum(c['holds'] for c in checked)}/{len(checked)}"
        lines.append(f"| {r['notebook']} | {status} | {r['seconds'] / 60:.1f} min | {held} | {failed} | {metrics} |")
    return files.atomic_write_text(out_dir / "report.md", "\n".join(lines) + "\n")


def _cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def seeds_summary(runs: dict[int, list[dict]], profile: str) -> str:
    """Markdown: per notebook, every metric and claim at each seed, with min / median / max.

    >>> run = lambda seed, acc, ok: {"notebook": "01_x.ipynb", "status": "ok", "seconds": 60.0,
    ...     "metrics": {"acc": acc}, "claims": [{"claim": "it learns", "holds": ok, "checked": True,
    ...     "evidence": f"acc {acc}"}]}
    >>> text = seeds_summary({0: [run(0, 0.5, True)], 1: [run(1, 0.7, False)]}, "demo")
    >>> "| acc | 0.5 | 0.7 | 0.5 | 0.6 | 0.7 |" in text, "✘ **failed at a seed**" in text
    (True, True)
    >>> "held at the 1 of 2 seeds swept so far" in seeds_summary({0: [run(0, 0.5, True)], 1: []}, "demo")
    True
    """
    import statistics

    seeds = sorted(runs)
    head = " | ".join(f"seed {s}" for s in seeds)
    names = list(dict.fromkeys(r["notebook"] for s in seeds for r in runs[s]))
    total = held_all = partial = 0
    parts = []
    for name in names:
        by_seed = {s: next((r for r in runs[s] if r["notebook"] == name), None) for s in seeds}
        parts += [f"## {name}", "", f"| | {head} | min | median | max |", "|---" * (len(seeds) + 4) + "|"]
        rows = {"run time (min)": {s: round(r["seconds"] / 60, 1) for s, r in by_seed.items() if r}}
        for s, r in by_seed.items():
            for key, value in (r or {}).get("metrics", {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    rows.setdefault(key, {})[s] = value
        for key, values in rows.items():
            got = [values[s] for s in seeds if s in values]
            cells = " | ".join(_cell(values.get(s, "-")) for s in seeds)
            parts.append(f"| {key} | {cells} | {_cell(min(got))} | {_cell(statistics.median(got))} | "
                         f"{_cell(max(got))} |")
        parts += ["", f"| claim | {head} | at every seed |", "|---" * (len(seeds) + 2) + "|"]
        claims = list(dict.fromkeys(c["claim"] for r in by_seed.values() if r for c in r.get("claims", [])))
        for claim in claims:
            found = {s: next((c for c in (r or {}).get("claims", []) if c["claim"] == claim), None)
                     for s, r in by_seed.items()}
            cells = " | ".join("-" if c is None else ("✔ " if c["holds"] else "✘ ") * c["checked"]
                               + ("" if c["checked"] else "not checked ") + c["evidence"].replace("|", "/")
                               for c in found.values())
            checked = [c for c in found.values() if c and c["checked"]]
            every = len(checked) == len(seeds) and all(c["holds"] for c in checked)
            total += bool(checked)
            held_all += every and bool(checked)
            failed_somewhere = any(not c["holds"] for c in checked)
            partial += bool(checked) and not every and not failed_somewhere
            verdict = ("✔" if every else "✘ **failed at a seed**" if failed_somewhere
                       else f"held at the {len(checked)} of {len(seeds)} seeds swept so far" if checked
                       else "not checked")
            parts.append(f"| {claim.replace('|', '/')} | {cells} | {verdict} |")
        failed = [f"{s}: {r['status']} ({r['error']})" for s, r in by_seed.items() if r and r["status"] != "ok"]
        parts += [""] + ([f"Runs not ok: {'; '.join(failed)}", ""] if failed else [])
    top = [f"# Seed sweep (profile `{profile}`, seeds {', '.join(map(str, seeds))})", "",
           f"{held_all} of {total} checked claims held at every seed"
           + (f"; {partial} more held at every seed swept so far." if partial else "."), ""]
    return "\n".join(top + parts) + "\n"


def write_seeds_summary(out_dir: Path, profile: str) -> Path:
    """seeds.md from every ``seed-N/<notebook>.result.json`` in ``out_dir`` (runs of earlier
    invocations included, so notebooks can be swept one at a time)."""
    runs: dict[int, list[dict]] = {}
    for path in sorted(out_dir.glob("seed-*/*.result.json")):
        runs.setdefault(int(path.parent.name.removeprefix("seed-")), []).append(json.loads(path.read_text()))
    return files.atomic_write_text(out_dir / "seeds.md", seeds_summary(runs, profile))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook names or prefixes (default: all)")
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE") or "demo",
                        choices=["smoke", "demo", "full"])
    parser.add_argument("--out", type=Path, help="output folder (default: build/<profile>)")
    parser.add_argument("--store", action="store_true",
                        help="store the normalized outputs back into notebooks/ (use with demo)")
    parser.add_argument("--seeds", help="comma-separated run seeds, e.g. 0,1,2: the seed sweep")
    args = parser.parse_args(argv)
    out_dir = (args.out or ROOT / "build" / args.profile).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = select_notebooks(args.notebooks)
    if args.seeds is None:
        results = [run_one(p, out_dir, args.profile, args.store) for p in chosen]
        ok = all(r["status"] == "ok" for r in results)
        report = write_report(results, out_dir, args.profile)
        print("\n" + report.read_text())
    else:
        try:
            seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        except ValueError:
            parser.error(f"--seeds takes comma-separated integers such as 0,1,2; got {args.seeds!r}")
        if not seeds or min(seeds) < 0 or args.store:
            parser.error("--seeds needs non-negative seeds such as 0,1,2, and cannot be used with "
                         "--store (the stored outputs come from the notebooks' own seed)")
        ok = True
        for seed in seeds:
            seed_dir = out_dir / f"seed-{seed}"
            seed_dir.mkdir(parents=True, exist_ok=True)
            for path in chosen:  # notebooks of one seed share a work folder: 04 finds 03's results
                result = run_one(path, seed_dir, args.profile, False, seed, seed_dir / "outputs")
                files.atomic_write_text(seed_dir / f"{path.stem}.result.json", json.dumps(result, indent=1))
                ok &= result["status"] == "ok"
            summary = write_seeds_summary(out_dir, args.profile)
        print("\n" + summary.read_text())
    shown = out_dir.relative_to(ROOT) if out_dir.is_relative_to(ROOT) else out_dir
    print(f"Executed notebooks and the report are in {shown}/")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
