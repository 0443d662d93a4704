"""`emnist-tuner transfer`: the winner as a pretrained backbone for Binary AlphaDigits (or the dataset
``--to`` names), against the same architecture trained from scratch, on the same stratified K folds.

Binary AlphaDigits has 1,404 images and no test split. One sixth of them, the selection fold, is where
the default recipes were chosen (``bench/transfer_recipes.py``): it is only ever trained on. The other
images are cut into K stratified folds, each held out once: both models train on every other image
with their own recipe (``TransferConfig``; no early stopping, nothing is chosen on the held-out fold),
with the same seeds, and are evaluated once on it. Each (fold, seed) is saved when it finishes
(``RUN/transfer/folds/``), so an interrupted run continues where it stopped; the summary
(``results.json``) gives mean ± std over folds, the per-fold differences and a 95 % t-interval of the
mean difference. Another target (``--to``) has no selection fold: its K folds cover all its images (its
train, validation and test splits together), and its results live in their own folder
(``RunFolder.transfer_folder``). See ``transfer_model`` for the two models and ``transfer_data`` for the
images.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError, RunError, plural
from ..io import read_json, write_json_atomic
from ..runfolder.layout import DEFAULT_TARGET, RunFolder, TransferFolder
from ..runfolder.lifecycle import run_lifecycle
from ..runfolder.transfer_config import TransferConfig
from .stats import mean_std, paired_interval
from .winner import read_winner

HOW_TO_GO_ON = "Finished folds are saved; run the same command again to continue."  # after Ctrl-C
NUM_CLASSES = 36  # Binary AlphaDigits'; another target has its own


def _backbone_file(run: RunFolder, config: TransferConfig, winner) -> Path:
    if config.backbone != "emnist":  # mnist or another dataset: the winner retrained on it
        path = run.retrain_folder(config.backbone).backbone_file
        if not path.is_file() and winner.dataset == config.backbone and winner.model_file.is_file():
            return winner.model_file  # a run on MNIST (that dataset): its own final model is that backbone
        if not path.is_file():
            what, option = ("MNIST", "") if config.backbone == "mnist" else (config.backbone, " --dataset ")
            raise RunError(
                f"{path} is missing: train the {what} backbone first with: emnist-tuner retrain {run.path}"
                + (f"{option}{config.backbone}" if option else "")
            )
        return path
    if not winner.dataset.startswith("emnist"):
        raise ConfigError(
            f"{run.path} was searched on {winner.dataset}, so its model is not an EMNIST backbone; use --backbone mnist"
        )
    if not winner.model_file.is_file():
        raise RunError(f"{winner.model_file} is missing: the run's final model was not saved")
    return winner.model_file


def backbone_for(config: TransferConfig, run_dir: Path | str):
    """(the run's winner, the backbone file ``config`` names, the backbone's canvas), checked."""
    from ..data.datasets import get_info

    winner = read_winner(run_dir)
    backbone_path = _backbone_file(RunFolder(run_dir), config, winner)
    return winner, backbone_path, _canvas_fitting(config.size, backbone_path, get_info(config.to).image_shape)


def run_transfer(config: TransferConfig, run_dir: Path | str, say=print) -> dict:
    """Run (or continue) the K-fold comparison; returns the summary saved in ``results.json``."""
    from .transfer_data import check_folds, load_target, on_canvas

    config.validate()
    run = RunFolder(run_dir)
    winner, backbone_path, canvas = backbone_for(config, run_dir)
    out = run.transfer_folder(config.backbone, config.to)
    config.backbone_file = str(backbone_path)
    _check_saved_config(out, config)
    images, labels = load_target(config.to, config.data_dir)  # before anything is written, as every check
    classes = _class_names(config.to)
    check_folds(labels, config.folds, config.to, classes)
    target = Target(config.to, classes, on_canvas(images, canvas, config.size), labels, images.shape[1:] != canvas)
    with run_lifecycle(RunFolder(out.path), HOW_TO_GO_ON, lock_of=run, data=(config.to, config.data_dir)):
        config.save(out.path)
        return _run_folds(config, winner, backbone_path, canvas, target, out, say)


class Target:
    """The dataset transferred to: its name and class names, its images on the backbone's canvas and
    labels, and whether the images were fitted to the canvas (else used as they are)."""

    def __init__(self, name: str, class_names: list[str], x: np.ndarray, labels: np.ndarray, fitted: bool):
        self.name, self.class_names, self.x, self.labels, self.fitted = name, class_names, x, labels, fitted

    def digit_classes(self) -> np.ndarray | None:
        """Per class, whether it is a digit, where the classes are digits and letters (Binary AlphaDigits,
        EMNIST balanced ...): the results give both groups' accuracy; None for other classes."""
        names = self.class_names
        if not all(len(n) == 1 and n.isalnum() for n in names) or not any(n.isdigit() for n in names):
            return None
        digits = np.array([n.isdigit() for n in names])
        return digits if not digits.all() else None


