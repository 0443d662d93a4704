"""Helpers shared by the bench scripts: the data they run on, timing, tables.

Every bench script runs from the repository root (``.venv/bin/python bench/NAME.py``); this module
puts the repository on ``sys.path`` so ``emnist_tuner`` imports without an install.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def default_data_dir() -> str | None:
    """``EMNIST_TUNER_DATA``, else ``../shared/data`` beside the checkout, else None."""
    for candidate in (os.environ.get("EMNIST_TUNER_DATA"), REPO.parent / "shared" / "data"):
        if candidate and (Path(candidate) / "mnist").is_dir():
            return str(candidate)
    return None


def bench_data(tiny: bool, subset: int, data_dir: str | None = None, seed: int = 0):
    """A fixed, stratified slice of real MNIST (``subset`` training images) when the data folder is
    there and ``tiny`` is off; else the synthetic dataset. Returns (Dataset, description)."""
    from emnist_tuner.data.prepare import prepare_data

    data_dir = data_dir or default_data_dir()
    if tiny or data_dir is None:
        data = prepare_data("synthetic", None, seed)
        why = "--tiny" if tiny else "no real data folder found"
        return data, f"synthetic ({len(data.y_train):,} train / {len(data.y_val):,} val; {why})"
    data = prepare_data("mnist", subset, seed, data_dir=data_dir)
    return data, f"real MNIST, stratified slice: {len(data.y_train):,} train / {len(data.y_val):,} val"


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> str:
    """One line on where the figures come from."""
    import platform

    import keras

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"keras {keras.__version__}, backend {keras.backend.backend()}"
    )


def feed(data, batch_size: int, ours: bool) -> dict:
    """``model.fit``'s data arguments for ``data``'s training and validation splits: our pipeline
    (``training.batches``, as every fit of the package gets), or the arrays as a Keras user passes them."""
    from emnist_tuner.training.batches import fit_inputs

    if ours:
        return fit_inputs(data.x_train, data.y_train, batch_size, (data.x_val, data.y_val))
    return {"x": data.x_train, "y": data.y_train, "batch_size": batch_size, "validation_data": (data.x_val, data.y_val)}


def timed_fit(preset: str, data, fit_args: tuple, fit_kwargs: dict, build=None, epochs: int = 2) -> tuple:
    """A fresh ``preset`` model (or ``build()``'s) for ``data`` fitted for two epochs (or ``epochs``):
    (model, start time, [epoch 1 begin, epoch 1 end, epoch 2 begin, epoch 2 end, ...]) in perf_counter
    seconds. The second epoch is the steady one (the first includes tracing)."""
    import time

    import keras

    from emnist_tuner.searchspace import build_preset

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build() if build else build_preset(preset, data.info.image_shape, data.info.num_classes)
    marks: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            marks.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            marks.append(time.perf_counter())

    started = time.perf_counter()
    model.fit(*fit_args, epochs=epochs, verbose=0, callbacks=[Clock()], **fit_kwargs)
    return model, started, marks
