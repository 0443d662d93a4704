"""A search run folder's trials written by hand as a search writes them, and an MLflow store read back."""

from __future__ import annotations

import json
from pathlib import Path

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


def read_back(uri: str) -> tuple:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("emnist-tuner")
    if experiment is None:
        return client, [], {}
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    parents = [r for r in runs if r.data.tags.get("emnist_tuner.role") == "search"]
    children = {
        r.data.tags["emnist_tuner.trial_id"]: r for r in runs if r.data.tags.get("emnist_tuner.role") == "trial"
    }
    return client, parents, children


def store_files(uri: str) -> dict:
    root = Path(uri.removeprefix("file://"))
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
