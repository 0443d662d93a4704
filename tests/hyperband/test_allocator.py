"""``hyperband.allocator``: which allocator a worker gets, what it says, and that memory is handed back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from optional import require

from emnist_tuner.errors import ConfigError
from emnist_tuner.hyperband import allocator
from emnist_tuner.hyperband.process import worker_environment

TCMALLOC = "libtcmalloc_minimal.so.4"


@pytest.fixture
def clean(monkeypatch):
    for name in ("EMNIST_TUNER_ALLOCATOR", "LD_PRELOAD", "TF_ONEDNN_USE_SYSTEM_ALLOCATOR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_auto_preloads_tcmalloc_where_installed_and_keeps_the_users_settings(clean):
    clean.setattr(allocator, "find_tcmalloc", lambda: TCMALLOC)
    assert allocator.allocator_environment() == {"LD_PRELOAD": TCMALLOC, "TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1"}
    clean.setenv("LD_PRELOAD", f"libmine.so {TCMALLOC}")  # already there: not twice
    clean.setenv("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "0")  # the user's word stands
    assert allocator.allocator_environment() == {
        "LD_PRELOAD": f"libmine.so {TCMALLOC}",
        "TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "0",
    }


def test_without_tcmalloc_auto_keeps_tensorflows_pool_and_tcmalloc_is_an_error(clean):
    clean.setattr(allocator, "find_tcmalloc", lambda: None)
    assert allocator.allocator_environment() == {}
    assert "LD_PRELOAD" not in worker_environment()
    clean.setenv("EMNIST_TUNER_ALLOCATOR", "tcmalloc")
    with pytest.raises(ConfigError, match="not installed: install it .*apt install libtcmalloc-minimal4"):
        allocator.allocator_environment()


def test_tensorflow_asks_for_the_pool_and_a_bad_value_is_a_config_error(clean):
    clean.setattr(allocator, "find_tcmalloc", lambda: TCMALLOC)
    clean.setenv("EMNIST_TUNER_ALLOCATOR", " TensorFlow ")
    assert allocator.allocator_environment() == {}
    clean.setenv("EMNIST_TUNER_ALLOCATOR", "jemalloc")
    with pytest.raises(
        ConfigError, match="EMNIST_TUNER_ALLOCATOR='jemalloc' is not an allocator: .*auto, tcmalloc, tensorflow"
    ):
        allocator.allocator_environment()


@pytest.mark.parametrize(
    "in_use, onednn, asked, said",
    [
        ("tcmalloc", "1", None, "memory from tcmalloc, handed back after each trial"),
        (
            "glibc",
            None,
            None,
            "TensorFlow's pool, kept until the worker ends (to hand it back: Debian/Ubuntu: apt install",
        ),
        (
            "tcmalloc",
            None,
            "tensorflow",
            "TensorFlow's pool, kept until the worker ends (EMNIST_TUNER_ALLOCATOR=tensorflow)",
        ),
        (
            "tcmalloc",
            "0",
            None,
            "TensorFlow's pool, kept until the worker ends (TF_ONEDNN_USE_SYSTEM_ALLOCATOR is not 1)",
        ),
    ],
)
def test_the_devices_line_says_where_memory_comes_from(clean, in_use, onednn, asked, said):
    clean.setattr(allocator, "allocator_in_use", lambda: in_use)
    for name, value in (("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", onednn), ("EMNIST_TUNER_ALLOCATOR", asked)):
        if value is not None:
            clean.setenv(name, value)
    assert said in allocator.describe_allocator("tensorflow")
    assert allocator.describe_allocator("jax") == f"memory from {in_use}"


RELEASE = """
import ctypes, sys
from emnist_tuner.hyperband.allocator import allocator_in_use, release_allocator_memory
from emnist_tuner.hyperband.memory import rss_mib
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
blocks = [libc.malloc(1 << 20) for _ in range(300)]  # 300 MiB in blocks tcmalloc keeps when freed
for block in blocks:
    ctypes.memset(block, 1, 1 << 20)
for block in blocks:
    libc.free(ctypes.c_void_p(block))
freed = rss_mib()
release_allocator_memory()
print(allocator_in_use(), freed, rss_mib())
"""


def test_a_worker_runs_on_tcmalloc_and_hands_a_trials_memory_back():
    require(
        "tcmalloc", allocator.find_tcmalloc() is not None, "tcmalloc is not installed (Debian: libtcmalloc-minimal4)"
    )
    env = {k: v for k, v in os.environ.items() if k != "EMNIST_TUNER_ALLOCATOR"}
    out = subprocess.run(
        [sys.executable, "-c", RELEASE],
        capture_output=True,
        text=True,
        check=True,
        env={**env, **allocator.allocator_environment()},
    ).stdout.split()
    in_use, freed, released = out[0], float(out[1]), float(out[2])
    assert in_use == "tcmalloc"
    assert (
        subprocess.run(
            [sys.executable, "-c", RELEASE], capture_output=True, text=True, check=True, env={**env, "LD_PRELOAD": ""}
        ).stdout.split()[0]
        == "glibc"
    )  # and told apart
    assert freed - released > 200  # MiB: tcmalloc kept the freed blocks until asked
