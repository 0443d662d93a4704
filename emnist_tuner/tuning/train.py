"""`emnist-tuner train`: train one named preset, evaluate it once on the held-out test split.

The run folder gets ``config.json`` (TrainConfig), ``history.json`` (per-epoch metrics and
seconds), ``metrics.json`` (``test_accuracy``, parameters, epochs) and ``model.keras``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ..errors import ConfigError, RunError
from .atomic import write_json_atomic
from .runfolder import RunFolder, RunLock

DEFAULT_PATIENCE = 5


def check_options(seed: int | None, minimums) -> None:
    """ConfigError for a seed outside 0..2**32-1 or an option below its minimum: ``minimums`` holds
    (option name, value or None, lowest allowed value)."""
    if seed is not None and not 0 <= seed < 2**32:
        raise ConfigError(f"--seed must be between 0 and 2**32 - 1, got {seed}")
    for name, value, low in minimums:
        if value is not None and value < low:
            raise ConfigError(f"{name} must be at least {low}, got {value}")


@dataclass
class TrainConfig:
    preset: str
    dataset: str
    epochs: int = 15
    batch_size: int = 128
    subset: int | None = None
    seed: int = 0
    patience: int | None = None  # None: the preset's own, else DEFAULT_PATIENCE; 0: no early stopping
    val_fraction: float = 0.1
    data_dir: str | None = None
    kind: str = "train"

    def validate(self) -> None:
        from ..datasets import get_info
        from ..searchspace import get_preset

        get_preset(self.preset)
        get_info(self.dataset)
        check_options(self.seed, (("--epochs", self.epochs, 1), ("--batch-size", self.batch_size, 1),
                                  ("--subset", self.subset, 10), ("--patience", self.patience, 0)))

    def effective_patience(self) -> int:
        from ..searchspace import get_preset

        if self.patience is not None:
            return self.patience
        return get_preset(self.preset).early_stopping_patience or DEFAULT_PATIENCE


def _saved_kind(run: RunFolder) -> str | None:
    from .atomic import read_json

    try:
        return read_json(run.path / "config.json").get("kind", "search")
    except (OSError, ValueError, AttributeError):
        return None


def train_preset(config: TrainConfig, run_dir: Path | str, console: Console) -> dict:
    config.validate()
    run = RunFolder(run_dir)
    if run.path.exists() and not run.path.is_dir():
        raise RunError(f"--run-dir {run.path} is a file; choose a folder")
    if (run.path / "metrics.json").exists():
        raise RunError(f"{run.path} already holds a finished training run; choose another --run-dir")
    if run.exists() and _saved_kind(run) != "train":
        raise RunError(f"{run.path} holds a search run; choose another --run-dir for training")
    if run.path.exists() and any(run.path.iterdir()) and not run.exists():
        raise RunError(f"{run.path} exists and is not an emnist-tuner run folder; choose an empty or new --run-dir")
    with RunLock(run):
        write_json_atomic(run.path / "config.json", dataclasses.asdict(config))
        run.write_status("running")
        try:
            metrics = _train(config, run, console)
        except KeyboardInterrupt:
            run.write_status("interrupted", "stopped by the user")
            raise
        run.write_status("completed")
        return metrics


def _train(config: TrainConfig, run: RunFolder, console: Console) -> dict:
    import keras
    import numpy as np

    from ..searchspace import build_preset
    from .data import prepare_data
    from .devices import configure_devices
    from .final import evaluate_on_test, save_model_atomic

    data = prepare_data(config.dataset, config.subset, config.seed, config.val_fraction, config.data_dir)
    setup = configure_devices()
    console.print(f"devices: {setup.describe()}")
    keras.utils.set_random_seed(config.seed)
    model = build_preset(config.preset, input_shape=data.info.image_shape, num_classes=data.info.num_classes)
    patience = config.effective_patience()
    console.print(f"preset {config.preset} on {config.dataset}: {model.count_params():,} parameters; "
                  f"{len(data.y_train):,} train / {len(data.y_val):,} val / {len(data.y_test):,} test images; "
                  f"early stopping patience {patience or 'off'}")

    history, epoch_seconds = fit_model(model, data, config.epochs, config.batch_size, patience,
                                       epoch_printer(console, config.epochs))
    test_accuracy = evaluate_on_test(model, data, run.path)
    save_model_atomic(model, run.path / "model.keras")
    metrics = {
        "preset": config.preset,
        "dataset": config.dataset,
        **save_fit_record(run.path, history, epoch_seconds, model, data, test_accuracy),
        "seconds_per_epoch": float(np.median(epoch_seconds)) if epoch_seconds else None,
    }
    write_json_atomic(run.path / "metrics.json", metrics)
    console.print(f"test accuracy {test_accuracy:.4f} on {len(data.y_test):,} held-out images "
                  f"({metrics['parameters']:,} parameters)")
    return metrics


def save_fit_record(folder: Path, history: dict, epoch_seconds: list[float], model, data,
                    test_accuracy: float) -> dict:
    """Writes ``history.json`` (per-epoch metrics and seconds) into ``folder``; returns the metrics every
    training run reports (test and best validation accuracy, epochs, parameters, image counts)."""
    import numpy as np

    val = [float(v) for v in history.get("val_accuracy", [])]
    write_json_atomic(folder / "history.json", {**{k: [float(v) for v in vs] for k, vs in history.items()},
                                                "epoch_seconds": epoch_seconds})
    return {
        "test_accuracy": test_accuracy,
        "best_val_accuracy": max(val) if val else None,
        "best_epoch": int(np.argmax(val)) + 1 if val else None,
        "epochs_trained": len(epoch_seconds),
        "parameters": int(model.count_params()),
        "train_images": int(len(data.y_train)),
        "test_images": int(len(data.y_test)),
    }


def epoch_printer(console: Console, epochs: int):
    """An ``on_epoch`` for ``fit_model`` that prints one line per epoch."""

    def print_epoch(event: dict, seconds: float) -> None:
        metrics = "  ".join(f"{k} {event[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy")
                            if k in event)
        console.print(f"epoch {event['epoch'] + 1}/{epochs}  {metrics}  ({seconds:.1f} s)", highlight=False)

    return print_epoch


def fit_model(model, data, epochs: int, batch_size: int, patience: int | None, on_epoch=None):
    """Fit ``model`` on ``data``'s training split, validating on its validation split. With a
    ``patience``, early stopping on validation accuracy keeps the best epoch's weights.
    ``on_epoch(event, seconds)`` is called after each epoch. Returns (history dict, epoch seconds)."""
    import keras

    from .tuner import EventCallback

    epoch_seconds: list[float] = []
    clock = {"start": time.perf_counter()}

    def on_event(event: dict) -> None:
        if event["event"] == "epoch_begin":
            clock["start"] = time.perf_counter()
        elif event["event"] == "epoch_end":
            epoch_seconds.append(time.perf_counter() - clock["start"])
            if on_epoch is not None:
                on_epoch(event, epoch_seconds[-1])

    callbacks = [EventCallback(on_event)]
    if patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience,
                                                       restore_best_weights=True))
    history = model.fit(data.x_train, data.y_train, validation_data=(data.x_val, data.y_val),
                        epochs=epochs, batch_size=batch_size, callbacks=callbacks, verbose=0)
    return history.history, epoch_seconds
