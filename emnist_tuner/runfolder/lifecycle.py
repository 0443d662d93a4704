"""One life cycle for every command that writes a run: the single-writer lock, the status file
(running → completed / failed / interrupted), and Ctrl-C (or SIGTERM) as one line with exit code 130.

    with run_lifecycle(run, resume="emnist-tuner resume RUN"):
        ...  # the work; the status says "running" meanwhile
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ..errors import EmnistTunerError, Interrupted, RunError
from ..io import check_output_path
from .layout import RunFolder, article

STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
STORAGE_MESSAGES = {
    errno.ENOSPC: "No space left on device",
    errno.EDQUOT: "Disk quota exceeded",
    errno.EROFS: "Read-only file system",
}


def storage_problem(error: BaseException | str | None) -> str | None:
    """Which storage error (disk full, quota, read-only) ``error`` is (an OSError, or one in its causes);
    a message text is searched for the system's wording (KerasTuner keeps only a trial's traceback text)."""
    seen = set()
    while isinstance(error, BaseException) and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in STORAGE_ERRNOS:
            return STORAGE_MESSAGES[error.errno]
        error = error.__cause__ or error.__context__
    text = error if isinstance(error, str) else ""
    return next((m for m in STORAGE_MESSAGES.values() if m in text), None)


def write_error(path: Path | str, exc: OSError) -> RunError:
    """A one-line error for a failed write in a run folder (e.g. a full disk): what, where, what to do."""
    return RunError(
        f"cannot write {path} ({exc.strerror or exc}); free space (or make the run folder writable) "
        "and resume: completed trials are kept"
    )


def check_run_dir_writable(path: Path | str) -> None:
    """--run-dir must be a folder this process can write, or one it can create: ConfigError if not.
    Creates nothing (a start that fails later, e.g. for missing data, leaves no empty folder)."""
    check_output_path(path, "--run-dir", folder=True)


def check_new_or_same_kind(run: RunFolder, kind: str) -> bool:
    """RunError unless ``run`` is missing, empty, or a run folder of ``kind``; True when it holds one."""
    if run.path.exists() and not run.path.is_dir():
        raise RunError(f"--run-dir {run.path} is a file; choose a folder")
    if run.exists():
        from .configs import saved_kind

        saved = saved_kind(run)
        if saved != kind:
            raise RunError(f"{run.path} holds {article(saved)} run, not {article(kind)} run; choose another --run-dir")
        from .origin import check_data_unchanged

        check_data_unchanged(run.path)  # a user's source changed since: not continued
        return True
    if not run.is_empty_or_missing():
        raise RunError(f"{run.path} exists and is not an emnist-tuner run folder; choose an empty or new --run-dir")
    return False


class RunLock:
    """An exclusive flock on RUN/run.lock. The kernel releases it when its holder dies, so a lock
    left by a killed process is simply taken over."""

    def __init__(self, run: RunFolder):
        self.file = run.lock_file
        self.handle: TextIO | None = None
        self.took_over_from: int | None = None

    def acquire(self) -> RunLock:
        """Takes the lock (waiting briefly for a reader's shared lock) and records this pid in it;
        RunError if another process holds it or the folder is not writable. ``took_over_from``: the pid of a
        killed holder whose lock was taken over, else None."""
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.file, "a+")
        except OSError as exc:
            raise RunError(
                f"cannot use {self.file.parent} as a run folder ({exc.strerror or exc}); make it writable "
                "(or copy it somewhere writable and use the copy), or choose another --run-dir"
            ) from None
        for _ in range(5):  # a reader's brief shared lock (RunFolder.lock_is_held) is not a writer
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
        """Clears this pid and releases the lock (nothing when it is not held)."""
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


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (``kill PID``) ends the work like Ctrl-C: status "interrupted", one line, exit 130."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def run_status(run: RunFolder, resume: str, data: tuple[str, object] | None = None, **status):
    """Mark ``run`` running, and on the way out completed, failed (the error's one line) or interrupted.
    Ctrl-C and SIGTERM raise ``Interrupted``, whose line ends with ``resume`` (how to go on). The
    caller holds the lock (see ``run_lifecycle``). ``data``: (dataset, data folder) the run reads, for
    ``origin.json`` (the version writing the run is recorded in any case)."""
    from .origin import remember_origin

    with _sigterm_as_interrupt():
        run.path.mkdir(parents=True, exist_ok=True)
        remember_origin(run.path, *(data or (None, None)))
        run.write_status("running", **status)
        try:
            yield
        except KeyboardInterrupt:
            run.write_status("interrupted", "stopped by the user", **status)
            raise Interrupted(f"interrupted. {resume}") from None
        except Interrupted:
            run.write_status("interrupted", "stopped by the user", **status)
            raise
        except EmnistTunerError as exc:
            run.write_status("failed", str(exc), **status)
            raise
        except Exception as exc:
            run.write_status("failed", f"{type(exc).__name__}: {exc}", **status)
            raise
        run.write_status("completed", **status)


@contextmanager
def run_lifecycle(
    run: RunFolder, resume: str, lock_of: RunFolder | None = None, data: tuple[str, object] | None = None, **status
):
    """The life cycle of a command writing ``run``: the lock of ``lock_of`` (default ``run``: a retrain
    or transfer writes a sub-folder under its run's lock), then ``run_status`` (``data``: see there).
    Yields the lock."""
    with RunLock(lock_of or run) as lock, run_status(run, resume, data, **status):
        yield lock
