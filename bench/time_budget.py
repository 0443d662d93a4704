"""Time-budget accuracy: how far past ``--time-budget`` a search stops, and whether a trial started after it.

    .venv/bin/python bench/time_budget.py [--budgets 60,120,180] [--subset 2000] [--hard] [--tiny]

For each budget, a real `emnist-tuner search` (quick profile, MNIST ``--subset``; ``--tiny``: the synthetic
dataset, max_epochs 2, factor 2) runs in a fresh run folder with ``--final-epochs 1``. From the run folder:
the search time spent when it stopped (``RUN/search_time.json``), hence the overshoot (spent - budget); the
wall-clock moment the budget ran out (the session's start + budget), and each trial's start and end
(``RUN/timings``): "late" counts trials started after it (goal 0); "running" is the duration of the trial that
was running when it ran out (goal: overshoot <= that trial's duration, plus the worker's exit).
The last line is ``budgets N late K worst-overshoot S``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, default_data_dir, machine


def one(budget: float, args, folder: Path) -> dict:
    run = folder / f"run-{budget:g}"
    if args.tiny:
        data = ["--dataset", "synthetic", "--max-epochs", "2", "--factor", "2"]
    else:
        data = ["--dataset", "mnist", "--subset", str(args.subset)] + (
            ["--data-dir", args.data_dir] if args.data_dir else []
        )
    command = [sys.executable, "-m", "emnist_tuner.cli", "search", *data, "--run-dir", str(run)]
    command += ["--time-budget", f"{budget:g}", "--final-epochs", "1", "--no-tensorboard"]
    command += ["--time-budget-hard"] if args.hard else []
    began = time.time()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    wall = time.time() - began
    timed_file = run / "search_time.json"
    timed = json.loads(timed_file.read_text()) if timed_file.is_file() else {}
    spent = float(timed.get("spent") or 0.0)
    # the last write of search_time.json is when the search stopped: its session began `spent` before
    ran_out = timed_file.stat().st_mtime - spent + budget if timed_file.is_file() else began + budget
    trials = [json.loads(p.read_text()) for p in sorted((run / "timings").glob("*.json"))]
    late = [t for t in trials if t["started"] > ran_out]
    running = [t["ended"] - t["started"] for t in trials if t["started"] <= ran_out < t["ended"]]
    return {
        "budget": budget,
        "exit": done.returncode,
        "spent": spent,
        "overshoot": spent - budget,
        "trials": len(trials),
        "not_run": timed.get("not_run"),
        "ended": timed.get("ended"),
        "late": len(late),
        "running": running[0] if running else 0.0,
        "longest": max((t["ended"] - t["started"] for t in trials), default=0.0),
        "hard_stopped": sum(bool(t.get("stopped_on_budget")) for t in trials),
        "wall": wall,
        "error": (done.stderr.strip().splitlines() or [""])[-1] if done.returncode else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="60,120,180", help="seconds, comma-separated")
    parser.add_argument("--subset", type=int, default=2000)
    parser.add_argument("--hard", action="store_true", help="--time-budget-hard")
    parser.add_argument("--tiny", action="store_true", help="the synthetic dataset (a smoke test)")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    args.data_dir = args.data_dir or default_data_dir()
    budgets = [float(b) for b in args.budgets.split(",")]
    print(machine())
    print(
        f"{'budget':>7} {'spent':>7} {'over':>6} {'trials':>6} {'not run':>7} {'late':>4} {'running':>7} "
        f"{'longest':>7} {'hard':>4} {'wall':>6}  ended"
    )
    worst, late = float("-inf"), 0
    with tempfile.TemporaryDirectory() as tmp:
        for budget in budgets:
            r = one(budget, args, Path(tmp))
            worst, late = max(worst, r["overshoot"]), late + r["late"]
            print(
                f"{r['budget']:>7.0f} {r['spent']:>7.1f} {r['overshoot']:>6.1f} {r['trials']:>6} "
                f"{str(r['not_run']):>7} {r['late']:>4} {r['running']:>7.1f} {r['longest']:>7.1f} "
                f"{r['hard_stopped']:>4} {r['wall']:>6.1f}  {r['ended']}"
                + (f" (exit {r['exit']}: {r['error']})" if r["exit"] else ""),
                flush=True,
            )
    print(f"budgets {len(budgets)} late {late} worst-overshoot {worst:.1f}")


if __name__ == "__main__":
    main()
