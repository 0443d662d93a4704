"""`emnist-tuner transfer`: the winner as a pretrained backbone for Binary AlphaDigits, against the
same architecture trained from scratch, on the same stratified K folds.

Binary AlphaDigits has 1,404 images and no test split, so each fold in turn is held out: both models
train on the other K-1 folds for the same number of epochs (no early stopping: nothing is chosen on
the held-out fold) and are evaluated once on it. Each finished fold is saved at once
(``RUN/transfer/folds/fold-N.json``), so an interrupted run continues where it stopped; the summary
(``results.json``) gives mean ± std of both, the per-fold differences and a 95 % t-interval of the
mean difference. See ``transfer_model`` for the two models and ``transfer_data`` for the images.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError, RunError
from ..io import read_json, write_json_atomic
from ..runfolder.configs import TransferConfig
from ..runfolder.layout import RunFolder, TransferFolder
from ..runfolder.lifecycle import run_lifecycle
from .stats import mean_std, paired_interval
from .winner import read_winner

HOW_TO_GO_ON = "Finished folds are saved; run the same command again to continue."  # after Ctrl-C
NUM_CLASSES = 36
DIGITS = 10  # classes 0-9 are the digits, 10-35 the letters A-Z


def _backbone_file(run: RunFolder, config: TransferConfig, winner) -> Path:
    if config.backbone == "mnist":
        path = run.retrain_folder("mnist").backbone_file
        if not path.is_file():
            raise RunError(f"{path} is missing: train the MNIST backbone first with: emnist-tuner retrain {run.path}")
        return path
    if not winner.dataset.startswith("emnist"):
        raise ConfigError(f"{run.path} was searched on {winner.dataset}, so its model is not an EMNIST backbone; "
                          "use --backbone mnist")
    if not winner.model_file.is_file():
        raise RunError(f"{winner.model_file} is missing: the run's final model was not saved")
    return winner.model_file


def run_transfer(config: TransferConfig, run_dir: Path | str, say=print) -> dict:
    """Run (or continue) the K-fold comparison; returns the summary saved in ``results.json``."""
    config.validate()
    winner = read_winner(run_dir)
    run = RunFolder(run_dir)
    backbone_path = _backbone_file(run, config, winner)
    canvas = _canvas_fitting(config.size, backbone_path)
    out = run.transfer_folder(config.backbone)
    config.backbone_file = str(backbone_path)
    _check_saved_config(out, config)
    with run_lifecycle(RunFolder(out.path), HOW_TO_GO_ON, lock_of=run):
        config.save(out.path)
        return _run_folds(config, winner, backbone_path, canvas, out, say)


def _canvas_fitting(size: int, backbone_path: Path) -> tuple[int, int]:
    """The backbone's input (height, width), checked before anything is written: glyphs ``size``
    pixels tall must fit on it."""
    import keras

    from .transfer_data import check_size

    canvas = tuple(keras.models.load_model(backbone_path, compile=False).input_shape[1:3])
    check_size(size, canvas)
    return canvas


def _check_saved_config(out: TransferFolder, config: TransferConfig) -> None:
    """A transfer folder continues only with its own settings (RunError, nothing written)."""
    if not out.config_file.is_file():
        return
    changed = TransferConfig.load(out.path).differences(config)
    if changed:
        raise RunError(f"{out.path} holds a transfer run with other settings ({'; '.join(changed)}); rerun with "
                       f"its settings to continue it, or delete or rename {out.path} to start another")


def _run_folds(config: TransferConfig, winner, backbone_path: Path, canvas: tuple[int, int], out: TransferFolder,
               say) -> dict:
    from .transfer_data import fit_to_canvas, load_alphadigits, stratified_folds

    images, labels = load_alphadigits(config.data_dir)
    x = fit_to_canvas(images, canvas, config.size)
    folds = stratified_folds(labels, config.folds, config.seed)
    say(f"Binary AlphaDigits: {len(labels):,} images as {config.size}-pixel glyphs on a "
                  f"{canvas[0]}x{canvas[1]} canvas; {config.folds} stratified folds; backbone {backbone_path}; "
                  f"{winner.label} of {winner.run}")
    for fold, test in enumerate(folds):
        path = out.fold_file(fold)
        if path.is_file():
            done = read_json(path)
            say(f"fold {fold + 1}/{config.folds}: done before — transfer {done['transfer_accuracy']:.4f}, "
                f"scratch {done['scratch_accuracy']:.4f}")
            continue
        train = np.setdiff1d(np.arange(len(labels)), test)
        result = {"fold": fold + 1, "test_images": int(len(test)), "train_images": int(len(train)),
                  "test_indices_sha256": hashlib.sha256(test.tobytes()).hexdigest()}
        for name in ("transfer", "scratch"):
            started = time.perf_counter()
            predicted, extra = _train_one(name, config, fold, backbone_path, winner, canvas,
                                          x[train], labels[train], x[test])
            result[f"{name}_seconds"] = time.perf_counter() - started
            right, digit = predicted == labels[test], labels[test] < DIGITS
            result[f"{name}_accuracy"] = float(right.mean())
            result[f"{name}_digits_accuracy"] = float(right[digit].mean())
            result[f"{name}_letters_accuracy"] = float(right[~digit].mean())
            result.update(extra)
        write_json_atomic(path, result)
        say(f"fold {fold + 1}/{config.folds}: transfer {result['transfer_accuracy']:.4f} "
            f"({result['transfer_seconds']:.0f} s) · scratch {result['scratch_accuracy']:.4f} "
            f"({result['scratch_seconds']:.0f} s)")
    results = summarize([read_json(out.fold_file(f)) for f in range(config.folds)], config, winner)
    write_json_atomic(out.results_file, results)
    return results


def _train_one(name, config: TransferConfig, fold: int, backbone_path: Path, winner, canvas,
               x_train, y_train, x_test) -> tuple[np.ndarray, dict]:
    """Train ``name`` (transfer or scratch) on the fold's training images; its predicted classes."""
    import keras

    from .transfer_model import build_transfer_model, compile_for, freeze_backbone, unfreeze_top

    keras.backend.clear_session()
    keras.utils.set_random_seed(config.seed + fold)  # the same head initialization and batches for both
    steps = -(-len(y_train) // config.batch_size)
    fit = dict(batch_size=config.batch_size, verbose=0)
    extra = {}
    if name == "transfer":
        model = build_transfer_model(keras.models.load_model(backbone_path, compile=False), NUM_CLASSES, True)
        head_epochs = config.epochs // 2
        freeze_backbone(model)
        compile_for(model, keras.optimizers.schedules.CosineDecay(config.learning_rate, head_epochs * steps))
        model.fit(x_train, y_train, epochs=head_epochs, **fit)
        extra["fine_tuned_layers"] = unfreeze_top(model)
        rest = config.epochs - head_epochs
        compile_for(model, keras.optimizers.schedules.CosineDecay(config.learning_rate / 10, rest * steps))
        model.fit(x_train, y_train, epochs=rest, **fit)
    else:
        fresh = winner.build(canvas, NUM_CLASSES, name="scratch_backbone", augment=False)
        model = build_transfer_model(fresh, NUM_CLASSES, False)
        compile_for(model, keras.optimizers.schedules.CosineDecay(config.learning_rate, config.epochs * steps))
        model.fit(x_train, y_train, epochs=config.epochs, **fit)
    return np.argmax(model.predict(x_test, batch_size=512, verbose=0), axis=1), extra


def summarize(folds: list[dict], config: TransferConfig, winner) -> dict:
    """Mean ± std (sample std over folds) of both, the per-fold differences and a 95 % t-interval."""
    def stat(values):
        entry = mean_std(values)
        return {"mean": entry["mean"], "std": entry["std"], "folds": entry["values"]}

    transfer = stat([f["transfer_accuracy"] for f in folds])
    scratch = stat([f["scratch_accuracy"] for f in folds])
    difference = stat(np.subtract(transfer["folds"], scratch["folds"]))
    low, high, _ = paired_interval(difference["folds"])
    difference["ci95"] = [low, high] if low is not None else [difference["mean"], difference["mean"]]

    def extra(name):
        entry = {"seconds": float(sum(f[f"{name}_seconds"] for f in folds))}
        for group in ("digits", "letters"):
            values = [f.get(f"{name}_{group}_accuracy") for f in folds]
            if None not in values:
                entry[group] = float(np.mean(values))
        return entry

    return {
        "transfer": {**transfer, **extra("transfer")},
        "scratch": {**scratch, **extra("scratch")},
        "difference": difference,
        "folds": config.folds, "epochs": config.epochs, "size": config.size, "backbone": config.backbone,
        "winner": winner.label,
        "fine_tuned_layers": folds[0].get("fine_tuned_layers", []),
    }