def _class_names(name: str) -> list[str]:
    from ..data.datasets import get_info

    return list(get_info(name).class_names)


def _canvas_fitting(size: int, backbone_path: Path, target_shape: tuple[int, int]) -> tuple[int, int]:
    """The backbone's input (height, width), checked before anything is written: a target whose images
    have another shape is fitted to it as glyphs ``size`` pixels tall, which must fit on it."""
    import keras

    from .transfer_data import check_size

    canvas = tuple(keras.models.load_model(backbone_path, compile=False).input_shape[1:3])
    if tuple(target_shape) != canvas:
        check_size(size, canvas, target_shape)
    return canvas


def _check_saved_config(out: TransferFolder, config: TransferConfig) -> None:
    """A transfer folder continues only with its own settings (RunError, nothing written)."""
    if not out.config_file.is_file():
        return
    changed = TransferConfig.load(out.path).differences(config)
    if changed:
        raise RunError(
            f"{out.path} holds a transfer run with other settings ({'; '.join(changed)}); rerun with "
            f"its settings to continue it, or delete or rename {out.path} to start another"
        )


def _run_folds(
    config: TransferConfig, winner, backbone_path: Path, canvas: tuple[int, int], target: Target, out, say
) -> dict:
    from .transfer_data import transfer_folds

    selection, folds = transfer_folds(target.labels, config.folds, config.to)
    say(
        _describe(config, target, canvas, len(selection))
        + f"; backbone {backbone_path}; {winner.label} of {winner.run}"
    )
    for what, recipe in config.recipe_lines(target.fitted):
        say(f"{what}: {recipe}")
    seeds = range(config.seed, config.seed + config.seeds)
    for fold, test in enumerate(folds):
        for seed in seeds:
            path = out.fold_file(fold, seed)
            where = f"fold {fold + 1}/{config.folds}" + (f" seed {seed}" if config.seeds > 1 else "")
            if path.is_file():
                done = read_json(path)
                say(
                    f"{where}: done before — transfer {done['transfer_accuracy']:.4f}, "
                    f"scratch {done['scratch_accuracy']:.4f}"
                )
                continue
            done = _run_fold(config, fold, seed, test, target, backbone_path, winner, canvas)
            write_json_atomic(path, done)
            say(
                f"{where}: transfer {done['transfer_accuracy']:.4f} ({done['transfer_seconds']:.0f} s) · "
                f"scratch {done['scratch_accuracy']:.4f} ({done['scratch_seconds']:.0f} s)"
            )
    results = summarize([read_json(out.fold_file(f, s)) for f in range(config.folds) for s in seeds], config, winner)
    if config.to != DEFAULT_TARGET:  # the default's results stay as they were; the table names it
        results.update(
            target=config.to,
            classes=target.class_names,
            size=config.size if target.fitted else None,
            recipe=dict(config.recipe_lines(target.fitted)),
        )
    write_json_atomic(out.results_file, results)
    return results


def _describe(config: TransferConfig, target: Target, canvas: tuple[int, int], selected: int) -> str:
    """What the folds hold, in one line (the transfer command says it as it starts)."""
    n = len(target.labels)
    if config.to == DEFAULT_TARGET:
        return (
            f"Binary AlphaDigits: {plural(n, 'image')} as {config.size}-pixel glyphs on a "
            f"{canvas[0]}x{canvas[1]} canvas; {plural(config.folds, 'stratified fold')} of the "
            f"{plural(n - selected, 'image')} that the recipes "
            f"were not chosen on (the other {selected} only ever train)"
        )
    shape = f"{target.x.shape[1]}x{target.x.shape[2]}"
    how = f"as {config.size}-pixel glyphs on a {shape} canvas" if target.fitted else f"{shape} as they are"
    return (
        f"{config.to}: {plural(n, 'image')} of {plural(len(target.class_names), 'class', 'classes')} (its train, "
        f"validation and test splits together: the folds are the evaluation), {how}; "
        f"{plural(config.folds, 'stratified fold')} of all of them, each held out once"
    )


def _run_fold(
    config: TransferConfig, fold: int, seed: int, test: np.ndarray, target: Target, backbone_path, winner, canvas
) -> dict:
    x, labels = target.x, target.labels
    train = np.setdiff1d(np.arange(len(labels)), test)
    result = {
        "fold": fold + 1,
        "seed": seed,
        "test_images": int(len(test)),
        "train_images": int(len(train)),
        "test_indices_sha256": hashlib.sha256(test.tobytes()).hexdigest(),
    }
    digits = target.digit_classes()
    for name in ("transfer", "scratch"):
        started = time.perf_counter()
        predicted, extra = train_one(
            name,
            config,
            fold,
            seed,
            backbone_path,
            winner,
            canvas,
            x[train],
            labels[train],
            x[test],
            len(target.class_names),
        )
        result[f"{name}_seconds"] = time.perf_counter() - started
        right = predicted == labels[test]
        result[f"{name}_accuracy"] = float(right.mean())
        if digits is not None:
            digit = digits[labels[test]]
            if digit.any() and not digit.all():
                result[f"{name}_digits_accuracy"] = float(right[digit].mean())
                result[f"{name}_letters_accuracy"] = float(right[~digit].mean())
        result.update(extra)
    return result


