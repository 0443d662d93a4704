"""Workers (issue 30): the same search with `--workers 1` (one trial at a time, every core) and
`--workers N` (N trials at a time, a share of the cores each), one after the other.

Each runs `emnist-tuner search` as a subprocess in a fresh run folder. Reported per run: the search
phase's wall time (from the subprocess's start to the end of its last trial: the final retrain is left
out), trials, trials per hour, epochs trained, the best validation accuracy, and whether its trials
(hyperparameter values, epochs, rounds) are the same as the first run's. The last line is the ratio of
trials per hour, last run / first run.

    .venv/bin/python bench/workers.py [--workers 1 2] [--dataset mnist] [--profile quick] [--data-dir DIR]
    .venv/bin/python bench/workers.py --tiny     # synthetic data, max_epochs 2, factor 2: checks the script
    .venv/bin/python bench/workers.py --subset 2000 --keep /tmp/w   # smaller; run folders kept in /tmp/w

Run it on an idle machine: other processes on the cores change the figures more than the workers do.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common
from rich.console import Console
from rich.table import Table

HIDDEN = ("tuner/trial_id", "tuner/bracket")  # KerasTuner writes its current bracket into a promoted trial


def trials_of(run: Path) -> tuple[list[str], list[dict]]:
    """(sorted trial values as JSON, the trials' timing records) of a finished run."""
    values = []
    for path in sorted((run / "tuner").glob("trial_*/trial.json")):
        hp = json.loads(path.read_text())["hyperparameters"]["values"]
        values.append(json.dumps({k: v for k, v in hp.items() if k not in HIDDEN}, sort_keys=True))
    return sorted(values), [json.loads(p.read_text()) for p in sorted((run / "timings").glob("*.json"))]


def run_search(workers: int, args, folder: Path) -> dict:
    """One search with ``workers``; its figures."""
    run = folder / f"workers-{workers}"
    command = [sys.executable, "-m", "emnist_tuner.cli", "search", "--run-dir", str(run), "--no-tensorboard"]
    command += ["--dataset", args.dataset, "--profile", args.profile, "--workers", str(workers)]
    if args.tiny:
        command += ["--max-epochs", "2", "--factor", "2"]
    if args.subset:
        command += ["--subset", str(args.subset)]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    env = {**os.environ, "PYTHONPATH": str(_common.REPO), "COLUMNS": "200"}
    started = time.time()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=_common.REPO)
    if proc.returncode != 0:
        sys.exit(f"error: `{' '.join(command)}` failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    values, timings = trials_of(run)
    wall = max(t["ended"] for t in timings) - started
    scores = [e["val_accuracy"] for t in timings for e in t.get("epoch_log", []) if "val_accuracy" in e]
    return {
        "workers": workers,
        "wall": wall,
        "trials": len(values),
        "epochs": sum(t.get("epochs_trained") or 0 for t in timings),
        "best": max(scores, default=float("nan")),
        "values": values,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dataset", default=None, help="mnist (default with a data folder), else synthetic")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--subset", type=int, default=None, help="the profile's subset by default (quick: 10,000)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--keep", default=None, help="keep the run folders in this new folder (default: deleted)")
    args = parser.parse_args()
    args.data_dir = args.data_dir or (None if args.tiny else _common.default_data_dir())
    args.dataset = args.dataset or ("mnist" if args.data_dir else "synthetic")
    cores = len(os.sched_getaffinity(0))
    console = Console()
    console.print(f"{cores} cores; dataset {args.dataset}, profile {args.profile}{' (tiny)' if args.tiny else ''}")
    if args.keep:
        Path(args.keep).mkdir(parents=True)
        rows = [run_search(n, args, Path(args.keep)) for n in args.workers]
    else:
        with tempfile.TemporaryDirectory(prefix="bench-workers-") as folder:
            rows = [run_search(n, args, Path(folder)) for n in args.workers]
    table = Table(title="search phase: the same search, N trials at a time")
    for name in ("workers", "threads each", "wall s", "trials", "trials/hour", "epochs", "best val acc", "same trials"):
        table.add_column(name, justify="right")
    for row in rows:
        threads = "all" if row["workers"] == 1 else str(max(1, cores // row["workers"]))
        table.add_row(
            str(row["workers"]),
            threads,
            f"{row['wall']:.0f}",
            str(row["trials"]),
            f"{3600 * row['trials'] / row['wall']:.1f}",
            str(row["epochs"]),
            f"{row['best']:.4f}",
            "yes" if row["values"] == rows[0]["values"] else "no",
        )
    console.print(table)
    console.print(f"ratio {rows[0]['wall'] / rows[-1]['wall'] * rows[-1]['trials'] / max(rows[0]['trials'], 1):.2f}")


if __name__ == "__main__":
    main()
