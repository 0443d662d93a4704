"""Search run folders written by hand for the serve tests (synthetic dataset, no training): trials with
their epoch logs and parameter counts, written one by one where a test watches a run grow."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ACTIVATIONS = ("relu", "elu", "selu")


def add_trial(run: Path, i: int, status: str = "COMPLETED", epochs: int | None = None) -> str:
    """Write trial ``i`` (id ``000i``) of ``run``: its trial.json and, unless it is running, its timings."""
    rng = np.random.default_rng(i)
    trial_id, epochs = f"{i:04d}", epochs or (1, 3, 9)[i % 3]
    curve = [round(float(v), 4) for v in np.clip(0.3 + np.cumsum(rng.uniform(0.02, 0.12, epochs)), 0, 0.99)]
    values = {
        "tuner/epochs": epochs,
        "tuner/initial_epoch": 0,
        "tuner/bracket": i % 3,
        "tuner/round": 0,
        "activation": ACTIVATIONS[i % 3],
        "conv_blocks": 1 + (i // 3) % 3,
        "learning_rate": round(float(10 ** rng.uniform(-4, -2)), 6),
    }
    folder = run / "tuner" / f"trial_{trial_id}"
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        "trial_id": trial_id,
        "status": status,
        "score": curve[-1] if status == "COMPLETED" else None,
        "best_step": epochs - 1,
        "hyperparameters": {"values": values},
    }
    if status != "RUNNING":
        (run / "timings").mkdir(exist_ok=True)
        timing = {
            "trial_id": trial_id,
            "started": 1000.0 + 30 * i,
            "ended": 1020.0 + 30 * i,
            "status": status,
            "epochs_trained": epochs,
            "parameters": 5_000 * (1 + i % 7) * values["conv_blocks"],
            "epoch_log": [{"epoch": e, "seconds": 2.0, "val_accuracy": v, "accuracy": v} for e, v in enumerate(curve)],
        }
        (run / "timings" / f"{trial_id}.json").write_text(json.dumps(timing))
    (folder / "trial.json").write_text(json.dumps(state))  # last: a reader sees the trial once it is whole
    return trial_id


def write_search(run: Path, trials: int, final: str | None = "0002", scheduled: int | None = None) -> Path:
    """A search run folder of ``trials`` completed trials (``final``: the winner's trial id, with test
    predictions of the synthetic test split; None: no final model yet)."""
    from emnist_tuner.data import datasets

    run.mkdir(parents=True, exist_ok=True)
    config = {
        "dataset": "synthetic",
        "profile": "quick",
        "max_epochs": 9,
        "factor": 3,
        "iterations": 1,
        "subset": None,
        "seed": 0,
        "val_fraction": 0.1,
        "data_dir": None,
        "kind": "search",
        "seed_presets": [],
        "scheduled_trials": scheduled or trials,
    }
    (run / "config.json").write_text(json.dumps(config))
    for i in range(trials):
        add_trial(run, i)
    if final is not None:
        labels = datasets.load_dataset("synthetic", val_fraction=0.1, seed=0).y_test
        predictions = labels.copy()
        predictions[np.flatnonzero(labels == 3)[:6]] = 8
        np.save(run / "test_predictions.npy", predictions.astype(np.int16))
        (run / "final.json").write_text(
            json.dumps({"trial_id": final, "val_accuracy": 0.9, "test_accuracy": 0.97, "epochs": 9, "test_images": 200})
        )
        (run / "status.json").write_text(json.dumps({"state": "completed", "message": ""}))
    return run


def write_runs(root: Path) -> Path:
    """``root`` holding two searches (``big``: 12 trials, finished; ``small``: 5, no final model yet) and a
    damaged run (``broken``: its config.json is not JSON)."""
    write_search(root / "big", 12)
    write_search(root / "small", 5, final=None, scheduled=9)
    (root / "broken").mkdir(parents=True)
    (root / "broken" / "config.json").write_text("{not json")
    (root / "not-a-run").mkdir()
    return root


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: its bytes and modification time (ns), by relative path."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
