"""Atomic file writes: a temporary file in the same folder, fsync'd, then renamed over the target.

A reader (or a resume after SIGKILL) sees either the old content or the new, never half a file.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import ConfigError

# the process's umask, read once (reading it means setting it: another thread could create a file
# in between with the wrong permissions); file permissions are 0o666 less this
_UMASK = os.umask(0)
os.umask(_UMASK)


def temp_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A new empty file beside ``path`` (same folder, so a rename onto ``path`` is atomic), with the usual
    permissions (``mkstemp`` makes 0600); its name starts with a dot and ends with ``suffix``."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
    finally:
        os.close(fd)
    return Path(name)


def write_atomic(path: Path | str, write: Callable[[Path], object], suffix: str = ".tmp") -> None:
    """Has ``write`` write a temporary file beside ``path`` (named with ``suffix``, for writers that need
    one: ``.keras``, ``.npy``), fsyncs it and renames it over ``path``, creating the folder: a reader, or a
    resume after a kill, sees the old file or the new one, never half of one. Nothing is left on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(path, suffix)  # an OSError here is the write's own error: nothing was created
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


def remove_quietly(path: Path) -> None:
    """Removes the file (or folder tree) ``path`` if it is there; a failure to remove it is not an error of
    its own (the error that made it a leftover is the one to report)."""
    import shutil

    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output_path(path: Path | str, option: str, *, folder: bool = False, create: bool = False) -> Path:
    """ConfigError (one line, exit 2) unless ``path`` can be written, checked before any work and creating
    nothing: a file (``folder=False``: not an existing folder, in an existing folder, or in one the command
    creates when ``create``) or a folder (``folder=True``: an existing folder, or one that can be created).
    Whether the folder takes a new file is tried (a temporary file that leaves no trace): permissions alone
    do not tell for root, a read-only mount or ``/proc``."""
    path = Path(path)
    if folder:
        where = _nearest_existing(path)
        if not where.is_dir():
            raise ConfigError(f"{option} {path} is a file (or under one); choose a folder")
    else:
        if path.is_dir():
            raise ConfigError(f"{option} {path}: it is a folder; give a file name")
        parent = path.parent
        if parent.exists() and not parent.is_dir():
            raise ConfigError(f"{option} {path}: {parent} is a file, not a folder; choose a path in a folder")
        if not parent.exists() and not create:
            raise ConfigError(
                f"{option} {path}: the folder {parent} does not exist; create it or choose a path in an existing folder"
            )
        where = _nearest_existing(parent)
    if not where.is_dir():
        raise ConfigError(f"{option} {path}: {where} is a file, not a folder; choose a path in a folder")
    try:
        with tempfile.TemporaryFile(dir=where, prefix=".write-check-"):
            pass
    except OSError as exc:
        why = exc.strerror or exc
        raise ConfigError(
            f"{option} {path} is not writable ({why}); choose a folder you can write to"
            if folder
            else f"{option} {path}: cannot create files in {where} ({why}); choose a folder you can write to"
        ) from None
    return path


def write_text_atomic(path: Path | str, text: str) -> None:
    """Writes ``text`` to ``path`` (creating its folder) atomically: readers see the old content or the new."""
    write_atomic(path, lambda tmp: tmp.write_text(text))


def save_npy_atomic(path: Path | str, array) -> None:
    """``array`` as the ``.npy`` file ``path``, atomically."""
    import numpy as np

    write_atomic(path, lambda tmp: np.save(tmp, array), suffix=".npy")


def write_json_atomic(path: Path | str, obj) -> None:
    """``obj`` as indented JSON at ``path``, atomically; values JSON has no type for are written as ``str``."""
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: Path | str):
    """Parse a JSON file; raises ValueError (with the path) when it is empty or damaged."""
    text = Path(path).read_text()
    if not text.strip():
        raise ValueError(f"{path} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc})") from None


def read_json_object(path: Path | str) -> dict | None:
    """The JSON object in ``path``; None when the file is missing, unreadable, damaged or not an object
    (readers of a run folder in any state: a file being replaced or never written reads as absent)."""
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address; IPv6 possibly in brackets) reaches this machine only:
    ``localhost``, 127.0.0.0/8, ::1."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
