"""Fitting one model and recording it: progress events, early stopping, the one evaluation on the
held-out test split, and the files every training writes (``history.json``, its metrics)."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from ..io import save_npy_atomic, write_atomic, write_json_atomic
from ..runfolder.layout import TrainingFolder
from ..runfolder.recipe_config import FinalRecipe
from .batches import fit_inputs
from .devices import float32_model
from .recipe import fit_with_recipe, recipe_callbacks


class EventCallback(keras.callbacks.Callback):
    """Sends epoch and (throttled) batch progress to ``emit``. Deep-copying returns itself, so
    the one callback given to KerasTuner's ``search`` keeps its sink inside every trial."""

    def __init__(self, emit, batch_interval: float = 0.5):
        super().__init__()
        self.emit = emit
        self.batch_interval = batch_interval
        self._last = 0.0

    def __deepcopy__(self, memo):
        return self

    def on_train_begin(self, logs=None):
        self.emit({"event": "train_begin", "parameters": int(self.model.count_params())})

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.monotonic()
        steps = self.params.get("steps") if self.params else None
        self.emit({"event": "epoch_begin", "epoch": epoch, "steps": steps})

    def on_train_batch_end(self, batch, logs=None):
        now = time.monotonic()
        if now - self._last >= self.batch_interval:
            self._last = now
            self.emit({"event": "batch", "batch": batch + 1})

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        seconds = time.monotonic() - getattr(self, "_epoch_started", time.monotonic())
        self.emit({"event": "epoch_end", "epoch": epoch, "seconds": seconds, **logs})


def epoch_printer(say, epochs: int):
    """An ``on_epoch`` for ``fit_model`` that passes one line per epoch to ``say``."""

    def print_epoch(event: dict, seconds: float) -> None:
        metrics = "  ".join(
            f"{k} {event[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in event
        )
        say(f"epoch {event['epoch'] + 1}/{epochs}  {metrics}  ({seconds:.1f} s)")

    return print_epoch


def fit_model(
    model, data, epochs: int, batch_size: int, patience: int | None, on_epoch=None, recipe: FinalRecipe | None = None
):
    """Fit ``model`` on ``data``'s training split, validating on its validation split, under ``recipe``
    (``training.recipe``; None: as compiled). With a ``patience``, early stopping on validation accuracy
    (see ``recipe_callbacks``). ``on_epoch(event, seconds)`` is called after each epoch. Returns (history
    dict, epoch seconds)."""
    epoch_seconds: list[float] = []
    clock = {"start": time.perf_counter()}

    def on_event(event: dict) -> None:
        if event["event"] == "epoch_begin":
            clock["start"] = time.perf_counter()
        elif event["event"] == "epoch_end":
            epoch_seconds.append(time.perf_counter() - clock["start"])
            if on_epoch is not None:
                on_epoch(event, epoch_seconds[-1])

    if recipe is not None:
        history = fit_with_recipe(
            model,
            data.x_train,
            data.y_train,
            recipe,
            epochs,
            batch_size,
            [EventCallback(on_event)],
            (data.x_val, data.y_val),
            patience,
        )
    else:  # as compiled
        callbacks = [EventCallback(on_event), *recipe_callbacks(FinalRecipe(ema=False), patience)]
        history = model.fit(
            **fit_inputs(data.x_train, data.y_train, batch_size, (data.x_val, data.y_val)),
            epochs=epochs,
            callbacks=callbacks,
            verbose=0,
        )
    return history.history, epoch_seconds


def save_model_atomic(model: keras.Model, path: Path) -> None:
    """Save ``model`` (in float32, whatever the precision it trained in) as ``path``, atomically."""
    write_atomic(path, float32_model(model).save, suffix=".keras")


def evaluate_on_test(model: keras.Model, data, folder: TrainingFolder) -> float:
    """The one evaluation on the held-out test split: saves the predictions in ``folder`` (the report's
    confusion matrix reads them) and returns the accuracy."""
    predictions = np.argmax(model.predict(data.x_test, batch_size=1024, verbose=0), axis=1)
    folder.path.mkdir(parents=True, exist_ok=True)
    save_npy_atomic(folder.predictions_file, predictions.astype(np.int16))
    return float(np.mean(predictions == data.y_test))


def save_fit_record(
    folder: TrainingFolder, history: dict, epoch_seconds: list[float], model, data, test_accuracy: float
) -> dict:
    """Writes ``history.json`` (per-epoch metrics and seconds) into ``folder``; returns the metrics every
    training run reports (test and best validation accuracy, epochs, parameters, image counts)."""
    val = [float(v) for v in history.get("val_accuracy", [])]
    write_json_atomic(
        folder.history_file,
        {**{k: [float(v) for v in vs] for k, vs in history.items()}, "epoch_seconds": epoch_seconds},
    )
    return {
        "test_accuracy": test_accuracy,
        "best_val_accuracy": max(val) if val else None,
        "best_epoch": int(np.argmax(val)) + 1 if val else None,
        "epochs_trained": len(epoch_seconds),
        "parameters": int(model.count_params()),
        "train_images": int(len(data.y_train)),
        "test_images": int(len(data.y_test)),
    }


def train_and_record(
    model,
    data,
    folder: TrainingFolder,
    model_file: Path,
    epochs: int,
    batch_size: int,
    patience: int | None,
    say,
    recipe: FinalRecipe | None = None,
) -> tuple[dict, list[float]]:
    """Fit ``model`` under ``recipe`` (one line per epoch to ``say``), test it once, save it as
    ``model_file`` and the history in ``folder``; returns the metrics every training run reports and the
    epoch seconds."""
    history, seconds = fit_model(model, data, epochs, batch_size, patience, epoch_printer(say, epochs), recipe)
    test_accuracy = evaluate_on_test(model, data, folder)
    save_model_atomic(model, model_file)
    return save_fit_record(folder, history, seconds, model, data, test_accuracy), seconds
