"""`emnist-tuner retrain`: the run's winning architecture, trained anew on another dataset (MNIST, or any
dataset ``--dataset`` names: a built-in one, an EMNIST split, a user's source).

The winner is rebuilt with the new dataset's head (10 classes for MNIST) and fresh weights, trained
under the final-training recipe for ``--epochs`` epochs on the training split (the validation split is
watched, and stops the training early only with a ``--patience``; with the recipe's weight average, what
is kept is the average where it stops), evaluated once on the dataset's held-out test split and saved
as ``RUN/<dataset>/backbone.keras`` (a user's source: its slug, ``data.naming.dataset_slug``; its
canonical name is what ``retrain.json`` and ``metrics.json`` record): the backbone ``transfer`` reuses.
Beside it: ``retrain.json`` (RetrainConfig), ``history.json``, ``metrics.json``, ``test_predictions.npy``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import RunError, plural
from ..io import read_json, write_json_atomic
from ..runfolder.layout import RunFolder, TrainingFolder
from ..runfolder.lifecycle import run_lifecycle
from ..runfolder.train_configs import RetrainConfig
from ..training.devices import policy_restored
from .winner import read_winner

HOW_TO_GO_ON = "The retrain was not finished and nothing was kept; run the same command again."  # after Ctrl-C


def retrain_winner(config: RetrainConfig, run_dir: Path | str, say=print) -> dict:
    """Train the winner of ``run_dir`` on ``config.dataset``; returns (and saves) its metrics."""
    from ..data.datasets import get_info

    config.validate()
    config.dataset = get_info(config.dataset).name  # the canonical name (a source spec: absolute path)
    winner = read_winner(run_dir)
    run = RunFolder(run_dir)
    out = run.retrain_folder(config.dataset)
    if out.metrics_file.is_file():
        done = read_json(out.metrics_file)
        raise RunError(
            f"{out.path} already holds the winner retrained on {config.dataset} (test accuracy "
            f"{done.get('test_accuracy', 0):.4f}); to retrain it, delete or rename {out.path} first"
        )
    with run_lifecycle(RunFolder(out.path), HOW_TO_GO_ON, lock_of=run, data=(config.dataset, config.data_dir)):
        config.winner, config.searched_on = winner.label, winner.dataset
        config.save(out.path)
        with policy_restored():
            return _retrain(config, winner, out, say)


def _retrain(config: RetrainConfig, winner, out: TrainingFolder, say) -> dict:
    import keras

    from ..data.naming import dataset_slug
    from ..data.prepare import prepare_data
    from ..training.devices import configure_devices
    from ..training.fit import train_and_record

    data = prepare_data(config.dataset, config.subset, config.seed, config.val_fraction, config.data_dir, say)
    say(f"devices: {configure_devices(config.precision).describe()}")
    keras.utils.set_random_seed(config.seed)
    name = "backbone_" + dataset_slug(config.dataset).replace("+", "_")  # Keras' names: no '+' (a union's)
    model = winner.build(data.info.image_shape, data.info.num_classes, name=name)
    say(
        f"{winner.label} of {winner.run} (searched on {winner.dataset}) on {config.dataset}: "
        f"{plural(model.count_params(), 'parameter')}; {len(data.y_train):,} train / {len(data.y_val):,} val / "
        f"{plural(len(data.y_test), 'test image')}; early stopping patience {config.patience or 'off'}"
    )
    say(f"recipe: {config.recipe.describe(config.epochs)}")
    record, seconds = train_and_record(
        model, data, out, out.backbone_file, config.epochs, config.batch_size, config.patience, say, config.recipe
    )
    metrics = {
        "dataset": config.dataset,
        "winner": winner.label,
        **record,
        "recipe": config.recipe.describe(config.epochs),
        "train_seconds": float(sum(seconds)),
        "backbone": f"{out.path.name}/{out.backbone_file.name}",
    }
    write_json_atomic(out.metrics_file, metrics)
    return metrics
