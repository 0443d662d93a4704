"""`emnist-tuner train`: train one named preset, evaluate it once on the held-out test split.

The run folder gets ``config.json`` (TrainConfig), ``history.json`` (per-epoch metrics and
seconds), ``metrics.json`` (``test_accuracy``, parameters, epochs) and ``model.keras``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import RunError, plural
from ..io import write_json_atomic
from ..runfolder.layout import RunFolder
from ..runfolder.lifecycle import check_new_or_same_kind, check_run_dir_writable, run_lifecycle
from ..runfolder.train_configs import TrainConfig
from .devices import policy_restored

HOW_TO_GO_ON = "A training run is not resumable: run it again with a new --run-dir"  # after Ctrl-C


def train_preset(config: TrainConfig, run_dir: Path | str, say=print) -> dict:
    """Train ``config.preset``; ``say`` receives each progress line. Returns (and saves) its metrics."""
    config.validate()
    check_run_dir_writable(run_dir)
    run = RunFolder(run_dir)
    check_new_or_same_kind(run, "train")
    if run.metrics_file.exists():
        raise RunError(f"{run.path} already holds a finished training run; choose another --run-dir")
    with run_lifecycle(run, HOW_TO_GO_ON, data=(config.dataset, config.data_dir)):
        config.save(run.path)
        with policy_restored():
            return _train(config, run, say)


def _train(config: TrainConfig, run: RunFolder, say) -> dict:
    import keras
    import numpy as np

    from ..data.prepare import prepare_data
    from ..searchspace import build_preset
    from .devices import configure_devices
    from .fit import train_and_record

    data = prepare_data(config.dataset, config.subset, config.seed, config.val_fraction, config.data_dir, say)
    say(f"devices: {configure_devices(config.precision).describe()}")
    keras.utils.set_random_seed(config.seed)
    model = build_preset(config.preset, input_shape=data.info.image_shape, num_classes=data.info.num_classes)
    patience = config.effective_patience()
    say(
        f"preset {config.preset} on {config.dataset}: {plural(model.count_params(), 'parameter')}; "
        f"{len(data.y_train):,} train / {len(data.y_val):,} val / {plural(len(data.y_test), 'test image')}; "
        f"early stopping patience {patience or 'off'}"
    )
    say(f"recipe: {config.recipe.describe(config.epochs)}")
    record, epoch_seconds = train_and_record(
        model, data, run, run.model_file, config.epochs, config.batch_size, patience, say, config.recipe
    )
    metrics = {
        "preset": config.preset,
        "dataset": config.dataset,
        **record,
        "recipe": config.recipe.describe(config.epochs),
        "seconds_per_epoch": float(np.median(epoch_seconds)) if epoch_seconds else None,
    }
    write_json_atomic(run.metrics_file, metrics)
    say(
        f"test accuracy {record['test_accuracy']:.4f} on {plural(len(data.y_test), 'held-out image')} "
        f"({plural(metrics['parameters'], 'parameter')})"
    )
    return metrics
