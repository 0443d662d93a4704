"""``hyperband.process``: what a worker process is started with."""

from __future__ import annotations

import pytest

from emnist_tuner.hyperband import allocator, process
from emnist_tuner.runfolder.layout import RunFolder


class _Started(Exception):
    pass


def test_a_worker_gets_this_environment_quiet_with_its_allocator_and_the_callers_changes_last(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", raising=False)
    monkeypatch.delenv("EMNIST_TUNER_ALLOCATOR", raising=False)
    monkeypatch.setenv("LD_PRELOAD", "libmine.so")
    monkeypatch.setattr(allocator, "find_tcmalloc", lambda: "libtcmalloc_minimal.so.4")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "12345")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    started = {}

    def popen(command, **kwargs):
        started.update(command=command, env=kwargs["env"])
        raise _Started

    monkeypatch.setattr(process.subprocess, "Popen", popen)
    with pytest.raises(_Started):
        process.run_worker_process(
            RunFolder(tmp_path),
            "search",
            8,
            display=None,
            env={"KERASTUNER_TUNER_ID": "w1", "MALLOC_TRIM_THRESHOLD_": None},
        )
    env, command = started["env"], started["command"]
    assert command[command.index("--mode") + 1] == "search" and command[command.index("--budget") + 1] == "8"
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "2" and env["PYTHONUNBUFFERED"] == "1"
    assert env["KERASTUNER_TUNER_ID"] == "w1" and "MALLOC_TRIM_THRESHOLD_" not in env  # the caller's last word
    assert env["LD_PRELOAD"] == "libmine.so libtcmalloc_minimal.so.4" and env["TF_ONEDNN_USE_SYSTEM_ALLOCATOR"] == "1"


def test_a_worker_hung_after_its_last_word_is_killed_and_said_so_not_passed_off_as_exit_0(tmp_path):
    import subprocess
    import sys

    hung = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    code, killed = process._wait(hung, tmp_path / "worker.log", timeout=0.2)
    assert killed and code == -9
    assert "hung 0 s after its last event; killed (-9)" in (tmp_path / "worker.log").read_text()
    quick = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert process._wait(quick, tmp_path / "worker.log") == (3, False)


def test_a_worker_that_cannot_start_leaves_no_open_pipe(tmp_path, monkeypatch):
    import os

    def no_fork(*args, **kwargs):
        raise OSError("fork failed")

    monkeypatch.setattr(process.subprocess, "Popen", no_fork)
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(OSError, match="fork failed"):
        process.run_worker_process(RunFolder(tmp_path), "search", 1, display=None)
    assert set(os.listdir("/proc/self/fd")) == before
