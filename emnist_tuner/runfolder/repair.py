"""Checks of a search's KerasTuner files before a resume, and the safe repairs (``check_tuner_state``).

- ``oracle.json`` damaged (KerasTuner writes it in place): restored from ``oracle.json.last-good``;
  ``tuner0.json`` missing (KerasTuner would silently start a fresh search over the old trials): recreated.

- A trial's ``trial.json`` that is damaged (or missing while KerasTuner's oracle lists the trial)
  is restored from its mirror ``trial.json.last-good`` (written after every write of trial.json,
  see ``tuner``), the damaged one kept as ``trial.json.damaged``; without a good mirror: RunError.
- A completed trial whose checkpoint is missing while Hyperband may still continue it (promote it
  to a next round, or rerun an interrupted continuation of it): RunError. Once the oracle has no
  trial left to continue from it (or only the final retrain is left, which trains from scratch),
  a missing checkpoint is harmless and is not reported; nor is one that ``--keep-checkpoints``
  deleted on purpose (listed in ``RUN/deleted-checkpoints``, see ``runfolder.checkpoints``: only
  checkpoints Hyperband can never read again are deleted).

Every RunError is raised before anything is changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import RunError
from ..io import read_json, read_json_object, write_json_atomic
from .checkpoints import deleted_checkpoints
from .layout import CHECKPOINT, TRIAL, RunFolder, damaged, last_good

ENDED = ("COMPLETED", "FAILED")


def trial_file_repairs(project: Path, oracle_state: dict | None) -> list[tuple[Path, Path]]:
    """(damaged trial.json, good mirror) pairs to restore; RunError if one cannot be restored."""
    listed = set((oracle_state or {}).get("start_order") or [])
    repairs = []
    for trial_dir in sorted(project.glob("trial_*")):
        trial_file, mirror = trial_dir / TRIAL, last_good(trial_dir / TRIAL)
        trial_id = trial_dir.name[len("trial_") :]
        missing = not trial_file.exists()
        if (missing and trial_id not in listed) or (not missing and read_json_object(trial_file) is not None):
            continue  # fine, or created by a kill before the oracle recorded it (its id is reused)
        good = read_json_object(mirror)
        if good is not None and good.get("trial_id") == trial_id:
            repairs.append((trial_file, mirror))
            continue
        what = "is missing" if missing else "is damaged"
        raise RunError(
            f"{trial_file} {what} and has no good copy ({mirror.name}); nothing was changed. Restore it "
            "from a backup and resume, or run the search again in a new --run-dir (`emnist-tuner "
            "leaderboard` still reads this run's other trials)"
        )
    return repairs


def restore_trial_files(repairs: list[tuple[Path, Path]]) -> list[str]:
    """Restores each (trial.json, mirror) pair of ``trial_file_repairs``, keeping a damaged file
    aside; one note per file restored."""
    notes = []
    for trial_file, mirror in repairs:
        if trial_file.exists():
            shutil.copy2(trial_file, damaged(trial_file))
        shutil.copy2(mirror, trial_file)
        notes.append(
            f"{trial_file} was missing or damaged; restored its copy ({mirror.name})"
            + (f", damaged one kept as {damaged(trial_file).name}" if damaged(trial_file).exists() else "")
        )
    return notes


def checkpoints_still_needed(oracle_state: dict, statuses: dict[str, str | None]) -> set[str]:
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
    """RunError when a completed trial that Hyperband may still continue has lost its checkpoint."""
    if not oracle_state:
        return
    statuses = {}
    for trial_dir in project.glob("trial_*"):
        state = read_json_object(trial_dir / TRIAL)
        if state is not None:
            statuses[trial_dir.name[len("trial_") :]] = state.get("status")
    deleted = set(deleted_checkpoints(project.parent))  # by --keep-checkpoints: not damage
    for trial_id in sorted(checkpoints_still_needed(oracle_state, statuses) - deleted):
        trial_dir = project / f"trial_{trial_id}"
        if not any(trial_dir.glob("checkpoint*")):
            raise RunError(
                f"{trial_dir / CHECKPOINT} is missing: trial {trial_id} completed and Hyperband may "
                "still continue it from that checkpoint; nothing was changed. Restore the file and resume, or run "
                "the search again in a new --run-dir (`emnist-tuner leaderboard` still reads this run)"
            )


def check_tuner_state(run: RunFolder, tuner_id: str | None = None) -> list[str]:
    """Check KerasTuner's files before a resume; repair what can be repaired safely.

    Returns notes on what was repaired; raises RunError (changing nothing) where the state
    cannot be trusted. Guards two KerasTuner traps: a damaged ``oracle.json`` (it is written in
    place by KerasTuner itself) and a missing ``tuner0.json`` (KerasTuner would then silently
    start a fresh search over the old trials). ``tuner_id``: whose tuner file to check (default: this
    process's KerasTuner id, tuner0 unless distributed).
    """
    notes: list[str] = []
    tuner_file = run.tuner_file_of(tuner_id) if tuner_id else run.tuner_file
    if not run.project.is_dir() or not (run.trial_dirs() or run.oracle_file.exists()):
        return notes
    oracle_state = next((s for s in map(read_json_object, (run.oracle_file, last_good(run.oracle_file))) if s), None)
    trial_repairs = trial_file_repairs(run.project, oracle_state)  # these two raise before any change
    if not run.final_file.exists():
        check_checkpoints(run.project, oracle_state)
    oracle_ok = _json_ok(run.oracle_file)
    if not oracle_ok:
        backup = last_good(run.oracle_file)
        if not run.oracle_file.exists() and not backup.exists() and not _any_trial_ended(run):
            # killed while the very first trial was being created: nothing was trained yet
            aside = run.abandoned_project()
            run.project.rename(aside)
            notes.append(
                f"the search was stopped before its first trial was recorded; started it afresh "
                f"(the unfinished start is kept as {aside.name})"
            )
            return notes
        if not _json_ok(backup):
            raise RunError(
                f"KerasTuner's state {run.oracle_file} is missing or damaged and there is no good copy "
                f"({backup.name}); nothing was changed. Move the run folder aside and start a new search"
            )
        kept = damaged(run.oracle_file)
        if run.oracle_file.exists():
            shutil.copy2(run.oracle_file, kept)
        shutil.copy2(backup, run.oracle_file)
        notes.append(f"{run.oracle_file} was damaged; restored the last good copy (damaged one kept as {kept.name})")
    if not _json_ok(tuner_file):
        backup = last_good(tuner_file)
        if _json_ok(backup):
            shutil.copy2(backup, tuner_file)
        else:
            write_json_atomic(tuner_file, {})  # KerasTuner's Tuner state is an empty dict
        notes.append(
            f"{tuner_file.name} was missing or damaged; recreated it so the search resumes instead of starting over"
        )
    notes += restore_trial_files(trial_repairs)
    return notes


def _any_trial_ended(run: RunFolder) -> bool:
    for trial_dir in run.trial_dirs():
        try:
            if read_json(trial_dir / TRIAL).get("status") in ("COMPLETED", "FAILED"):
                return True
        except (OSError, ValueError, AttributeError):
            return True  # unreadable: be careful, treat as precious
    return False


def _json_ok(path: Path) -> bool:
    try:
        read_json(path)
        return True
    except (OSError, ValueError):
        return False
