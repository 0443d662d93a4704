"""`emnist-tuner retrain`: the run's winning architecture, trained anew on another dataset (MNIST).

The winner is rebuilt with the new dataset's head (10 classes for MNIST) and fresh weights, trained
with early stopping on a validation split (best weights restored), evaluated once on the dataset's
held-out test split and saved as ``RUN/<dataset>/backbone.keras``: the backbone ``transfer`` reuses.
Beside it: ``retrain.json`` (RetrainConfig), ``history.json``, ``metrics.json``, ``test_predictions.npy``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ..errors import RunError
from .atomic import read_json, write_json_atomic
from .runfolder import RunFolder, RunLock
from .train import check_options
from .winner import read_winner

BACKBONE_FILE = "backbone.keras"


@dataclass
class RetrainConfig:
    dataset: str = "mnist"
    epochs: int = 15
    batch_size: int = 128
    subset: int | None = None
    seed: int = 0
    patience: int = 3  # epochs without a better validation accuracy; 0 = no early stopping
    val_fraction: float = 0.1
    data_dir: str | None = None
    kind: str = "retrain"

    def validate(self) -> None:
        from ..datasets import get_info

        get_info(self.dataset)
        check_options(self.seed, (("--epochs", self.epochs, 1), ("--batch-size", self.batch_size, 1),
                                  ("--subset", self.subset, 10), ("--patience", self.patience, 0)))


def retrain_folder(run_dir: Path | str, dataset: str) -> Path:
    return Path(run_dir) / dataset


def retrain_winner(config: RetrainConfig, run_dir: Path | str, console: Console) -> dict:
    """Train the winner of ``run_dir`` on ``config.dataset``; returns (and saves) its metrics."""
    config.validate()
    winner = read_winner(run_dir)
    run = RunFolder(run_dir)
    out = retrain_folder(run.path, config.dataset)
    if (out / "metrics.json").is_file():
        done = read_json(out / "metrics.json")
        raise RunError(f"{out} already holds the winner retrained on {config.dataset} (test accuracy "
                       f"{done.get('test_accuracy', 0):.4f}); to retrain it, delete or rename {out} first")
    with RunLock(run):
        out.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / "retrain.json", {**dataclasses.asdict(config), "winner": winner.label,
                                                 "searched_on": winner.dataset})
        return _retrain(config, winner, out, console)


def _retrain(config: RetrainConfig, winner, out: Path, console: Console) -> dict:
    import keras

    from .data import prepare_data
    from .devices import configure_devices
    from .final import evaluate_on_test, save_model_atomic
    from .train import epoch_printer, fit_model, save_fit_record

    data = prepare_data(config.dataset, config.subset, config.seed, config.val_fraction, config.data_dir)
    console.print(f"devices: {configure_devices().describe()}")
    keras.utils.set_random_seed(config.seed)
    model = winner.build(data.info.image_shape, data.info.num_classes, name=f"backbone_{config.dataset}")
    console.print(f"{winner.label} of {winner.run} (searched on {winner.dataset}) on {config.dataset}: "
                  f"{model.count_params():,} parameters; {len(data.y_train):,} train / {len(data.y_val):,} val / "
                  f"{len(data.y_test):,} test images; early stopping patience {config.patience or 'off'}")
    history, seconds = fit_model(model, data, config.epochs, config.batch_size, config.patience,
                                 epoch_printer(console, config.epochs))
    test_accuracy = evaluate_on_test(model, data, out)
    save_model_atomic(model, out / BACKBONE_FILE)
    metrics = {
        "dataset": config.dataset,
        "winner": winner.label,
        **save_fit_record(out, history, seconds, model, data, test_accuracy),
        "train_seconds": float(sum(seconds)),
        "backbone": f"{out.name}/{BACKBONE_FILE}",
    }
    write_json_atomic(out / "metrics.json", metrics)
    return metrics
