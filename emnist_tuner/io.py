"""Atomic file writes: a temporary file in the same folder, fsync'd, then renamed over the target.

A reader (or a resume after SIGKILL) sees either the old content or the new, never half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path | str, text: str) -> None:
    """Writes ``text`` to ``path`` (creating its folder) atomically: readers see the old content or the new."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; keep the usual permissions
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
