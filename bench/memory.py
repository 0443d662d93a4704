"""Memory across trials: RSS of the training process at the end of each trial of a 35-trial search.

Runs the same search twice on the synthetic dataset (max_epochs 2, factor 2, 7 iterations = 35 trials):
once with every trial in one process (--trials-per-worker 1000, how KerasTuner runs by default) and once
with workers of 8 trials (the default). Prints RSS per trial and, last, `ratio X.XX` = last / first
trial's RSS for the default. Goal: <= 1.10.

    .venv/bin/python bench/memory.py [--iterations 7] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table


def run_search(run: Path, iterations: int, per_worker: int) -> list[dict]:
    subprocess.run([sys.executable, "-m", "emnist_tuner.cli", "search", "--dataset", "synthetic", "--run-dir",
                    str(run), "--max-epochs", "2", "--factor", "2", "--iterations", str(iterations),
                    "--trials-per-worker", str(per_worker)], check=True, stdout=subprocess.DEVNULL)
    timings = [json.loads(p.read_text()) for p in (run / "timings").glob("*.json")]
    return sorted(timings, key=lambda t: t["ended"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=7, help="Hyperband iterations (5 trials each)")
    parser.add_argument("--tiny", action="store_true", help="1 iteration: checks the script runs")
    args = parser.parse_args()
    iterations = 1 if args.tiny else args.iterations
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, per_worker in (("one process", 1000), ("workers of 8", 8)):
            results[label] = run_search(Path(tmp) / label.replace(" ", "-"), iterations, per_worker)
    table = Table(title="RSS (MiB) at the end of each trial")
    table.add_column("trial", justify="right")
    for label in results:
        table.add_column(label, justify="right")
    n = max(len(v) for v in results.values())
    for i in range(n):
        table.add_row(str(i + 1), *[f"{v[i]['rss_mib']:.0f}" if i < len(v) else "" for v in results.values()])
    console = Console()
    console.print(table)
    for label, timings in results.items():
        ratio = timings[-1]["rss_mib"] / timings[0]["rss_mib"]
        peak = max(t["rss_mib"] for t in timings)
        console.print(f"{label}: {len(timings)} trials, first {timings[0]['rss_mib']:.0f} MiB, "
                      f"last {timings[-1]['rss_mib']:.0f} MiB, peak {peak:.0f} MiB, last/first {ratio:.2f}")
    default = results["workers of 8"]
    print(f"ratio {default[-1]['rss_mib'] / default[0]['rss_mib']:.2f}")


if __name__ == "__main__":
    main()
