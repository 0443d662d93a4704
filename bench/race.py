"""Race (issue 17): `emnist-tuner search` against a plain KerasTuner script on equal terms.

Both get the same space (our ``CharacterHyperModel`` of the quick profile, the study's presets not
seeded, so KerasTuner's own sampling picks every trial in both), the same data (a stratified subset of
real MNIST, the same validation images), the same Hyperband settings, seed, batch size, early stopping
and model-size limit. The plain side is ``bench/plain_kerastuner.py`` (KerasTuner's guide style). Each
runs as a subprocess, one after the other, while this script samples the RSS of its process tree.

Reported per tool: the search phase's wall time (from the subprocess's start to the end of its last
trial), trials and how many have the same values in both, the best validation accuracy against
wall-clock time, peak RSS (process tree) and last / first RSS after trials, and the test accuracy of
what each delivers (plain: its best model as trained in the search; ours: after the final retrain).

    .venv/bin/python bench/race.py [--subset 20000] [--max-epochs 6] [--factor 3] [--seed 0] [--data-dir DIR]
    .venv/bin/python bench/race.py --tiny     # synthetic data, 2 epochs: checks the script
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _common
from plain_kerastuner import race_options
from rich.console import Console
from rich.table import Table


def tree_rss_mib(root: int) -> float:
    """RSS of ``root`` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            status = (proc / "status").read_text()
        except OSError:
            continue
        parents[int(proc.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        rss[int(proc.name)] = next(
            (int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0
        )
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    return sum(rss.get(pid, 0.0) for pid in tree)


def run_sampled(command: list[str]) -> tuple[float, float, float]:
    """Run ``command``; (start time, end time, peak RSS of its process tree in MiB)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "COLUMNS": "160"}
    started = time.time()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, cwd=_common.REPO
    )
    peak = [0.0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mib(proc.pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.communicate()[0]
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"{command[:4]} failed ({proc.returncode}):\n{output[-3000:]}")
    return started, time.time(), peak[0]


def best_over_time(started: float, ends: list[tuple[float, float | None]]) -> list[tuple[float, float]]:
    """(seconds since start, best score so far) at each trial end."""
    best, series = None, []
    for ended, score in sorted(ends):
        if score is not None and (best is None or score > best):
            best = score
        if best is not None:
            series.append((ended - started, best))
    return series


def ours(args, folder: Path) -> dict:
    from emnist_tuner.runfolder.trials import read_trials

    run = folder / "ours"
    dataset = ["--dataset", "synthetic"] if args.tiny else ["--dataset", "mnist", "--subset", str(args.subset)]
    command = [
        sys.executable,
        "-m",
        "emnist_tuner.cli",
        "search",
        *dataset,
        "--profile",
        "quick",
        "--max-epochs",
        str(args.max_epochs),
        "--factor",
        str(args.factor),
        "--seed",
        str(args.seed),
        "--no-seed-presets",
        "--run-dir",
        str(run),
    ] + (["--data-dir", args.data_dir] if args.data_dir else [])
    started, ended, peak = run_sampled(command)
    records = [r for r in read_trials(run) if r.started is not None]
    timings = {r.trial_id: json.loads((run / "timings" / f"{r.trial_id}.json").read_text()) for r in records}
    ends = [(timings[r.trial_id]["ended"], r.score) for r in records if timings[r.trial_id].get("ended")]
    final = json.loads((run / "final.json").read_text())
    rss = [timings[t]["rss_mib"] for t in sorted(timings) if timings[t].get("rss_mib")]
    return {
        "search_seconds": max(e for e, _ in ends) - started,
        "total_seconds": ended - started,
        "trials": {r.trial_id: (r.hyperparameters, r.score) for r in records},
        "series": best_over_time(started, ends),
        "peak": peak,
        "rss": rss,
        "test_accuracy": final["test_accuracy"],
        "delivered": f"final retrain, {final['epochs']} epochs on {final['train_images']:,} images",
    }


def plain(args, folder: Path) -> dict:
    out = folder / "plain.json"
    command = (
        [
            sys.executable,
            str(_common.REPO / "bench" / "plain_kerastuner.py"),
            "--out",
            str(out),
            "--subset",
            str(args.subset),
            "--max-epochs",
            str(args.max_epochs),
            "--factor",
            str(args.factor),
            "--seed",
            str(args.seed),
        ]
        + (["--data-dir", args.data_dir] if args.data_dir else [])
        + (["--tiny"] if args.tiny else [])
    )
    started, ended, peak = run_sampled(command)
    result = json.loads(out.read_text())
    scores = {t["trial_id"]: t["score"] for t in result["trials"]}
    ends = [(m["ended"], scores.get(m["trial_id"])) for m in result["measured"]]
    return {
        "search_seconds": result["search_ended"] - started,
        "total_seconds": ended - started,
        "trials": {t["trial_id"]: (t["values"], t["score"]) for t in result["trials"]},
        "series": best_over_time(started, ends),
        "peak": peak,
        "rss": [m["rss_mib"] for m in result["measured"]],
        "test_accuracy": result["test_accuracy"],
        "delivered": "its best model as trained in the search",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    race_options(parser)
    args = parser.parse_args()
    if args.tiny:
        args.max_epochs, args.factor = 2, 2
    elif not args.data_dir:
        sys.exit("no real data folder found: give --data-dir (the race runs on real MNIST), or --tiny")
    folder = Path(tempfile.mkdtemp(prefix="race-"))
    results = {"plain KerasTuner": plain(args, folder), "emnist-tuner": ours(args, folder)}
    console = Console()
    data = "synthetic (--tiny)" if args.tiny else f"real MNIST, {args.subset:,}-image stratified subset"
    console.print(f"{data}; Hyperband max_epochs {args.max_epochs}, factor {args.factor}, seed {args.seed}")
    table = Table(title="Race on equal terms")
    for column in (
        "tool",
        "search s",
        "total s",
        "trials",
        "best val",
        "peak MiB",
        "RSS last/first",
        "test acc",
        "delivered",
    ):
        table.add_column(column, justify="left" if column in ("tool", "delivered") else "right")
    for tool, r in results.items():
        best = r["series"][-1][1] if r["series"] else float("nan")
        ratio = r["rss"][-1] / r["rss"][0] if len(r["rss"]) > 1 else float("nan")
        table.add_row(
            tool,
            f"{r['search_seconds']:.0f}",
            f"{r['total_seconds']:.0f}",
            str(len(r["trials"])),
            f"{best:.4f}",
            f"{r['peak']:.0f}",
            f"{ratio:.2f}",
            f"{100 * r['test_accuracy']:.2f} %",
            r["delivered"],
        )
    console.print(table)
    a, b = results["plain KerasTuner"], results["emnist-tuner"]
    same = sum(1 for t, (values, _) in a["trials"].items() if t in b["trials"] and b["trials"][t][0] == values)
    console.print(f"trials with the same values in both: {same} of {len(a['trials'])}")
    for tool, r in results.items():
        points = ", ".join(f"{seconds:.0f} s: {score:.4f}" for seconds, score in r["series"])
        console.print(f"{tool}, best val accuracy over time: {points}")
    console.print(f"search phase, ours / plain: {b['search_seconds'] / a['search_seconds']:.2f}")


if __name__ == "__main__":
    main()
