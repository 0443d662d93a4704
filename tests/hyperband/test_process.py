"""``hyperband.process``: what a worker process is started with."""

from __future__ import annotations

import pytest

from emnist_tuner.hyperband import process
from emnist_tuner.runfolder.layout import RunFolder


class _Started(Exception):
    pass


def test_workers_get_the_memory_settings_under_the_users_own(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "12345")  # set by the user: kept
    started = {}

    def popen(command, **kwargs):
        started.update(command=command, env=kwargs["env"])
        raise _Started

    monkeypatch.setattr(process.subprocess, "Popen", popen)
    with pytest.raises(_Started):
        process.run_worker_process(RunFolder(tmp_path), "search", None, display=None,
                                   env={"KERASTUNER_TUNER_ID": "w1", "MALLOC_MMAP_THRESHOLD_": None})
    env = started["env"]
    assert process.WORKER_MODULE in started["command"]
    assert env["TF_ONEDNN_USE_SYSTEM_ALLOCATOR"] == "1" and env["MALLOC_TRIM_THRESHOLD_"] == "12345"
    assert env["KERASTUNER_TUNER_ID"] == "w1" and "MALLOC_MMAP_THRESHOLD_" not in env  # the caller's last word
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "2"

