"""Fault campaign: SIGKILL a search at K random moments, resume after each, check that nothing was lost.

    nice -n 10 .venv/bin/python bench/faults.py --kills 20 [--seed 0] [--json results.json]

A quick search on the synthetic dataset (max_epochs 2, factor 2: 5 trials; 2 trials per worker
process, so worker hand-overs happen too) is started, then killed (SIGKILL of the `emnist-tuner`
process; its worker dies with it) at a moment of one of these kinds, in turn:

- training:     while a trial is running, a random 0-3 s into an epoch;
- state write:  as soon as a KerasTuner state file is being written (an atomic-write temporary
                file in the project folder) or a checkpoint changes;
- between:      as soon as a trial has ended (its timing file appears): state saved, next trial not started;
- random:       a uniformly random moment 1-25 s after the (re)start, whatever is happening.

After each kill, `emnist-tuner resume RUN` continues it. When a search completes before the K kills
are spent, a new one is started. At the end, for every search: all 5 scheduled trials completed,
each ended exactly once in KerasTuner's state, the final retrain done, and no completed trial was
trained again (its files, and its timing file, unchanged byte for byte and mtime since it was first
seen completed; its checkpoint may vanish only when `--keep-checkpoints needed`, the default, deleted
it on purpose and recorded it in RUN/deleted-checkpoints; a resume that needed it would fail its trial).
Exits 1 if any check fails; the last line is `kills K problems N`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from emnist_tuner.hyperband.process import worker_pids as workers_of
from emnist_tuner.runfolder.checkpoints import deleted_checkpoints

SEARCH = ["--dataset", "synthetic", "--max-epochs", "2", "--factor", "2"]
TRIALS = 5
KINDS = ("training", "state write", "between", "random")


def trial_states(run: Path) -> dict[str, str]:
    states = {}
    for path in sorted((run / "tuner").glob("trial_*/trial.json")):
        try:
            states[path.parent.name[len("trial_") :]] = json.loads(path.read_text())["status"]
        except (OSError, ValueError, KeyError):
            states[path.parent.name[len("trial_") :]] = "UNREADABLE"
    return states


def snapshot_completed(run: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of every completed trial (and its timing file): bytes and mtime."""
    files = {}
    for trial_id, status in trial_states(run).items():
        if status != "COMPLETED":
            continue
        paths = list((run / "tuner" / f"trial_{trial_id}").iterdir()) + [run / "timings" / f"{trial_id}.json"]
        for path in paths:
            if path.is_file():
                files[str(path.relative_to(run))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return files


def changed_files(before: dict, after: dict, deleted: set[str] = frozenset()) -> list[str]:
    """Files of trials completed earlier that changed or vanished since (a retrained trial rewrites them);
    ``deleted``: trial ids whose checkpoints --keep-checkpoints deleted on purpose (RUN/deleted-checkpoints)."""
    return [
        f"{name} changed or vanished after its trial completed"
        for name, seen in before.items()
        if after.get(name) != seen and not (name not in after and _deleted_checkpoint(name, deleted))
    ]


def _deleted_checkpoint(name: str, deleted: set[str]) -> bool:
    parts = Path(name).parts  # tuner/trial_ID/checkpoint.weights.h5
    return len(parts) == 3 and parts[2].startswith("checkpoint") and parts[1][len("trial_") :] in deleted


def finish_problems(run: Path) -> list[str]:
    problems = []
    states = trial_states(run)
    expected = [f"{i:04d}" for i in range(TRIALS)]
    if sorted(states) != expected:
        problems.append(f"{run.name}: trials {sorted(states)}, expected {expected}")
    if set(states.values()) != {"COMPLETED"}:
        problems.append(f"{run.name}: not all trials completed: {states}")
    try:
        oracle = json.loads((run / "tuner" / "oracle.json").read_text())
        if sorted(oracle["end_order"]) != expected or oracle["ongoing_trials"]:
            problems.append(f"{run.name}: oracle end_order {oracle['end_order']}, ongoing {oracle['ongoing_trials']}")
    except (OSError, ValueError, KeyError) as exc:
        problems.append(f"{run.name}: oracle.json unreadable ({exc})")
    if not (run / "final.json").is_file() or not (run / "best_model.keras").is_file():
        problems.append(f"{run.name}: no final retrain")
    return problems


def _state_write_seen(run: Path, checkpoints: dict) -> bool:
    project = run / "tuner"
    try:
        for entry in os.scandir(project):
            if entry.name.endswith(".tmp"):
                return True
            if entry.name.startswith("trial_"):
                for inner in os.scandir(entry.path):
                    if inner.name.endswith(".tmp"):
                        return True
                    if inner.name.startswith("checkpoint"):
                        mtime = inner.stat().st_mtime_ns
                        if checkpoints.setdefault(inner.path, mtime) != mtime:
                            return True
    except OSError:
        pass
    return False


def wait_for_moment(kind: str, run: Path, proc: subprocess.Popen, rng: random.Random) -> str:
    """Wait for a moment of ``kind``; returns what was caught (or "ended" if the process finished)."""
    started = time.monotonic()
    give_up = started + 90
    timings_before = set((run / "timings").glob("*.json")) if (run / "timings").is_dir() else set()
    checkpoints: dict = {}
    if kind == "random":
        deadline = started + rng.uniform(1, 25)
    while proc.poll() is None and time.monotonic() < give_up:
        if kind == "random" and time.monotonic() >= deadline:
            return "random"
        if kind == "training" and "RUNNING" in trial_states(run).values():
            time.sleep(rng.uniform(0, 3))
            return "training" if "RUNNING" in trial_states(run).values() else "random"
        if kind == "state write" and _state_write_seen(run, checkpoints):
            return "state write"
        if kind == "between" and (run / "timings").is_dir() and set((run / "timings").glob("*.json")) - timings_before:
            return "between"
        time.sleep(0.002 if kind == "state write" else 0.02)
    return "ended" if proc.poll() is not None else "random (timeout)"


def cli(args: list[str], log) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("EMNIST_TUNER_DATA", None)
    return subprocess.Popen(
        [sys.executable, "-m", "emnist_tuner.cli", *args], stdout=log, stderr=subprocess.STDOUT, env=env
    )


def campaign(kills: int, folder: Path, seed: int = 0, say=print, per_worker: int = 2) -> dict:
    rng = random.Random(seed)
    runs: list[Path] = []
    problems: list[str] = []
    rows = []
    seen: dict[str, dict] = {}  # run -> snapshot of completed trials' files
    done_kills = 0
    run = None
    while done_kills < kills or run is not None:
        if run is None:
            run = folder / f"run{len(runs)}"
            runs.append(run)
            args = ["search", *SEARCH, "--trials-per-worker", str(per_worker), "--run-dir", str(run)]
        else:
            args = ["resume", str(run)]
        with open(folder / f"{run.name}.log", "a") as log:
            proc = cli(args, log)
            if done_kills < kills:
                kind = KINDS[done_kills % len(KINDS)]
                caught = wait_for_moment(kind, run, proc, rng)
            else:
                caught = "ended"
            if caught != "ended" and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                done_kills += 1
            code = proc.wait()
        deadline = time.time() + 30
        while workers_of(run) and time.time() < deadline:
            time.sleep(0.05)
        before, after = seen.get(str(run), {}), snapshot_completed(run)
        problems += changed_files(before, after, set(deleted_checkpoints(run)))
        seen[str(run)] = {**after, **before}
        states = trial_states(run)
        row = {
            "run": run.name,
            "kill": done_kills if caught != "ended" else None,
            "moment": caught,
            "exit": code,
            "completed": sum(s == "COMPLETED" for s in states.values()),
            "running": sum(s == "RUNNING" for s in states.values()),
        }
        rows.append(row)
        say(
            f"{row['run']}  kill {row['kill'] or '-':>3}  {caught:<17} exit {code:>4}  "
            f"completed {row['completed']}  running {row['running']}"
        )
        if caught == "ended":
            if code != 0:
                problems.append(f"{run.name}: `{' '.join(args[:2])}` exited with {code} (see {folder / run.name}.log)")
            problems += finish_problems(run)
            run = None
    return {"kills": done_kills, "searches": len(runs), "rows": rows, "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", type=Path, default=None, help="keep the run folders here (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.time()
        result = campaign(args.kills, folder, args.seed, say=lambda line: print(line, flush=True))
        result["minutes"] = round((time.time() - started) / 60, 1)
    moments = {}
    for row in result["rows"]:
        if row["kill"]:
            moments[row["moment"]] = moments.get(row["moment"], 0) + 1
    result["moments"] = moments
    for problem in result["problems"]:
        print("PROBLEM:", problem)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(f"searches {result['searches']}, moments {moments}, {result['minutes']} min")
    print(f"kills {result['kills']} problems {len(result['problems'])}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
