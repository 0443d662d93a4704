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
(``RunFolder.transfer_folder``). With ``--ensemble K`` and ``--tta N`` each model is the mean of K
trainings, each with test-time augmentation, saved one by one; scratch's are shared between backbones
(``transfer_members``). See ``transfer_model`` for the two models and ``transfer_data`` for the images.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import ConfigError, RunError, plural
from ..io import read_json, write_json_atomic
from ..runfolder.layout import DEFAULT_TARGET, RunFolder, TransferFolder, scratch_member_file
from ..runfolder.lifecycle import run_lifecycle
from ..runfolder.transfer_config import TransferConfig
from .stats import mean_std, paired_interval
from .winner import read_winner

HOW_TO_GO_ON = "Finished folds and models are saved; run the same command again to continue."  # after Ctrl-C
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
    from .transfer_members import open_store, scratch_key

    selection, folds = transfer_folds(target.labels, config.folds, config.to)
    say(
        _describe(config, target, canvas, len(selection))
        + f"; backbone {backbone_path}; {winner.label} of {winner.run}"
    )
    for what, recipe in config.recipe_lines(target.fitted):
        say(f"{what}: {recipe}")
    key, key_values = scratch_key(config, winner, canvas, target.x, target.labels)
    run = RunFolder(out.path.parent)
    store = run.scratch_store(key)
    open_store(store, key_values)
    say(f"models: {config.ensemble_words()}; scratch models kept in {store} (shared with other backbones)")
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
            done, reused = _run_fold(
                config, fold, seed, test, target, (backbone_path, winner, canvas), out, store, where, say
            )
            write_json_atomic(path, done)
            say(f"{where}: " + _fold_words(config, done, reused))
    results = summarize([read_json(out.fold_file(f, s)) for f in range(config.folds) for s in seeds], config, winner)
    if config.to != DEFAULT_TARGET:  # the default's results stay as they were; the table names it
        results.update(
            target=config.to,
            classes=target.class_names,
            size=config.size if target.fitted else None,
            recipe=dict(config.recipe_lines(target.fitted)),
        )
    results.update(
        ensemble=config.ensemble, tta=config.tta, scratch_store=str(store.relative_to(run.path)), scratch_key=key_values
    )
    write_json_atomic(out.results_file, results)
    return results


def _fold_words(config: TransferConfig, done: dict, reused: int) -> str:
    """A finished (fold, seed) in words: each model's accuracy (its ensemble's, with TTA when on) and time."""
    scratch_time = f"{done['scratch_seconds']:.0f} s"
    if reused:
        scratch_time += f", {plural(reused, 'model')} reused from another backbone's comparison"
    words = (
        f"transfer {done['transfer_accuracy']:.4f} ({done['transfer_seconds']:.0f} s) · "
        f"scratch {done['scratch_accuracy']:.4f} ({scratch_time})"
    )
    if config.ensemble > 1 or config.tta > 1:
        words += (
            f"; one model without TTA: transfer {done['transfer_single_accuracy']:.4f}, "
            f"scratch {done['scratch_single_accuracy']:.4f}"
        )
    return words


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


def _run_fold(config: TransferConfig, fold: int, seed: int, test, target: Target, model, out, store, where, say):
    """Both models' K members on (``fold``, ``seed``), each loaded if saved before, else trained and saved;
    (the fold's result, how many scratch members came from another backbone's comparison)."""
    from .transfer_members import ensemble_prediction, load_member, run_member, save_member

    x, labels = target.x, target.labels
    train = np.setdiff1d(np.arange(len(labels)), test)
    result = {
        "fold": fold + 1,
        "seed": seed,
        "test_images": int(len(test)),
        "train_images": int(len(train)),
        "test_indices_sha256": hashlib.sha256(test.tobytes()).hexdigest(),
    }
    data = (*model, x[train], labels[train], x[test], len(target.class_names))
    digits = target.digit_classes()
    single, reused = {}, 0
    for name in ("transfer", "scratch"):
        members = []
        for member in range(config.ensemble):
            path = (
                out.member_file(fold, seed, member)
                if name == "transfer"
                else scratch_member_file(store, fold, seed, member)
            )
            if path.is_file():
                members.append(load_member(path))
                reused += name == "scratch" and members[-1]["trained_for"] != out.path.name
                continue
            done = run_member(name, config, fold, seed, member, data, labels[test], out.path.name)
            save_member(path, done["plain"], done["tta"], {k: v for k, v in done.items() if k not in ("plain", "tta")})
            members.append(done)  # as load_member would give it back
            if config.ensemble > 1:
                tta = f", with TTA {done['tta_accuracy']:.4f}" if config.tta > 1 else ""
                which = f"{where} {name} model {member + 1}/{config.ensemble}"
                say(f"{which}: {done['accuracy']:.4f}{tta} ({done['seconds']:.0f} s)")
        result[f"{name}_seconds"] = float(sum(m["seconds"] for m in members))
        right = ensemble_prediction(members, config.tta > 1) == labels[test]
        result[f"{name}_accuracy"] = float(right.mean())
        if digits is not None:
            digit = digits[labels[test]]
            if digit.any() and not digit.all():
                result[f"{name}_digits_accuracy"] = float(right[digit].mean())
                result[f"{name}_letters_accuracy"] = float(right[~digit].mean())
        result.update(members[0]["extra"])
        single[f"{name}_single_accuracy"] = members[0]["accuracy"]
        single[f"{name}_member_accuracies"] = [m["tta_accuracy" if config.tta > 1 else "accuracy"] for m in members]
    if config.ensemble > 1 or config.tta > 1:  # else the accuracies above are the single model's
        result.update(single, ensemble=config.ensemble, tta=config.tta)
    return result, reused


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
    """Train ``name`` (transfer or scratch) with its recipe on the fold's training images (member 0's
    seed); its predicted classes (of ``num_classes``) on ``x_test``, and what it fine-tuned."""
    from .transfer_members import PREDICT_BATCH, train_model

    model, extra = train_model(name, config, fold, seed, backbone_path, winner, canvas, x_train, y_train, num_classes)
    return np.argmax(model.predict(x_test, batch_size=PREDICT_BATCH, verbose=0), axis=1), extra


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
    difference = _difference(summary["transfer"]["folds"], summary["scratch"]["folds"])
    single = {}
    if all("transfer_single_accuracy" in r for r in results):  # an ensemble or TTA: one model without TTA too
        single = {name: stat(per_fold(f"{name}_single_accuracy")) for name in ("transfer", "scratch")}
        single["difference"] = _difference(single["transfer"]["folds"], single["scratch"]["folds"])
    return {
        **summary,
        "difference": difference,
        **({"single_model": single} if single else {}),
        "folds": config.folds,
        "seeds": config.seeds,
        "size": config.size,
        "backbone": config.backbone,
        "winner": winner.label,
        "recipe": dict(config.recipe_lines()),
        "epochs": f"{config.head_epochs}+{config.fine_tune_epochs} / {config.scratch_epochs}",
        "fine_tuned_layers": results[0].get("fine_tuned_layers", []),
    }


def _difference(transfer: list[float], scratch: list[float]) -> dict:
    """Per fold transfer - scratch, mean ± std, and the 95 % t-interval of the mean difference."""
    values = mean_std(np.subtract(transfer, scratch))
    difference = {"mean": values["mean"], "std": values["std"], "folds": values["values"]}
    low, high, _ = paired_interval(difference["folds"])
    difference["ci95"] = [low, high] if low is not None else None  # fewer than stats.MIN_PAIRS folds
    return difference
