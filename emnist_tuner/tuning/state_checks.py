"""Checks of a run's trial files before a resume (called by ``runfolder.check_tuner_state``).

- A trial's ``trial.json`` that is damaged (or missing while KerasTuner's oracle lists the trial)
  is restored from its mirror ``trial.json.last-good`` (written after every write of trial.json,
  see ``tuner``), the damaged one kept as ``trial.json.damaged``; without a good mirror: RunError.
- A completed trial whose checkpoint is missing while Hyperband may still continue it (promote it
  to a next round, or rerun an interrupted continuation of it): RunError. Once the oracle has no
  trial left to continue from it (or only the final retrain is left, which trains from scratch),
  a missing checkpoint is harmless and is not reported.

Every RunError is raised before anything is changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import RunError
from .atomic import read_json

LAST_GOOD = ".last-good"
ENDED = ("COMPLETED", "FAILED")


def _read(path: Path):
    try:
        return read_json(path)
    except (OSError, ValueError):
        return None


def trial_file_repairs(project: Path, oracle_state: dict | None) -> list[tuple[Path, Path]]:
    """(damaged trial.json, good mirror) pairs to restore; RunError if one cannot be restored."""
    listed = set((oracle_state or {}).get("start_order") or [])
    repairs = []
    for trial_dir in sorted(project.glob("trial_*")):
        trial_file, mirror = trial_dir / "trial.json", trial_dir / f"trial.json{LAST_GOOD}"
        trial_id = trial_dir.name[len("trial_"):]
        missing = not trial_file.exists()
        if (missing and trial_id not in listed) or (not missing and isinstance(_read(trial_file), dict)):
            continue  # fine, or created by a kill before the oracle recorded it (its id is reused)
        good = _read(mirror)
        if isinstance(good, dict) and good.get("trial_id") == trial_id:
            repairs.append((trial_file, mirror))
            continue
        what = "is missing" if missing else "is damaged"
        raise RunError(f"{trial_file} {what} and has no good copy ({mirror.name}); nothing was changed. Restore it "
                       "from a backup and resume, or run the search again in a new --run-dir (`emnist-tuner "
                       "leaderboard` still reads this run's other trials)")
    return repairs


def restore_trial_files(repairs: list[tuple[Path, Path]]) -> list[str]:
    notes = []
    for trial_file, mirror in repairs:
        if trial_file.exists():
            shutil.copy2(trial_file, trial_file.with_name("trial.json.damaged"))
        shutil.copy2(mirror, trial_file)
        notes.append(f"{trial_file} was missing or damaged; restored its copy ({mirror.name})"
                     + (", damaged one kept as trial.json.damaged" if trial_file.with_name("trial.json.damaged").exists()
                        else ""))
    return notes


def checkpoints_still_needed(oracle_state: dict, statuses: dict[str, str]) -> set[str]:
    """Completed trials Hyperband may still continue from their checkpoints."""
    needed = set()
    for bracket in oracle_state.get("brackets") or []:
        rounds = bracket.get("rounds") or []
        for number, entries in enumerate(rounds):
            for entry in entries:
                past = entry.get("past_id")
                if past and statuses.get(entry.get("id")) not in ENDED:
                    needed.add(past)  # an unfinished continuation is rerun from this checkpoint
            if number + 1 < len(rounds):
                promoted = {entry.get("past_id") for entry in rounds[number + 1]}
                needed |= {entry["id"] for entry in entries if entry.get("id") not in promoted}
    return {trial_id for trial_id in needed if statuses.get(trial_id) == "COMPLETED"}


def check_checkpoints(project: Path, oracle_state: dict | None) -> None:
    if not oracle_state:
        return
    statuses = {}
    for trial_dir in project.glob("trial_*"):
        state = _read(trial_dir / "trial.json")
        if isinstance(state, dict):
            statuses[trial_dir.name[len("trial_"):]] = state.get("status")
    for trial_id in sorted(checkpoints_still_needed(oracle_state, statuses)):
        trial_dir = project / f"trial_{trial_id}"
        if not any(trial_dir.glob("checkpoint*")):
            raise RunError(
                f"{trial_dir / 'checkpoint.weights.h5'} is missing: trial {trial_id} completed and Hyperband may "
                "still continue it from that checkpoint; nothing was changed. Restore the file and resume, or run "
                "the search again in a new --run-dir (`emnist-tuner leaderboard` still reads this run)")
