"""A small search run folder written by hand (synthetic dataset, no training): eight trials with
their epoch logs and parameter counts, one promotion, one failed trial and one left running by a
killed search (read as interrupted)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emnist_tuner.data import datasets

# trial id: (status, score, epochs, initial epoch, bracket, parent, parameters, activation, blocks, val curve)
TRIALS = {
    "0000": ("COMPLETED", 0.60, 1, 0, 1, None, 5_000, "relu", 1, [0.60]),
    "0001": ("COMPLETED", 0.72, 1, 0, 1, None, 20_000, "relu", 2, [0.72]),
    "0002": ("COMPLETED", 0.55, 1, 0, 1, None, 40_000, "elu", 2, [0.55]),
    "0003": ("COMPLETED", 0.58, 1, 0, 1, None, 2_000, "elu", 1, [0.58]),
    "0004": ("COMPLETED", 0.85, 3, 1, 1, "0001", 20_000, "relu", 2, [0.80, 0.85]),
    "0005": ("COMPLETED", 0.70, 3, 0, 0, None, 9_000, "relu", 1, [0.50, 0.66, 0.70]),
    "0006": ("COMPLETED", 0.52, 3, 0, 0, None, 80_000, "elu", 2, [0.40, 0.50, 0.52]),
    "0007": ("FAILED", None, 3, 0, 0, None, None, "elu", 4, []),
    "0008": ("RUNNING", None, 3, 0, 0, None, 7_000, "relu", 1, [0.45]),
}


def write_trial(
    run, trial_id, status, score, epochs, initial, bracket, parent, parameters, activation, blocks, curve, started
):
    folder = run / "tuner" / f"trial_{trial_id}"
    folder.mkdir(parents=True)
    values = {
        "tuner/epochs": epochs,
        "tuner/initial_epoch": initial,
        "tuner/bracket": bracket,
        "tuner/round": 0,
        "activation": activation,
        "conv_blocks": blocks,
    }
    if parent:
        values["tuner/trial_id"] = parent
    state = {
        "trial_id": trial_id,
        "status": status,
        "score": score,
        "best_step": max(0, len(curve) - 1),
        "hyperparameters": {"values": values},
        "message": "ValueError: boom" if status == "FAILED" else None,
    }
    (folder / "trial.json").write_text(json.dumps(state))
    if status == "RUNNING":
        return
    log = [{"epoch": initial + i, "seconds": 1.0, "val_accuracy": v, "accuracy": v} for i, v in enumerate(curve)]
    (run / "timings").mkdir(exist_ok=True)
    (run / "timings" / f"{trial_id}.json").write_text(
        json.dumps(
            {
                "trial_id": trial_id,
                "started": started,
                "ended": started + 10.0 * max(1, len(curve)),
                "status": status,
                "epochs_trained": len(curve),
                "parameters": parameters,
                "epoch_log": log,
            }
        )
    )


@pytest.fixture(scope="session")
def synthetic_labels():
    return datasets.load_dataset("synthetic", val_fraction=0.1, seed=0).y_test


@pytest.fixture
def search_run(tmp_path, synthetic_labels):
    run = tmp_path / "search"
    for i, (trial_id, spec) in enumerate(TRIALS.items()):
        write_trial(run, trial_id, *spec, started=1000.0 + 60 * i)
    (run / "config.json").write_text(
        json.dumps(
            {
                "dataset": "synthetic",
                "profile": "quick",
                "max_epochs": 3,
                "factor": 3,
                "iterations": 1,
                "subset": None,
                "seed": 0,
                "val_fraction": 0.1,
                "data_dir": None,
                "kind": "search",
                "seed_presets": [],
            }
        )
    )
    (run / "final.json").write_text(
        json.dumps(
            {"trial_id": "0004", "val_accuracy": 0.85, "test_accuracy": 0.84, "epochs": 3, "model": "best_model.keras"}
        )
    )
    predictions = synthetic_labels.copy()
    predictions[np.flatnonzero(synthetic_labels == 3)[:6]] = 8
    predictions[np.flatnonzero(synthetic_labels == 1)[:2]] = 7
    np.save(run / "test_predictions.npy", predictions.astype(np.int16))
    return run
