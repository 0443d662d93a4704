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

import dataclasses
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console

from ..errors import ConfigError, RunError
from .atomic import read_json, write_json_atomic
from .retrain import BACKBONE_FILE, retrain_folder
from .runfolder import RunFolder, RunLock
from .train import check_options
from .winner import read_winner

BACKBONES = ("mnist", "emnist")
NUM_CLASSES = 36
DIGITS = 10  # classes 0-9 are the digits, 10-35 the letters A-Z


@dataclass
class TransferConfig:
    backbone: str = "mnist"  # mnist: RUN/mnist/backbone.keras (emnist-tuner retrain); emnist: the run's own model
    folds: int = 5
    epochs: int = 40  # per model; transfer: the first half head only, the second half fine-tuning
    size: int = 20  # glyph height on the backbone's canvas (see transfer_data)
    seed: int = 0
    batch_size: int = 32
    learning_rate: float = 1e-3  # cosine-annealed; fine-tuning starts at a tenth of it
    data_dir: str | None = None
    kind: str = "transfer"

    def validate(self) -> None:
        if self.backbone not in BACKBONES:
            raise ConfigError(f"--backbone must be one of {', '.join(BACKBONES)}, got '{self.backbone}'")
        check_options(self.seed, (("--folds", self.folds, 2), ("--epochs", self.epochs, 2),
                                  ("--batch-size", self.batch_size, 1)))

    def identity(self) -> dict:
        """What must match to continue a saved transfer (where the data lives may change)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "data_dir"}


def transfer_folder(run_dir: Path | str, backbone: str) -> Path:
    return Path(run_dir) / ("transfer" if backbone == "mnist" else f"transfer-{backbone}")


def _backbone_file(run_dir: Path, config: TransferConfig, winner) -> Path:
    if config.backbone == "mnist":
        path = retrain_folder(run_dir, "mnist") / BACKBONE_FILE
        if not path.is_file():
            raise RunError(f"{path} is missing: train the MNIST backbone first with: emnist-tuner retrain {run_dir}")
        return path
    if not winner.dataset.startswith("emnist"):
        raise ConfigError(f"{run_dir} was searched on {winner.dataset}, so its model is not an EMNIST backbone; "
                          "use --backbone mnist")
    if not winner.model_file.is_file():
        raise RunError(f"{winner.model_file} is missing: the run's final model was not saved")
    return winner.model_file


def run_transfer(config: TransferConfig, run_dir: Path | str, console: Console) -> dict:
    """Run (or continue) the K-fold comparison; returns the summary saved in ``results.json``."""
    config.validate()
    winner = read_winner(run_dir)
    run = RunFolder(run_dir)
    backbone_path = _backbone_file(run.path, config, winner)
    canvas = _canvas_fitting(config.size, backbone_path)
    out = transfer_folder(run.path, config.backbone)
    with RunLock(run):
        _check_or_write_config(out, config, backbone_path)
        return _run_folds(config, winner, backbone_path, canvas, out, console)


def _canvas_fitting(size: int, backbone_path: Path) -> tuple[int, int]:
    """The backbone's input (height, width), checked before anything is written: glyphs ``size``
    pixels tall must fit on it."""
    import keras

    from .transfer_data import check_size

    canvas = tuple(keras.models.load_model(backbone_path, compile=False).input_shape[1:3])
    check_size(size, canvas)
    return canvas


def _check_or_write_config(out: Path, config: TransferConfig, backbone_path: Path) -> None:
    saved_file = out / "transfer.json"
    if saved_file.is_file():
        saved = read_json(saved_file)
        changed = [f"{k} {saved.get(k)} -> {v}" for k, v in config.identity().items() if saved.get(k) != v]
        if changed:
            raise RunError(f"{out} holds a transfer run with other settings ({', '.join(changed)}); rerun with "
                           f"its settings to continue it, or delete or rename {out} to start another")
        return
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(saved_file, {**dataclasses.asdict(config), "backbone_file": str(backbone_path)})


def _fold_file(out: Path, fold: int) -> Path:
    return out / "folds" / f"fold-{fold + 1}.json"


def _run_folds(config: TransferConfig, winner, backbone_path: Path, canvas: tuple[int, int], out: Path,
               console: Console) -> dict:
    from .transfer_data import fit_to_canvas, load_alphadigits, stratified_folds

    images, labels = load_alphadigits(config.data_dir)
    x = fit_to_canvas(images, canvas, config.size)
    folds = stratified_folds(labels, config.folds, config.seed)
    console.print(f"Binary AlphaDigits: {len(labels):,} images as {config.size}-pixel glyphs on a "
                  f"{canvas[0]}x{canvas[1]} canvas; {config.folds} stratified folds; backbone {backbone_path}; "
                  f"{winner.label} of {winner.run}")
    for fold, test in enumerate(folds):
        path = _fold_file(out, fold)
        if path.is_file():
            done = read_json(path)
            console.print(f"fold {fold + 1}/{config.folds}: done before — transfer {done['transfer_accuracy']:.4f}, "
                          f"scratch {done['scratch_accuracy']:.4f}", highlight=False)
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
        console.print(f"fold {fold + 1}/{config.folds}: transfer {result['transfer_accuracy']:.4f} "
                      f"({result['transfer_seconds']:.0f} s) · scratch {result['scratch_accuracy']:.4f} "
                      f"({result['scratch_seconds']:.0f} s)", highlight=False)
    results = summarize([read_json(_fold_file(out, f)) for f in range(config.folds)], config, winner)
    write_json_atomic(out / "results.json", results)
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
    from scipy import stats

    def stat(values):
        values = np.asarray(values, dtype=float)
        return {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                "folds": [float(v) for v in values]}

    transfer = stat([f["transfer_accuracy"] for f in folds])
    scratch = stat([f["scratch_accuracy"] for f in folds])
    difference = stat(np.subtract(transfer["folds"], scratch["folds"]))
    half = float(stats.t.ppf(0.975, len(folds) - 1) * difference["std"] / np.sqrt(len(folds)))
    difference["ci95"] = [difference["mean"] - half, difference["mean"] + half]
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
