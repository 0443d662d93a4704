"""`emnist-tuner mlflow RUN --uri URI`: a search run folder (written by hand: no training) logged to a
local MLflow folder store and read back with MLflow's own client; idempotence and resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli
from mlflow_runs import TRIALS, read_back, store_files, write_trial

pytest.importorskip("mlflow")


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
