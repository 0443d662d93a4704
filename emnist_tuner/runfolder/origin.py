"""What a run folder remembers of how it was written: ``origin.json`` beside its config.

    {"created_by": "0.2.0", "written_by": "0.2.0", "dataset": "mnist", "data_dir": "/abs/data"}

``created_by``: the emnist-tuner version that started the run (null for a run started by a version
that did not record it); ``written_by``: the version that last started or resumed it; ``data_dir``:
the absolute folder its dataset's files were found in (``data.files.search_folders``), so that
`report`, `plot`, `export`, `predict` and `resume` find the data in a new shell. Where data is looked
for, in order: ``--data-dir``, ``EMNIST_TUNER_DATA``, the remembered folder (while it exists), the
``--data-dir`` a run of an older version saved in its config, the cache.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..data.datasets import DATASETS
from ..data.files import ENV_DATA, folder_holding
from ..io import read_json_object, write_json_atomic
from .layout import ORIGIN, STATUS


def read_origin(folder: Path | str) -> dict:
    """The folder's ``origin.json`` (empty for a run folder written before it was recorded)."""
    return read_json_object(Path(folder) / ORIGIN) or {}


def remember_origin(folder: Path | str, dataset: str | None, data_dir=None) -> None:
    """Records in ``folder`` the version writing it now (and, for a run just started, as the version
    that made it) and the absolute folder holding ``dataset``'s files, as ``data_dir`` finds them now (a
    remembered folder is kept when they are not found). Called as a run starts or resumes; a failure to
    write it is not an error of its own (the run's status, written next, says so)."""
    from .. import __version__

    folder = Path(folder)
    origin = read_origin(folder)
    if not origin:
        origin["created_by"] = None if (folder / STATUS).exists() else __version__
    origin["written_by"] = __version__
    info = DATASETS.get(dataset or "")
    if info is not None:
        origin["dataset"] = info.name
        found = folder_holding(info.files, data_dir) if info.files else None
        if found is not None:
            origin["data_dir"] = str(found)
    try:
        write_json_atomic(folder / ORIGIN, origin)
    except OSError:
        pass


def data_dirs(folder: Path | str, given=None, saved: str | None = None) -> list[str] | None:
    """The folders to look for a run's data in, before the cache (see the module docstring): ``given``
    (``--data-dir``), ``EMNIST_TUNER_DATA``, the folder the run in ``folder`` remembers if it still
    exists, ``saved`` (the ``--data-dir`` in its config). None when there is none."""
    remembered = read_origin(folder).get("data_dir")
    if remembered and not Path(remembered).is_dir():
        remembered = None  # moved or deleted since
    found = [str(c) for c in (given, os.environ.get(ENV_DATA), remembered, saved) if c]
    return found or None


def data_dir_now(folder: Path | str, given=None, saved: str | None = None) -> str | None:
    """The one folder a run resumed or continued in ``folder`` reads its data from (the first of
    ``data_dirs``; a worker process gets it as its ``--data-dir``)."""
    folders = data_dirs(folder, given, saved)
    return folders[0] if folders else None


def made_by(folder: Path | str) -> str:
    """Which emnist-tuner version made the run in ``folder`` and which one runs now, as a clause for a
    message ("the run was made by emnist-tuner 0.1.0, this is 0.2.0")."""
    from .. import __version__

    version = read_origin(folder).get("created_by")
    if not version:
        return f"the run was made by an older emnist-tuner that did not record its version, this is {__version__}"
    if version == __version__:
        return f"the run was made by this emnist-tuner version, {__version__}"
    return f"the run was made by emnist-tuner {version}, this is {__version__}"
