"""Where a search worker's large buffers come from, chosen before the worker starts.

TensorFlow keeps oneDNN's buffers in a pool of its own that never shrinks, so a worker stays at the
memory of the largest model it has trained. With gperftools' tcmalloc preloaded and oneDNN's buffers
taken from it (``TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1``), what a trial used is handed back at its end
(``memory.release_memory``), at the pool's speed (BENCHMARKS.md, "Search efficiency": glibc's malloc
and jemalloc were slower or had higher peaks). Where tcmalloc is not installed the pool stays.

``EMNIST_TUNER_ALLOCATOR``: ``auto`` (default: tcmalloc where installed), ``tcmalloc`` (an error where it
is not), ``tensorflow`` (TensorFlow's pool).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

from ..errors import ConfigError

ENV = "EMNIST_TUNER_ALLOCATOR"
CHOICES = ("auto", "tcmalloc", "tensorflow")
ONEDNN_FROM_MALLOC = "TF_ONEDNN_USE_SYSTEM_ALLOCATOR"
INSTALL_HINT = "Debian/Ubuntu: apt install libtcmalloc-minimal4"


@functools.cache
def find_tcmalloc() -> str | None:
    """The name the dynamic loader knows tcmalloc by (e.g. ``libtcmalloc_minimal.so.4``), or None (asked
    once per process: it runs ``ldconfig``)."""
    return ctypes.util.find_library("tcmalloc_minimal")


@functools.cache
def _tcmalloc_release():
    """tcmalloc's function that hands its free memory back, where tcmalloc is in this process; else None."""
    return getattr(ctypes.CDLL(None), "MallocExtension_ReleaseFreeMemory", None)


def asked_allocator() -> str:
    """``EMNIST_TUNER_ALLOCATOR``'s value, checked (``auto`` when unset)."""
    asked = os.environ.get(ENV, "").strip().lower() or "auto"
    if asked not in CHOICES:
        raise ConfigError(
            f"{ENV}={os.environ[ENV]!r} is not an allocator: set it to one of {', '.join(CHOICES)} or unset it"
        )
    return asked


def allocator_environment() -> dict:
    """The variables a worker process gets for its allocator: tcmalloc preloaded and oneDNN's buffers taken
    from it, or nothing (TensorFlow's pool). A value the user set for either variable is kept."""
    asked = asked_allocator()
    if asked == "tensorflow":
        return {}
    library = find_tcmalloc()
    if library is None:
        if asked == "tcmalloc":
            raise ConfigError(
                f"{ENV}=tcmalloc but the tcmalloc library (libtcmalloc_minimal) is not installed: "
                f"install it ({INSTALL_HINT}) or unset {ENV}"
            )
        return {}
    preload = os.environ.get("LD_PRELOAD", "").split()
    return {
        "LD_PRELOAD": " ".join(preload if library in preload else [*preload, library]),
        ONEDNN_FROM_MALLOC: os.environ.get(ONEDNN_FROM_MALLOC, "1"),
    }


def allocator_in_use() -> str:
    """In a worker: ``tcmalloc`` where it was preloaded into this process, else ``glibc``."""
    return "glibc" if _tcmalloc_release() is None else "tcmalloc"


def describe_allocator(backend: str = "tensorflow") -> str:
    """For the ``devices:`` line: where the worker's memory comes from and whether it is handed back."""
    if backend != "tensorflow":
        return f"memory from {allocator_in_use()}"
    if os.environ.get(ONEDNN_FROM_MALLOC) != "1":
        if asked_allocator() == "tensorflow":
            why = f"{ENV}=tensorflow"
        elif allocator_in_use() == "tcmalloc":
            why = f"{ONEDNN_FROM_MALLOC} is not 1"
        else:
            why = f"to hand it back: {INSTALL_HINT}"
        return f"memory from TensorFlow's pool, kept until the worker ends ({why})"
    if allocator_in_use() == "tcmalloc":
        return "memory from tcmalloc, handed back after each trial"
    return "memory from glibc's malloc, handed back after each trial"


def release_allocator_memory() -> None:
    """Hand the heap's free memory back to the system: glibc's (``malloc_trim``), and tcmalloc's where it is
    in this process. Both keep freed blocks otherwise, and RSS then follows the largest model so far."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
    release = _tcmalloc_release()
    if release is not None:
        release()
