"""A run folder: its layout, its status file, its single-writer lock, and KerasTuner's state in it.

Layout::

    RUN/config.json        the run's config (SearchConfig)
    RUN/status.json        state: running | interrupted | failed | completed, with pid and times
    RUN/run.lock           held (flock) by the one process writing to the run
    RUN/tuner/             KerasTuner's project folder, unmodified (reopen with overwrite=False)
    RUN/timings/           start and end time of each trial
    RUN/logs/              TensorBoard logs (with HParams) and the worker log
    RUN/best_model.keras   the retrained winner;  RUN/final.json  its held-out test accuracy
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..errors import ConfigError, RunError
from .atomic import read_json, write_json_atomic

PROJECT = "tuner"
TUNER_ID = "tuner0"
LAST_GOOD = ".last-good"


class RunFolder:
    def __init__(self, path: Path | str):
        self.path = Path(path)

    # paths
    @property
    def project(self) -> Path:
        return self.path / PROJECT

    @property
    def oracle_file(self) -> Path:
        return self.project / "oracle.json"

    @property
    def tuner_file(self) -> Path:
        return self.tuner_file_of(os.environ.get("KERASTUNER_TUNER_ID", TUNER_ID))

    def tuner_file_of(self, tuner_id: str) -> Path:
        """KerasTuner's state file of one tuner (tuner0, or a distributed search's chief/worker ids)."""
        return self.project / f"{tuner_id}.json"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def timings(self) -> Path:
        return self.path / "timings"

    @property
    def final_file(self) -> Path:
        return self.path / "final.json"

    @property
    def model_file(self) -> Path:
        return self.path / "best_model.keras"

    def exists(self) -> bool:
        return (self.path / "config.json").is_file()

    def trial_dirs(self) -> list[Path]:
        return sorted(self.project.glob("trial_*")) if self.project.is_dir() else []

    # status
    def write_status(self, state: str, message: str = "", **extra) -> None:
        previous = self.read_status()
        status = {
            "state": state,
            "message": message,
            "pid": os.getpid(),
            "started": previous.get("started") or time.time(),
            "updated": time.time(),
            **extra,
        }
        try:
            write_json_atomic(self.path / "status.json", status)
        except OSError as exc:
            raise write_error(self.path / "status.json", exc) from None

    def read_status(self) -> dict:
        try:
            return read_json(self.path / "status.json")
        except (OSError, ValueError):
            return {}

    def state(self) -> str:
        """running / interrupted / failed / completed, read without writing: a status that says
        "running" while nobody holds the run's lock was left by a killed process (interrupted)."""
        state = self.read_status().get("state", "unknown")
        if state == "running" and not self.lock_is_held():
            return "interrupted"
        return state

    def lock_is_held(self) -> bool:
        try:
            with open(self.path / "run.lock") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(handle, fcntl.LOCK_UN)
        except OSError:
            pass
        return False


STORAGE_ERRORS = {errno.ENOSPC: "No space left on device", errno.EDQUOT: "Disk quota exceeded",
                  errno.EROFS: "Read-only file system"}


def storage_problem(message: str | None) -> str | None:
    """Which storage error (disk full, quota, read-only) a failure message reports, if any."""
    return next((text for text in STORAGE_ERRORS.values() if text in (message or "")), None)


def write_error(path: Path | str, exc: OSError) -> RunError:
    """A one-line error for a failed write in a run folder (e.g. a full disk): what, where, what to do."""
    return RunError(f"cannot write {path} ({exc.strerror or exc}); free space (or make the run folder writable) "
                    "and resume: completed trials are kept")


