"""`emnist-tuner mlflow RUN --uri URI`: a search run folder (written by hand: no training) logged to a
local MLflow folder store and read back with MLflow's own client; idempotence and resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli

pytest.importorskip("mlflow")

# trial id: (status, score, epochs, initial epoch, bracket, parent, hyperparameters, val curve)
TRIALS = {
    "0000": ("COMPLETED", 0.61, 1, 0, 1, None, {"activation": "relu", "conv_blocks": 1}, [0.61]),
    "0001": ("COMPLETED", 0.72, 1, 0, 1, None, {"activation": "elu", "conv_blocks": 2}, [0.72]),
    "0002": ("COMPLETED", 0.85, 3, 1, 1, "0001", {"activation": "elu", "conv_blocks": 2}, [0.80, 0.85]),
    "0003": ("FAILED", None, 3, 0, 0, None, {"activation": "relu", "conv_blocks": 4}, []),
    "0004": ("RUNNING", None, 3, 0, 0, None, {"activation": "relu", "conv_blocks": 3}, [0.45]),
}


def write_trial(run: Path, trial_id: str, status, score, epochs, initial, bracket, parent, values, curve) -> None:
    folder = run / "tuner" / f"trial_{trial_id}"
    folder.mkdir(parents=True, exist_ok=True)
    tuner = {"tuner/epochs": epochs, "tuner/initial_epoch": initial, "tuner/bracket": bracket, "tuner/round": 0}
    if parent:
        tuner["tuner/trial_id"] = parent
    state = {
        "trial_id": trial_id,
        "status": status,
        "score": score,
        "best_step": max(0, len(curve) - 1),
        "hyperparameters": {"values": {**values, **tuner}},
        "message": "ValueError: boom" if status == "FAILED" else None,
    }
    (folder / "trial.json").write_text(json.dumps(state))
    if status == "RUNNING":
        return
    started = 1000.0 + 60 * int(trial_id)
    log = [{"epoch": initial + i, "seconds": 2.0, "val_accuracy": v, "accuracy": v + 0.05} for i, v in enumerate(curve)]
    (run / "timings").mkdir(exist_ok=True)
    timing = {"trial_id": trial_id, "started": started, "ended": started + 10.0, "status": status}
    timing.update(epochs_trained=len(curve), parameters=1000 * (1 + int(trial_id)), epoch_log=log)
    (run / "timings" / f"{trial_id}.json").write_text(json.dumps(timing))


@pytest.fixture
def search_run(tmp_path) -> Path:
    run = tmp_path / "search"
    for trial_id, spec in TRIALS.items():
        write_trial(run, trial_id, *spec)
    config = {"kind": "search", "dataset": "synthetic", "profile": "quick", "max_epochs": 3, "factor": 3}
    (run / "config.json").write_text(json.dumps({**config, "iterations": 1, "seed_presets": []}))
    (run / "status.json").write_text(json.dumps({"state": "completed", "started": 999.5, "pid": 1}))
    final = {"trial_id": "0002", "val_accuracy": 0.85, "test_accuracy": 0.84, "epochs": 3, "model": "best_model.keras"}
    (run / "final.json").write_text(json.dumps(final))
    (run / "best_model.keras").write_bytes(b"not a real model")
    return run


@pytest.fixture
def store(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    return (tmp_path / "mlruns").as_uri()


def read_back(uri: str) -> tuple:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("emnist-tuner")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    parents = [r for r in runs if r.data.tags.get("emnist_tuner.role") == "search"]
    children = {
        r.data.tags["emnist_tuner.trial_id"]: r for r in runs if r.data.tags.get("emnist_tuner.role") == "trial"
    }
    return client, parents, children


def store_files(uri: str) -> dict:
    root = Path(uri.removeprefix("file://"))
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_search_run_is_a_parent_run_and_one_child_run_per_ended_trial(search_run, store, capsys):
    code, out, err = run_cli(capsys, "mlflow", str(search_run), "--uri", store)
    assert code == 0, err
    assert "4 trials added, 4 trials logged in all" in out and err == ""
    client, parents, children = read_back(store)
    assert len(parents) == 1 and sorted(children) == ["0000", "0001", "0002", "0003"]  # 0004 is still running
    parent = parents[0]
    assert parent.info.status == "FINISHED" and parent.data.params["dataset"] == "synthetic"
    assert parent.data.metrics["test_accuracy"] == 0.84 and parent.data.tags["emnist_tuner.winner"] == "0002"
    assert sorted(a.path for a in client.list_artifacts(parent.info.run_id)) == ["best_model.keras", "final.json"]
    code, board, _ = run_cli(capsys, "leaderboard", str(search_run), "--format", "json")
    rows = {row["trial_id"]: row for row in json.loads(board)}
    for trial_id, child in children.items():
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        status, score, epochs, initial, _, parent_trial, values, curve = TRIALS[trial_id]
        assert child.info.status == ("FINISHED" if status == "COMPLETED" else "FAILED")
        assert child.data.metrics.get("score") == rows[trial_id]["score"] == score
        assert {k: child.data.params[k] for k in values} == {k: str(v) for k, v in values.items()}
        assert child.data.params["tuner/epochs"] == str(epochs)
        assert child.data.params.get("tuner/continued_from") == parent_trial
        history = client.get_metric_history(child.info.run_id, "val_accuracy")
        assert [(m.step, m.value) for m in history] == [(initial + i + 1, v) for i, v in enumerate(curve)]
        assert child.info.start_time == 1000_000 + 60_000 * int(trial_id)
        assert child.info.end_time == child.info.start_time + 10_000
    assert children["0003"].data.tags["emnist_tuner.message"] == "boom"


def test_a_second_call_adds_nothing(search_run, store, capsys):
    assert run_cli(capsys, "mlflow", str(search_run), "--uri", store)[0] == 0
    before = store_files(store)
    code, out, err = run_cli(capsys, "mlflow", str(search_run), "--uri", store)
    assert code == 0 and "nothing new to add, 4 trials logged in all" in out, err
    assert store_files(store) == before


def test_trials_ended_since_are_added_and_a_half_logged_one_is_logged_again(search_run, store, capsys):
    from emnist_tuner import api

    assert api.log_to_mlflow(search_run, store)["trials_added"] == 4
    client, parents, children = read_back(store)
    # a kill while trial 0003's child run was written: the store holds it as RUNNING
    client.update_run(children["0003"].info.run_id, status="RUNNING")
    write_trial(search_run, "0004", "COMPLETED", 0.66, 3, 0, 0, None, {"activation": "relu", "conv_blocks": 3}, [0.5])
    logged = api.log_to_mlflow(search_run, store)
    assert logged["trials_added"] == 2 and logged["trials_logged"] == 5
    client, parents, children = read_back(store)
    assert len(parents) == 1 and sorted(children) == ["0000", "0001", "0002", "0003", "0004"]
    assert children["0003"].info.status == "FAILED" and children["0004"].data.metrics["score"] == 0.66


def test_a_run_of_another_kind_is_refused(search_run, store, capsys):
    config = json.loads((search_run / "config.json").read_text())
    (search_run / "config.json").write_text(json.dumps({**config, "kind": "train"}))
    code, out, err = run_cli(capsys, "mlflow", str(search_run), "--uri", store)
    assert code == 1 and err.count("\n") == 1 and "is a train run; `emnist-tuner mlflow` logs search runs only" in err
    assert not Path(store.removeprefix("file://")).exists()
