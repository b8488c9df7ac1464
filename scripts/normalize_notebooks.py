"""Normalize stored notebook outputs: no stderr, no ANSI codes or carriage returns, no absolute
paths, no Keras timing noise, no per-run execution metadata.

    python scripts/normalize_notebooks.py notebooks/*.ipynb          # rewrite in place
    python scripts/normalize_notebooks.py --check notebooks/*.ipynb  # list problems, exit 1

tests/test_notebooks.py uses `problems()` to keep the committed notebooks clean.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.files import atomic_write_text  # noqa: E402  (standard library only; the one atomic write)

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Keras `verbose=2` lines: "118/118 - 25s - 216ms/step - accuracy: ..." -> "118/118 - accuracy: ..."
KERAS_TIMING = re.compile(r" - \d+(?:\.\d+)?(?:s|ms|us)(?:/step)?(?= - |$)", re.MULTILINE)
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:home|root|tmp|Users|work|opt|usr|var|private)/[^\s'\"<>)]*")
NOISY_METADATA = ("execution", "papermill", "ExecuteTime", "collapsed", "scrolled")


def _clean_text(text: str) -> str:
    text = ANSI.sub("", text)
    # a carriage return redraws the line: keep only what was drawn last
    text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    text = KERAS_TIMING.sub("", text)
    return ABSOLUTE_PATH.sub(lambda m: "<path>/" + m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def _join(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def normalize(nb: dict[str, Any]) -> dict[str, Any]:
    """Return the notebook (modified in place) with clean, reproducible outputs."""
    for key in ("papermill", "widgets"):
        nb.get("metadata", {}).pop(key, None)
    for cell in nb.get("cells", []):
        for key in NOISY_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if cell.get("cell_type") != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                if out.get("name") == "stderr":
                    continue
                out["text"] = _clean_text(_join(out["text"]))
                if not out["text"].strip():
                    continue
            elif out.get("output_type") == "error":
                out["traceback"] = [_clean_text(line) for line in out.get("traceback", [])]
                out["evalue"] = _clean_text(out.get("evalue", ""))
            else:
                data = out.get("data", {})
                if "text/plain" in data:
                    data["text/plain"] = _clean_text(_join(data["text/plain"]))
            out.get("metadata", {}).pop("execution", None)
            outputs.append(out)
        # merge consecutive stdout chunks, as Jupyter does when it saves
        merged: list[dict[str, Any]] = []
        for out in outputs:
            if (merged and out.get("output_type") == "stream"
                    and merged[-1].get("output_type") == "stream"
                    and merged[-1].get("name") == out.get("name")):
                merged[-1]["text"] += out["text"]
            else:
                merged.append(out)
        cell["outputs"] = merged
    return nb


def problems(nb: dict[str, Any], name: str = "notebook") -> list[str]:
    """List what is not clean in a notebook's stored outputs (empty when clean)."""
    found = []
    for i, cell in enumerate(c for c in nb.get("cells", []) if c.get("cell_type") == "code"):
        for out in cell.get("outputs", []):
            text = json.dumps(out)
            if out.get("name") == "stderr":
                found.append(f"{name}: code cell {i} stores stderr")
            if "\\u001b[" in text or "\\r" in text:
                found.append(f"{name}: code cell {i} holds ANSI codes or carriage returns")
            if ABSOLUTE_PATH.search(json.dumps(out.get("text", out.get("data", {}).get("text/plain", "")))):
                found.append(f"{name}: code cell {i} holds an absolute path")
            if KERAS_TIMING.search(_join(out.get("text", ""))):
                found.append(f"{name}: code cell {i} holds Keras timings")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="only report problems")
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if args.check:
            for line in problems(nb, path.name):
                print(line)
                status = 1
            continue
        text = json.dumps(normalize(nb), indent=1, ensure_ascii=False) + "\n"
        if text != path.read_text(encoding="utf-8"):
            atomic_write_text(path, text)
            print(f"normalized {path.name}")
    return status


if __name__ == "__main__":
    sys.exit(main())