def check_run_dir_writable(path: Path | str) -> None:
    """--run-dir must be a folder this process can write (created if missing): ConfigError if not."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except FileExistsError:
        raise ConfigError(f"--run-dir {path} is a file (or under one); choose a folder") from None
    except OSError as exc:
        raise ConfigError(f"--run-dir {path} is not writable ({exc.strerror or exc}); choose a folder you can "
                          "write to") from None


class RunLock:
    """An exclusive flock on RUN/run.lock. The kernel releases it when its holder dies, so a lock
    left by a killed process is simply taken over."""

    def __init__(self, run: RunFolder):
        self.file = run.path / "run.lock"
        self.handle = None
        self.took_over_from: int | None = None

    def acquire(self) -> "RunLock":
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.file, "a+")
        except OSError as exc:
            raise RunError(f"cannot use {self.file.parent} as a run folder ({exc.strerror or exc}); make it writable "
                           "(or copy it somewhere writable and use the copy), or choose another --run-dir") from None
        for attempt in range(5):  # a reader's brief shared lock (RunFolder.lock_is_held) is not a writer
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.05)
        else:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise RunError(
                f"{self.file.parent} is in use by another emnist-tuner process (pid {holder}); "
                f"wait for it to finish or stop it (Ctrl-C in its terminal, or `kill {holder}`)"
            ) from None
        handle.seek(0)
        previous = handle.read().strip()
        if previous.isdigit() and int(previous) != os.getpid():
            self.took_over_from = int(previous)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle
        return self

    def release(self) -> None:
        if self.handle is not None:
            self.handle.seek(0)
            self.handle.truncate()  # a clean exit leaves no pid: only a killed holder's lock is "taken over"
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


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
    from .state_checks import check_checkpoints, restore_trial_files, trial_file_repairs

    oracle_state = next((s for s in map(_read_dict, (run.oracle_file, _last_good(run.oracle_file))) if s), None)
    trial_repairs = trial_file_repairs(run.project, oracle_state)  # these two raise before any change
    if not run.final_file.exists():
        check_checkpoints(run.project, oracle_state)
    oracle_ok = _json_ok(run.oracle_file)
    if not oracle_ok:
        backup = _last_good(run.oracle_file)
        if not run.oracle_file.exists() and not backup.exists() and not _any_trial_ended(run):
            # killed while the very first trial was being created: nothing was trained yet
            aside = run.path / f"{PROJECT}.abandoned-{int(time.time())}"
            run.project.rename(aside)
            notes.append(f"the search was stopped before its first trial was recorded; started it afresh "
                         f"(the unfinished start is kept as {aside.name})")
            return notes
        if not _json_ok(backup):
            raise RunError(
                f"KerasTuner's state {run.oracle_file} is missing or damaged and there is no good copy "
                f"({backup.name}); nothing was changed. Move the run folder aside and start a new search"
            )
        damaged = run.oracle_file.with_name("oracle.json.damaged")
        if run.oracle_file.exists():
            shutil.copy2(run.oracle_file, damaged)
        shutil.copy2(backup, run.oracle_file)
        notes.append(f"{run.oracle_file} was damaged; restored the last good copy (damaged one kept as {damaged.name})")
    if not _json_ok(tuner_file):
        backup = _last_good(tuner_file)
        if _json_ok(backup):
            shutil.copy2(backup, tuner_file)
        else:
            write_json_atomic(tuner_file, {})  # KerasTuner's Tuner state is an empty dict
        notes.append(f"{tuner_file.name} was missing or damaged; recreated it so the search resumes "
                     "instead of starting over")
    notes += restore_trial_files(trial_repairs)
    return notes


def _read_dict(path: Path) -> dict | None:
    try:
        state = read_json(path)
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _any_trial_ended(run: RunFolder) -> bool:
    for trial_dir in run.trial_dirs():
        try:
            if read_json(trial_dir / "trial.json").get("status") in ("COMPLETED", "FAILED"):
                return True
        except (OSError, ValueError, AttributeError):
            return True  # unreadable: be careful, treat as precious
    return False


def _last_good(path: Path) -> Path:
    return path.with_name(path.name + LAST_GOOD)


def _json_ok(path: Path) -> bool:
    try:
        read_json(path)
        return True
    except (OSError, ValueError):
        return False
