"""`--mlflow` of `search` / `resume` and the `mlflow` command: the missing extra and a bad URI are one
line (exit 2) before any work; a tiny real search logged as it goes."""

from __future__ import annotations

import json
import sys

import pytest
from helpers import run_cli

EXTRA = "pip install 'emnist-tuner[mlflow]'"
SEARCH = ["search", "--dataset", "synthetic", "--max-epochs", "2", "--factor", "2"]


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err


@pytest.fixture
def no_mlflow(monkeypatch):
    """MLflow not installed: importing it fails (``None`` in sys.modules makes ``import`` raise ImportError)."""
    for name in [n for n in sys.modules if n == "mlflow" or n.startswith("mlflow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mlflow", None)


@pytest.mark.parametrize("command", ["search", "resume", "mlflow"])
def test_without_the_extra_one_line_names_it(command, no_mlflow, tmp_path, capsys):
    run = tmp_path / "run"
    if command != "search":  # an existing search run folder (only its config and status are read)
        run.mkdir()
        (run / "config.json").write_text(json.dumps({"kind": "search", "dataset": "synthetic", "max_epochs": 2}))
        (run / "status.json").write_text(json.dumps({"state": "interrupted", "started": 1.0}))
    args = {
        "search": [*SEARCH, "--run-dir", str(run), "--mlflow", str(tmp_path / "mlruns")],
        "resume": ["resume", str(run), "--mlflow", str(tmp_path / "mlruns")],
        "mlflow": ["mlflow", str(run), "--uri", str(tmp_path / "mlruns")],
    }[command]
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and EXTRA in one_line(err), err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written: no run folder, no store


@pytest.mark.parametrize(
    "uri, message",
    [
        ("bogus://x", "unknown tracking store scheme 'bogus:'"),
        ("{tmp}/a-file", "is a file; give a folder for the MLflow store"),
        ("http://127.0.0.1:9", "the MLflow store cannot be used"),
    ],
)
def test_a_bad_uri_is_one_line_before_any_work(uri, message, tmp_path, capsys, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    (tmp_path / "a-file").write_text("x")
    code, out, err = run_cli(capsys, *SEARCH, "--run-dir", str(tmp_path / "run"), "--mlflow", uri.format(tmp=tmp_path))
    assert code == 2 and message in one_line(err) and "--mlflow" in err
    assert not (tmp_path / "run").exists()


def test_a_worker_does_not_take_mlflow(tmp_path, capsys):
    args = ["--role", "worker", "--oracle", "127.0.0.1:8000", "--worker-id", "w1", "--mlflow", str(tmp_path)]
    code, out, err = run_cli(capsys, *SEARCH, "--run-dir", str(tmp_path / "run"), *args)
    assert code == 2 and "--mlflow is for the chief" in one_line(err)


@pytest.mark.slow
def test_a_search_is_logged_as_it_goes(tmp_path, capsys, monkeypatch):
    """One child run per trial with the scores and hyperparameters of `leaderboard --format json`."""
    pytest.importorskip("mlflow")
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "tiny")
    store, run = (tmp_path / "mlruns").as_uri(), tmp_path / "run"
    code, out, err = run_cli(
        capsys, *SEARCH, "--run-dir", str(run), "--no-tensorboard", "--trials-per-worker", "10", "--mlflow", store
    )
    assert code == 0, err
    assert "MLflow: logged to" in out and "experiment 'tiny'" in out
    assert "mlflow" not in err.lower()  # MLflow's own log lines and warnings stay off the terminal
    client = MlflowClient(tracking_uri=store)
    runs = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    parent = next(r for r in runs if r.data.tags["emnist_tuner.role"] == "search")
    children = {r.data.tags["emnist_tuner.trial_id"]: r for r in runs if r is not parent}
    _, board, _ = run_cli(capsys, "leaderboard", str(run), "--format", "json", "--all")
    rows = {row["trial_id"]: row for row in json.loads(board)}
    assert sorted(children) == sorted(rows) and len(rows) == 5
    for trial_id, row in rows.items():
        child = children[trial_id]
        assert child.data.metrics["score"] == pytest.approx(row["score"])
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        values = row["hyperparameters"]
        assert {k: child.data.params[k] for k in values} == {
            k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()
        }
        steps = [m.step for m in client.get_metric_history(child.info.run_id, "val_accuracy")]
        assert (
            len(steps) == child.data.metrics["epochs_trained"]
            and steps[0] == int(child.data.params["tuner/initial_epoch"]) + 1
        )
    final = json.loads((run / "final.json").read_text())
    assert parent.info.status == "FINISHED" and parent.data.metrics["test_accuracy"] == final["test_accuracy"]
    assert "final.json" in {a.path for a in client.list_artifacts(parent.info.run_id)}
    # the same search again: the run is complete, and nothing is logged twice
    code, out, err = run_cli(capsys, "mlflow", str(run), "--uri", store)
    assert code == 0 and "nothing new to add, 5 trials logged in all" in out