def train_one(
    name,
    config: TransferConfig,
    fold: int,
    seed: int,
    backbone_path: Path,
    winner,
    canvas,
    x_train,
    y_train,
    x_test,
    num_classes: int = NUM_CLASSES,
) -> tuple[np.ndarray, dict]:
    """Train ``name`` (transfer or scratch) with its recipe on the fold's training images; its
    predicted classes (of ``num_classes``) on ``x_test``, and what it fine-tuned."""
    import keras

    from ..training.batches import fit_inputs
    from .transfer_model import build_transfer_model, compile_for, set_phase

    keras.backend.clear_session()
    keras.utils.set_random_seed(1000 * seed + fold)  # the same head initialization and batches for both
    steps = -(-len(y_train) // config.batch_size)
    targets = keras.utils.to_categorical(y_train, num_classes)
    fit = dict(**fit_inputs(x_train, targets, config.batch_size), verbose=0)
    schedule = keras.optimizers.schedules.CosineDecay
    extra = {}
    if name == "transfer":
        model = build_transfer_model(
            keras.models.load_model(backbone_path, compile=False), num_classes, config.augment, name="transfer"
        )
        if config.head_epochs:
            set_phase(model, "head")
            compile_for(model, schedule(config.head_lr, config.head_epochs * steps), config.label_smoothing)
            model.fit(**fit, epochs=config.head_epochs)
        extra["fine_tuned_layers"] = set_phase(model, "fine-tune", config.fine_tune, config.batchnorm)
        compile_for(model, schedule(config.fine_tune_lr, config.fine_tune_epochs * steps), config.label_smoothing)
        model.fit(**fit, epochs=config.fine_tune_epochs)
    else:
        fresh = winner.build(canvas, num_classes, name="scratch_backbone", augment=False)
        model = build_transfer_model(fresh, num_classes, config.scratch_augment, name="scratch")
        compile_for(model, schedule(config.scratch_lr, config.scratch_epochs * steps), config.label_smoothing)
        model.fit(**fit, epochs=config.scratch_epochs)
    return np.argmax(model.predict(x_test, batch_size=512, verbose=0), axis=1), extra


def summarize(results: list[dict], config: TransferConfig, winner) -> dict:
    """Per fold, both models' accuracy averaged over the seeds; mean ± std over the folds; the
    per-fold differences and their 95 % t-interval (the folds are the independent pairs: seeds on
    the same fold share its test images); the seeds' own spread; digits vs letters; time."""
    folds = sorted({r["fold"] for r in results})

    def per_fold(key):
        return [float(np.mean([r[key] for r in results if r["fold"] == f])) for f in folds]

    def stat(values):
        entry = mean_std(values)
        return {"mean": entry["mean"], "std": entry["std"], "folds": entry["values"]}

    def seed_std(key):
        spreads = [
            np.std([r[key] for r in results if r["fold"] == f], ddof=1)
            for f in folds
            if sum(r["fold"] == f for r in results) > 1
        ]
        return float(np.mean(spreads)) if spreads else None

    summary = {}
    for name in ("transfer", "scratch"):
        entry = stat(per_fold(f"{name}_accuracy"))
        entry["seconds"] = float(sum(r[f"{name}_seconds"] for r in results))
        entry["seed_std"] = seed_std(f"{name}_accuracy")
        for group in ("digits", "letters"):
            if all(f"{name}_{group}_accuracy" in r for r in results):
                entry[group] = float(np.mean([r[f"{name}_{group}_accuracy"] for r in results]))
        summary[name] = entry
    difference = stat(np.subtract(summary["transfer"]["folds"], summary["scratch"]["folds"]))
    low, high, _ = paired_interval(difference["folds"])
    difference["ci95"] = [low, high] if low is not None else None  # fewer than stats.MIN_PAIRS folds
    return {
        **summary,
        "difference": difference,
        "folds": config.folds,
        "seeds": config.seeds,
        "size": config.size,
        "backbone": config.backbone,
        "winner": winner.label,
        "recipe": dict(config.recipe_lines()),
        "epochs": f"{config.head_epochs}+{config.fine_tune_epochs} / {config.scratch_epochs}",
        "fine_tuned_layers": results[0].get("fine_tuned_layers", []),
    }
