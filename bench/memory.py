"""Memory across trials: RSS of the training process at the end of each trial of a 35-trial search.

Runs the same search on the synthetic dataset (max_epochs 2, factor 2, 7 iterations = 35 trials)
twice: every trial in one process (--trials-per-worker 1000, how KerasTuner runs by default) and
workers of the default size (``SearchConfig.trials_per_worker``). Prints RSS per trial and, per
variant: first, last, peak, last / first, the growth per trial from trial 6 on (a least-squares
slope: a leak shows as a steady slope, a one-time warm-up does not), and the cost of starting a
worker (the median gap between two trials across a worker change, minus the median gap within a
worker). The last line is ``ratio X.XX`` = last / first trial's RSS of the default. Goal: <= 1.10.

    .venv/bin/python bench/memory.py [--iterations 7] [--default-only] [--tiny]

The environment is passed to the search (e.g. MALLOC_ARENA_MAX=2 or TF_ENABLE_ONEDNN_OPTS=0, to see
what the memory of a process is made of; EMNIST_TUNER_ALLOCATOR=tensorflow for TensorFlow's pool where
tcmalloc is installed). A line per variant names the allocator its trials ran on.

--tiny: 3 one-epoch trials (max_epochs 1, 3 iterations), the default variant only (checks the script).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import _common
from rich.console import Console
from rich.table import Table


def run_search(run: Path, iterations: int, per_worker: int, max_epochs: int = 2) -> list[dict]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "emnist_tuner.cli",
            "search",
            "--dataset",
            "synthetic",
            "--run-dir",
            str(run),
            "--max-epochs",
            str(max_epochs),
            "--factor",
            "2",
            "--iterations",
            str(iterations),
            "--trials-per-worker",
            str(per_worker),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=_common.REPO,
    )
    timings = [json.loads(p.read_text()) for p in (run / "timings").glob("*.json")]
    return sorted(timings, key=lambda t: t["ended"])


def slope(values: list[float]) -> float:
    """Least-squares MiB per trial."""
    if len(values) < 2:
        return 0.0
    xs = range(len(values))
    mx, my = statistics.fmean(xs), statistics.fmean(values)
    return sum((x - mx) * (y - my) for x, y in zip(xs, values)) / sum((x - mx) ** 2 for x in xs)


def worker_start_seconds(timings: list[dict]) -> float | None:
    within = [b["started"] - a["ended"] for a, b in zip(timings, timings[1:]) if a["pid"] == b["pid"]]
    across = [b["started"] - a["ended"] for a, b in zip(timings, timings[1:]) if a["pid"] != b["pid"]]
    if not within or not across:
        return None
    return statistics.median(across) - statistics.median(within)


def main() -> None:
    from emnist_tuner.runfolder.configs import SearchConfig

    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=7, help="Hyperband iterations (5 trials each)")
    parser.add_argument(
        "--tiny", action="store_true", help="3 one-epoch trials, default variant only: checks the script"
    )
    parser.add_argument("--default-only", action="store_true", help="only the default variant (workers)")
    args = parser.parse_args()
    iterations = 3 if args.tiny else args.iterations
    default_size = SearchConfig(dataset="synthetic").trials_per_worker
    default = f"workers of {default_size} (default)"
    variants = (
        {default: default_size} if args.tiny or args.default_only else {"one process": 1000, default: default_size}
    )
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, per_worker in variants.items():
            results[label] = run_search(Path(tmp) / f"run-{per_worker}", iterations, per_worker, 1 if args.tiny else 2)
    table = Table(title="RSS (MiB) at the end of each trial")
    table.add_column("trial", justify="right")
    for label in results:
        table.add_column(label, justify="right")
    n = max(len(v) for v in results.values())
    for i in range(n):
        table.add_row(str(i + 1), *[f"{v[i]['rss_mib']:.0f}" if i < len(v) else "" for v in results.values()])
    summary = Table(title="Summary")
    for name in (
        "variant",
        "trials",
        "first",
        "last",
        "peak",
        "last / first",
        "MiB / trial from trial 6",
        "worker start (s)",
    ):
        summary.add_column(name, justify="left" if name == "variant" else "right")
    for label, timings in results.items():
        rss = [t["rss_mib"] for t in timings]
        start = worker_start_seconds(timings)
        summary.add_row(
            label,
            str(len(rss)),
            f"{rss[0]:.0f}",
            f"{rss[-1]:.0f}",
            f"{max(rss):.0f}",
            f"{rss[-1] / rss[0]:.2f}",
            f"{slope(rss[5:]):+.1f}",
            f"{start:.1f}" if start else "-",
        )
    console = Console()
    console.print(table)
    console.print(summary)
    for label, timings in results.items():
        print(f"{label}: allocator {', '.join(sorted({t.get('allocator', 'not recorded') for t in timings}))}")
    rss = [t["rss_mib"] for t in results[default]]
    print(f"ratio {rss[-1] / rss[0]:.2f}")


if __name__ == "__main__":
    main()
