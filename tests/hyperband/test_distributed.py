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
from pathlib import Path

import pytest
from helpers import run_cli
from test_search_e2e import SEARCH, _env, assert_search_finished, wait_until

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
        started.append(
            subprocess.Popen(
                [sys.executable, "-m", "emnist_tuner.cli", "search", *SEARCH, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        )
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_chief_and_two_workers_finish_although_one_worker_is_killed_mid_trial(tmp_path, procs, capsys):
    run = tmp_path / "run"
    oracle = f"127.0.0.1:{free_port()}"
    chief = procs("chief", "--run-dir", str(run), "--role", "chief", "--oracle", oracle, "--worker-timeout", "8")
    a = procs("a", "--run-dir", str(run), "--role", "worker", "--worker-id", "a", "--oracle", oracle)
    b = procs("b", "--run-dir", str(run), "--role", "worker", "--worker-id", "b", "--oracle", oracle)

    def a_is_in_its_second_trial():
        said = (tmp_path / "a.out").read_text()
        return (
            said.count(" completed: ") >= 1
            and len(re.findall(r"^trial \d+: bracket", said, re.M)) >= 2
            or a.poll() is not None
        )

    wait_until(a_is_in_its_second_trial, timeout=240, what="worker a to finish a trial and start another")
    assert a.poll() is None, (tmp_path / "a.out").read_text()
    os.killpg(a.pid, signal.SIGKILL)  # the worker and its training process, mid-trial
    a.wait()
    assert b.wait(timeout=300) == 0, (tmp_path / "b.out").read_text()
    assert chief.wait(timeout=300) == 0, (tmp_path / "chief.out").read_text()

    assert_search_finished(run)
    said = " ".join((tmp_path / "chief.out").read_text().split())
    assert "worker-a silent for 8 s: trial" in said and "held-out test accuracy" in said
    by = {trial: t["tuner"] for trial, t in timings(run).items()}
    assert set(by.values()) == {"worker-a", "worker-b"}  # both workers trained trials
    oracle_state = json.loads((run / "tuner" / "oracle.json").read_text())
    assert sorted(oracle_state["end_order"]) == sorted(set(oracle_state["end_order"]))  # each ended once
    logs = {p.name: p.read_text() for p in (run / "logs").glob("*.log")}
    assert {"chief.log", "worker-a.log", "worker-b.log"} <= set(logs) and all(logs.values())
    # KerasTuner 1.4.8's debug print writes a bare hyperparameter value on a line of its own at each
    # conditional hyperparameter sent over gRPC: no such line in any log
    bare = [
        line
        for text in logs.values()
        for line in text.splitlines()
        if re.fullmatch(r"True|False|-?\d+(\.\d+)?(e-?\d+)?|[a-z_]+", line.strip())
    ]
    assert bare == []

    # the readers work on a distributed run folder as on any other
    code, out, _ = run_cli(capsys, "leaderboard", str(run), "--format", "json")
    assert code == 0 and {t["status"] for t in json.loads(out)} == {"completed"} and len(json.loads(out)) == 5
    code, out, _ = run_cli(capsys, "runs", str(tmp_path))
    assert code == 0 and "completed" in out and "5/5" in out


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_silent_worker_loses_its_trial_and_a_restarted_one_gets_its_own_back(tmp_path):
    """The chief's bookkeeping on the run's Hyperband oracle (KerasTuner's, subclassed), with a fake clock
    (no gRPC)."""
    import keras_tuner as kt

    from emnist_tuner.hyperband.distributed.chief import Refused, WatchedOracle
    from emnist_tuner.hyperband.oracle import RunOracle

    oracle = RunOracle(objective=kt.Objective("val_accuracy", "max"), max_epochs=2, factor=2, seed=1)
    oracle._set_project_dir(str(tmp_path), "tuner")
    hp = kt.HyperParameters()
    hp.Int("units", 1, 100)
    oracle.update_space(hp)
    now, events = [0.0], []
    watch = WatchedOracle(oracle, events.append, worker_timeout=10, clock=lambda: now[0])

    def create(tuner, session):
        watch.seen(tuner, session)
        again = watch.before_create(tuner, session)
        trial = oracle.create_trial(tuner)
        watch.after_create(tuner, session, trial.status, again)
        return trial

    first_a, first_b = create("worker-a", "a1"), create("worker-b", "b1")
    assert first_a.trial_id != first_b.trial_id
    restarted = create("worker-a", "a2")  # KerasTuner hands a worker id its ongoing trial back
    assert restarted.trial_id == first_a.trial_id and events[-1]["again"] is True
    with pytest.raises(Refused, match="started again elsewhere"):
        watch.seen("worker-a", "a1")  # the old process of worker-a

    now[0] = 6
    watch.seen("worker-a", "a2")
    now[0] = 11
    assert not watch.tick()  # worker-b silent for 11 s > 10: its trial goes back to the oracle
    assert events[-1] == {"event": "worker_lost", "worker": "worker-b", "trial_id": first_b.trial_id, "seconds": 10}
    assert "worker-b" not in oracle.ongoing_trials and oracle._retry_queue == [first_b.trial_id]
    with pytest.raises(Refused, match="was given to another worker"):
        watch.seen("worker-b", "b1")

    oracle.update_trial(first_a.trial_id, {"val_accuracy": 0.5})
    watch.check_owner("worker-a", first_a.trial_id)
    finished = oracle.trials[first_a.trial_id]
    finished.status = "COMPLETED"
    oracle.end_trial(finished)
    assert create("worker-a", "a2").trial_id == first_b.trial_id  # worker-a reruns worker-b's trial
    with pytest.raises(Refused, match="is now run by worker-a"):
        watch.check_owner("worker-b", first_b.trial_id)

    # the chief restarts: KerasTuner's reload queues the ongoing trial again; adopt gives it back to its worker
    restarted_oracle = RunOracle(objective=kt.Objective("val_accuracy", "max"), max_epochs=2, factor=2, seed=1)
    restarted_oracle._set_project_dir(str(tmp_path), "tuner")
    restarted_oracle.reload()
    assert restarted_oracle._retry_queue == [first_b.trial_id] and not restarted_oracle.ongoing_trials
    WatchedOracle(restarted_oracle, events.append, worker_timeout=10).adopt({"worker-a": first_b.trial_id})
    assert restarted_oracle.ongoing_trials["worker-a"].trial_id == first_b.trial_id
    assert restarted_oracle._retry_queue == [] and "worker-a" in restarted_oracle.tuner_ids


def test_a_worker_refuses_a_folder_that_is_not_its_chiefs(tmp_path, capsys):
    from emnist_tuner.hyperband.space import fingerprint_for
    from emnist_tuner.runfolder.configs import SearchConfig

    run = tmp_path / "run"
    config = SearchConfig.from_profile("synthetic", max_epochs=2, factor=2)
    config.space = fingerprint_for(config)
    config.save(run)
    worker = ("search", *SEARCH, "--run-dir", str(run), "--role", "worker", "--worker-id", "a")

    (run / "status.json").write_text(json.dumps({"state": "running", "role": "chief", "oracle": "0.0.0.0:9999"}))
    code, _, err = run_cli(capsys, *worker, "--oracle", "127.0.0.1:9998")
    assert code == 1 and "serves on port 9999 (0.0.0.0:9999), not 9998" in err
    factor_3 = ["3" if i and worker[i - 1] == "--factor" else arg for i, arg in enumerate(worker)]
    code, _, err = run_cli(capsys, *factor_3, "--oracle", "127.0.0.1:9999")
    assert code == 1 and "this worker's options differ: --factor: the run has 2, the command gives 3" in err
    (run / "status.json").write_text(json.dumps({"state": "running"}))  # a one-machine search
    code, _, err = run_cli(capsys, *worker, "--oracle", "127.0.0.1:9999")
    assert code == 1 and "is not run by a chief" in err and len(err.strip().splitlines()) == 1
    (run / "status.json").write_text(json.dumps({"state": "completed"}))
    code, out, _ = run_cli(capsys, *worker, "--oracle", "127.0.0.1:9999")
    assert code == 0 and "is over: nothing left for worker a" in " ".join(out.split())
