"""The runs under the served folder: which run a URL names, the runs page's rows and the compare page's
table, from the same functions as `emnist-tuner runs` and `compare` (``reports.runs_table``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import EmnistTunerError
from ..figures.accuracy_data import compare_points
from ..reports.formatting import pct
from ..reports.runs_table import compare_rows, run_summary
from ..runfolder.configs import read_run_config
from ..runfolder.layout import RunFolder

SUMMARY_KEYS = ("name", "kind", "dataset", "state", "trials", "best_val", "test_accuracy", "parameters", "epochs")


def plain(value):
    """``value`` as JSON can hold it: numpy numbers and arrays as Python ones, NaN and infinities as None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def find_run_folders(root: Path) -> dict[str, Path]:
    """name -> folder of every run under ``root`` (``root`` itself when it is a run folder), by name."""
    if RunFolder(root).exists():
        return {root.resolve().name: root}
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and RunFolder(p).exists()}


def summary(path: Path) -> dict:
    """The run's summary as `runs` shows it (read-only, no TensorFlow): raw values, their text, and
    ``damaged`` (why the run cannot be read; None when it can)."""
    try:
        read_run_config(path)
        s = run_summary(path, keras=False)
    except (EmnistTunerError, OSError, ValueError, TypeError, KeyError) as exc:
        return {
            **dict.fromkeys(SUMMARY_KEYS),
            "name": path.name,
            "kind": "?",
            "state": "damaged",
            "damaged": str(exc) or type(exc).__name__,
        }
    shown = {key: s.get(key) for key in SUMMARY_KEYS}
    return plain(
        {
            **shown,
            "setting": s.get("setting"),
            "best_val_text": pct(s.get("best_val")),
            "test_text": pct(s.get("test_accuracy")),
            "damaged": None,
        }
    )


def runs_view(root: Path) -> dict:
    """The runs page's data: one summary per run folder under ``root``."""
    return {"folder": str(root), "runs": [summary(p) for p in find_run_folders(root).values()]}


def compare_view(folders: list[Path]) -> dict:
    """The compare page's data: `compare`'s rows (label, one text per run) and the accuracies figure's
    points (best validation, test with its 95 % interval)."""
    summaries = []
    for path in folders:
        read_run_config(path)
        summaries.append(run_summary(path, keras=False))
    return plain(
        {
            "runs": [s["name"] for s in summaries],
            "rows": [[label, values] for label, values in compare_rows(summaries)],
            "points": compare_points(summaries),
        }
    )
