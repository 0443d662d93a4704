"""The record of the trial checkpoints a search deleted (``--keep-checkpoints``), and a run's disk use.

``RUN/deleted-checkpoints/TRIAL_ID.json`` records each deleted checkpoint (bytes freed, the mode that
deleted it): one file per trial, written atomically, so processes pruning at the same time (parallel
workers) never lose each other's entries. It is written *before* the checkpoint is unlinked, so a
kill between the two leaves a record of a file still there (deleted by the next pruning), never a
missing file without one. ``repair`` reads it: a checkpoint recorded here is gone on purpose, not
damage. The policy that decides what may be deleted lives in ``hyperband.retention``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..io import read_json_object, write_json_atomic
from .layout import RunFolder

RECORD = "deleted-checkpoints"


def record_folder(run_path: Path | str) -> Path:
    """Where a run folder records its deleted checkpoints, one JSON file per trial."""
    return Path(run_path) / RECORD


def deleted_checkpoints(run_path: Path | str) -> dict[str, dict]:
    """Trial id -> {"bytes", "mode"} of each checkpoint deleted on purpose ({} when none)."""
    found = {}
    for path in sorted(record_folder(run_path).glob("*.json")):
        entry = read_json_object(path)
        if entry is not None:
            found[path.stem] = entry
    return found


def record_deleted(run_path: Path | str, entries: dict[str, dict]) -> None:
    """Records ``entries`` (trial id -> {"bytes", "mode"}), each atomically in its own file."""
    folder = record_folder(run_path)
    folder.mkdir(exist_ok=True)
    for trial_id, entry in entries.items():
        write_json_atomic(folder / f"{trial_id}.json", entry)


def tree_bytes(path: Path | str) -> int:
    """Bytes of the files under ``path`` (links not followed; a file that vanishes meanwhile counts 0)."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


@dataclass(frozen=True)
class DiskUse:
    """A run folder's size, and its trial checkpoints': how many are kept and how many were deleted."""

    total: int
    checkpoints: int  # bytes of the checkpoints kept
    kept: int
    deleted: int
    freed: int  # bytes the deleted ones took

    def checkpoints_text(self) -> str:
        """E.g. "3 kept (2.1 MB), 14 deleted (9.8 MB freed)"."""
        gone = f", {self.deleted} deleted ({human_bytes(self.freed)} freed)" if self.deleted else ""
        return f"{self.kept} kept ({human_bytes(self.checkpoints)}){gone}"


def disk_use(run_path: Path | str) -> DiskUse:
    """The disk use of the run folder at ``run_path`` (reads only)."""
    run = RunFolder(run_path)
    files = [f for d in run.trial_dirs() for f in d.glob("checkpoint*") if f.is_file() and ".tmp" not in f.name]
    kept = {f.parent.name[len("trial_") :] for f in files}
    deleted = {t: e for t, e in deleted_checkpoints(run.path).items() if t not in kept}
    return DiskUse(
        total=tree_bytes(run.path),
        checkpoints=sum(f.stat().st_size for f in files),
        kept=len(kept),
        deleted=len(deleted),
        freed=sum(int(e.get("bytes") or 0) for e in deleted.values()),
    )


def human_bytes(n: int) -> str:
    """``n`` bytes in kB, MB or GB (powers of 1000, one decimal): "83.0 MB"."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"
