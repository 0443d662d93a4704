"""`plot` and `report --html` on a run: seconds per figure, and the whole command as a user runs it.

    .venv/bin/python bench/plot.py runs/quick-mnist [--repeats 3] [--data-dir DIR]
    .venv/bin/python bench/plot.py --tiny           # a written-by-hand 23-trial search on synthetic data

1. In one process, each figure built and saved as PNG (``figures.plot``), seconds each, median of the
   repeats (the first repeat pays for imports and for loading the test split; it is shown apart).
2. `emnist-tuner plot RUN` and `emnist-tuner report RUN --html FILE` as subprocesses: wall seconds,
   interpreter start and imports included.
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
import numpy as np
from rich.console import Console
from rich.table import Table


def tiny_run(folder: Path, trials: int = 23) -> Path:
    """A finished search folder of ``trials`` trials on the synthetic dataset, written by hand."""
    from emnist_tuner.data.datasets import load_dataset

    rng = np.random.default_rng(0)
    for i in range(trials):
        tid, epochs = f"{i:04d}", [1, 3, 9][i % 3]
        curve = list(np.clip(np.cumsum(rng.uniform(0.02, 0.2, epochs)) + 0.3, 0, 0.99).round(4))
        values = {
            "tuner/epochs": epochs,
            "tuner/initial_epoch": 0,
            "tuner/bracket": i % 3,
            "tuner/round": 0,
            "activation": ["relu", "elu", "selu"][i % 3],
            "conv_blocks": 1 + i % 3,
            "learning_rate": float(10 ** rng.uniform(-4, -2)),
            "batch_norm": bool(i % 2),
        }
        (folder / "tuner" / f"trial_{tid}").mkdir(parents=True)
        (folder / "tuner" / f"trial_{tid}" / "trial.json").write_text(
            json.dumps(
                {
                    "trial_id": tid,
                    "status": "COMPLETED",
                    "score": curve[-1],
                    "best_step": epochs - 1,
                    "hyperparameters": {"values": values},
                }
            )
        )
        (folder / "timings").mkdir(exist_ok=True)
        (folder / "timings" / f"{tid}.json").write_text(
            json.dumps(
                {
                    "started": 1000.0 + 30 * i,
                    "ended": 1020.0 + 30 * i,
                    "status": "COMPLETED",
                    "epochs_trained": epochs,
                    "parameters": int(rng.integers(5_000, 2_000_000)),
                    "epoch_log": [{"epoch": e, "val_accuracy": v} for e, v in enumerate(curve)],
                }
            )
        )
    (folder / "config.json").write_text(
        json.dumps(
            {
                "dataset": "synthetic",
                "profile": "quick",
                "kind": "search",
                "max_epochs": 9,
                "factor": 3,
                "seed": 0,
                "val_fraction": 0.1,
                "seed_presets": [],
            }
        )
    )
    labels = load_dataset("synthetic", val_fraction=0.1, seed=0).y_test
    predictions = labels.copy()
    predictions[::17] = (predictions[::17] + 1) % 10
    np.save(folder / "test_predictions.npy", predictions.astype(np.int16))
    return folder


def per_figure(run: Path, repeats: int, data_dir) -> dict[str, list[float]]:
    import matplotlib

    matplotlib.use("Agg")
    from emnist_tuner.figures.plot import FIGURES, build_figures

    seconds: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeats):
            for name in FIGURES:
                started = time.perf_counter()
                for figure_name, figure in build_figures(run, [name], data_dir).figures:
                    figure.savefig(Path(out) / f"{figure_name}.png", dpi=110)
                seconds.setdefault(name, []).append(time.perf_counter() - started)
    return seconds


def command_seconds(args: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "emnist_tuner.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", type=Path)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", default=_common.default_data_dir())
    args = parser.parse_args()
    if not args.tiny and args.run is None:
        parser.error("give a RUN folder, or --tiny")
    from emnist_tuner.quiet import import_keras_quietly

    import_keras_quietly()
    with tempfile.TemporaryDirectory() as scratch:
        run = tiny_run(Path(scratch) / "run") if args.tiny else args.run
        from emnist_tuner.runfolder.trials import read_trials

        trials = len(read_trials(run))
        seconds = per_figure(run, max(1, args.repeats), args.data_dir)
        extra = ["--data-dir", args.data_dir] if args.data_dir else []
        plot_s = command_seconds(["plot", str(run), "--out", str(Path(scratch) / "figs"), *extra])
        html_s = command_seconds(["report", str(run), "--html", str(Path(scratch) / "r.html"), *extra])
    console = Console()
    console.print(f"{_common.machine()}; run {run if not args.tiny else 'synthetic (--tiny)'}: {trials} trials")
    table = Table(title="Each figure, built and saved as PNG in one process")
    for column in ("figure", "first (s)", "median of the rest (s)"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for name, values in seconds.items():
        rest = values[1:] or values
        table.add_row(name, f"{values[0]:.2f}", f"{_common.median(rest):.2f}")
    console.print(table)
    console.print(f"emnist-tuner plot RUN: {plot_s:.1f} s wall (start-up and imports included)")
    console.print(f"emnist-tuner report RUN --html FILE: {html_s:.1f} s wall")
    console.print(f"all figures {sum(_common.median(v[1:] or v) for v in seconds.values()):.2f} s")


if __name__ == "__main__":
    main()
