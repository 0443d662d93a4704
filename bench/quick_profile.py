"""Wall time of the README's main job: a quick-profile search on real MNIST, its final retrain and leaderboard.

    .venv/bin/python bench/quick_profile.py [--dataset mnist] [--data-dir ../shared/data] [--tiny]

Prints the wall time, the trials that ran against the printed schedule, the winner's held-out test
accuracy, and `minutes X.X` last. Goal: <= 15 minutes on a 2-core CPU. --tiny runs a search of two
one-epoch trials on the synthetic dataset instead (checks that the script works).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        command = [sys.executable, "-m", "emnist_tuner.cli", "search", "--run-dir", str(run)]
        if args.tiny:
            command += ["--dataset", "synthetic", "--max-epochs", "1", "--factor", "2", "--iterations", "2"]
        else:
            command += ["--dataset", args.dataset, "--profile", "quick"]
            command += ["--data-dir", args.data_dir] if args.data_dir else []
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            [sys.executable, "-m", "emnist_tuner.cli", "leaderboard", str(run)], check=True, stdout=subprocess.DEVNULL
        )
        minutes = (time.perf_counter() - started) / 60
        final = json.loads((run / "final.json").read_text())
        trials = [json.loads(p.read_text()) for p in (run / "tuner").glob("trial_*/trial.json")]
        config = json.loads((run / "config.json").read_text())
    from emnist_tuner.hyperband.schedule import hyperband_schedule, total_trials

    scheduled = total_trials(hyperband_schedule(config["max_epochs"], config["factor"], config["iterations"]))
    table = Table(title=f"quick profile on {config['dataset']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("wall time (search + final retrain + leaderboard)", f"{minutes:.1f} min")
    table.add_row("trials run / scheduled", f"{len(trials)} / {scheduled}")
    table.add_row("failed trials", str(sum(t["status"] == "FAILED" for t in trials)))
    table.add_row("winner's val accuracy (search subset)", f"{final['val_accuracy']:.4f}")
    table.add_row("winner's held-out test accuracy", f"{final['test_accuracy']:.4f}")
    table.add_row("final retrain epochs / images", f"{final['epochs']} / {final['train_images']:,}")
    Console().print(table)
    print(f"minutes {minutes:.1f}")


if __name__ == "__main__":
    main()
