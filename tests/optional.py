"""The one rule for tests that need something optional (the real data folder, the browser, tcmalloc, a
backend): ``require`` skips, saying what is missing and how to get it, except under CI (``CI`` set, as
``.ci/run`` does) or when ``EMNIST_TUNER_REQUIRE_<WHAT>=1``, where a missing one fails the test. A
dependency the package declares is imported, never skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _shared_data() -> Path | None:
    for candidate in (os.environ.get("EMNIST_TUNER_DATA"), REPO.parent / "shared" / "data"):
        if candidate and (Path(candidate) / "mnist").is_dir():
            return Path(candidate).resolve()
    return None


SHARED_DATA = _shared_data()  # the real data folder (EMNIST_TUNER_DATA, else ../shared/data), or None


def required(what: str) -> bool:
    """Whether a missing ``what`` ("data", "browser", "tcmalloc", "tensorflow") fails instead of skipping."""
    return bool(os.environ.get("CI")) or os.environ.get(f"EMNIST_TUNER_REQUIRE_{what.upper()}") == "1"


def require(what: str, present: bool, missing: str) -> None:
    """Go on when ``present``; else skip (outside CI) or fail (CI) with ``missing``: what is not there
    and how to get it."""
    if present:
        return
    if required(what):
        pytest.fail(f"{missing} (required here: CI or EMNIST_TUNER_REQUIRE_{what.upper()}=1)")
    pytest.skip(missing)


def require_tensorflow() -> None:
    """The test checks what the TensorFlow backend does (the default, and what CI runs)."""
    import keras

    backend = keras.backend.backend()
    require("tensorflow", backend == "tensorflow", f"needs the TensorFlow backend (KERAS_BACKEND is {backend})")
