"""A distributed search on loopback: a chief and two workers (real `emnist-tuner search --role ...`
processes) on the synthetic dataset; one worker is killed mid-trial and the other finishes its trial.

Schedule: max_epochs 2, factor 2 -> 5 trials.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import run_cli
from test_search_e2e import SEARCH, _env, assert_search_finished, trial_states, wait_until

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def timings(run: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (run / "timings").glob("*.json")}


@pytest.fixture
def procs(tmp_path):
    started = []

    def start(name, *args):
        env = {**_env(), "EMNIST_TUNER_HEARTBEAT": "1"}
        out = open(tmp_path / f"{name}.out", "w")
        started.append(subprocess.Popen([sys.executable, "-m", "emnist_tuner.cli", "search", *SEARCH, *args],
                                        stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True))
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_chief_and_two_workers_finish_although_one_worker_is_killed_mid_trial(tmp_path, procs, capsys):
    run = tmp_path / "run"
    oracle = f"127.0.0.1:{free_port()}"
    chief = procs("chief", "--run-dir", str(run), "--role", "chief", "--oracle", oracle, "--worker-timeout", "4")
    a = procs("a", "--run-dir", str(run), "--role", "worker", "--worker-id", "a", "--oracle", oracle)
    b = procs("b", "--run-dir", str(run), "--role", "worker", "--worker-id", "b", "--oracle", oracle)

    def a_is_in_its_second_trial():
        said = (tmp_path / "a.out").read_text()
        return (said.count(" completed: ") >= 1 and len(re.findall(r"^trial \d+: bracket", said, re.M)) >= 2
                or a.poll() is not None)

    wait_until(a_is_in_its_second_trial, timeout=240, what="worker a to finish a trial and start another")
    assert a.poll() is None, (tmp_path / "a.out").read_text()
    os.killpg(a.pid, signal.SIGKILL)  # the worker and its training process, mid-trial
    a.wait()
    assert b.wait(timeout=300) == 0, (tmp_path / "b.out").read_text()
    assert chief.wait(timeout=300) == 0, (tmp_path / "chief.out").read_text()

    assert_search_finished(run)
    said = " ".join((tmp_path / "chief.out").read_text().split())
    assert "worker-a silent for 4 s: trial" in said and "held-out test accuracy" in said
    by = {trial: t["tuner"] for trial, t in timings(run).items()}
    assert set(by.values()) == {"worker-a", "worker-b"}  # both workers trained trials
    oracle_state = json.loads((run / "tuner" / "oracle.json").read_text())
    assert sorted(oracle_state["end_order"]) == sorted(set(oracle_state["end_order"]))  # each ended once
    logs = "".join(p.read_text() for p in (run / "logs").glob("*.log"))
    assert "\nTrue\n" not in logs and "\n1\n" not in logs  # KerasTuner's debug print is silenced

    # the readers work on a distributed run folder as on any other
    code, out, _ = run_cli(capsys, "leaderboard", str(run), "--format", "json")
    assert code == 0 and {t["status"] for t in json.loads(out)} == {"COMPLETED"} and len(json.loads(out)) == 5
    code, out, _ = run_cli(capsys, "runs", str(tmp_path))
    assert code == 0 and "completed" in out and "5/5" in out
