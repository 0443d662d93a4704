"""The models of one (fold, seed) of a transfer comparison: ``--ensemble`` K members per model, each
trained with its own seed, their held-out softmax saved as each finishes, then averaged.

Member 0 trains with the seed a comparison has always used, ``1000 * seed + fold`` (the same head
initialization and batches for transfer and scratch), so ``--ensemble 1`` gives what it gave before;
member m > 0 with a seed drawn from a hash of (seed, fold, m). With ``--tta N`` each member's
probabilities are also taken over the image and N - 1 copies moved within the model's own augmentation
ranges (``training.tta``, as ``predict --tta``). A member's file holds its plain and TTA probabilities,
its accuracy, seconds and what it fine-tuned (``save_member``): an interruption loses at most the member
in training.

Scratch does not depend on the backbone, so its members live in a store shared by the run's transfer
comparisons (``RunFolder.scratch_store``), keyed by a hash of everything that affects their training and
evaluation (``scratch_key``): a second backbone's comparison reuses them instead of training them again.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from ..io import write_atomic, write_json_atomic
from ..runfolder.transfer_config import TransferConfig

SEED_SCHEME = "member 0: 1000*seed+fold; member m: sha256('transfer member {seed} {fold} {m}') mod 2**31-1"
STORE_VERSION = 1  # bump when scratch's training or evaluation changes in a way its settings do not say
PREDICT_BATCH = 512


def member_seed(seed: int, fold: int, member: int) -> int:
    """The training seed of ensemble member ``member`` (0-based) of (``fold``, ``seed``)."""
    if member == 0:
        return 1000 * seed + fold
    digest = hashlib.sha256(f"transfer member {seed} {fold} {member}".encode()).hexdigest()
    return int(digest, 16) % (2**31 - 1)


def scratch_key(config: TransferConfig, winner, canvas, x: np.ndarray, labels: np.ndarray) -> tuple[str, dict]:
    """(hash, what it hashes): everything scratch's training and evaluation depends on — the winner's
    architecture, the target's images on the canvas and labels, the folds, the scratch recipe, the batch
    size, label smoothing, TTA and how member seeds are drawn. Not the backbone."""
    data = hashlib.sha256()
    for array in (x, labels):
        data.update(str((array.dtype.str, array.shape)).encode())
        data.update(np.ascontiguousarray(array).tobytes())
    key = {
        "version": STORE_VERSION,
        "winner": {
            "label": winner.label,
            "values": winner.values,
            "preset": winner.preset,
            "restrict": winner.restrict,
        },
        "to": config.to,
        "data_sha256": data.hexdigest(),
        "canvas": [int(c) for c in canvas],
        "folds": config.folds,
        "scratch_epochs": config.scratch_epochs,
        "scratch_lr": config.scratch_lr,
        "scratch_augment": config.scratch_augment,
        "batch_size": config.batch_size,
        "label_smoothing": config.label_smoothing,
        "tta": config.tta,
        "member_seeds": SEED_SCHEME,
    }
    text = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16], json.loads(text)


def open_store(store: Path, key: dict) -> None:
    """Create the scratch store ``store`` with its ``key.json`` (kept as it is when there)."""
    if not (store / "key.json").is_file():
        write_json_atomic(store / "key.json", key)


def save_member(path: Path, plain: np.ndarray, tta: np.ndarray | None, meta: dict) -> None:
    """A member's held-out probabilities (plain, and with TTA when on) and ``meta``, atomically."""
    arrays = {"plain": plain, "meta": np.array(json.dumps(meta))}
    if tta is not None:
        arrays["tta"] = tta

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub: savez(file, *args, **kwds)

    write_atomic(path, write, suffix=".npz")


def load_member(path: Path) -> dict:
    """A saved member: ``plain``, ``tta`` (None without TTA) and its meta's fields."""
    with np.load(path) as saved:
        member = json.loads(str(saved["meta"]))
        member["plain"] = saved["plain"]
        member["tta"] = saved["tta"] if "tta" in saved.files else None
    return member


def run_member(name, config: TransferConfig, fold: int, seed: int, member: int, data, y_test, trained_for: str) -> dict:
    """Train member ``member`` of model ``name`` (transfer or scratch) and predict the held-out images:
    ``data`` is (backbone_path, winner, canvas, x_train, y_train, x_test, num_classes)."""
    from ..training.tta import tta_predict

    backbone_path, winner, canvas, x_train, y_train, x_test, num_classes = data
    started = time.perf_counter()
    model, extra = train_model(
        name, config, fold, seed, backbone_path, winner, canvas, x_train, y_train, num_classes, member
    )
    plain = model.predict(x_test, batch_size=PREDICT_BATCH, verbose=0)
    tta = None
    if config.tta > 1:
        tta = tta_predict(model, x_test, config.tta, member_seed(seed, fold, member), batch_size=PREDICT_BATCH)
        tta = tta.astype(plain.dtype)
    seconds = time.perf_counter() - started
    meta = {
        "fold": fold + 1,
        "seed": seed,
        "member": member,
        "model": name,
        "training_seed": member_seed(seed, fold, member),
        "accuracy": float((np.argmax(plain, axis=1) == y_test).mean()),
        "tta_accuracy": float((np.argmax(tta, axis=1) == y_test).mean()) if tta is not None else None,
        "seconds": seconds,
        "trained_for": trained_for,
        "extra": extra,
    }
    return {**meta, "plain": plain, "tta": tta}


def train_model(
    name, config: TransferConfig, fold, seed, backbone_path, winner, canvas, x_train, y_train, num_classes, member=0
):
    """Train ``name`` (transfer or scratch) with its recipe on the fold's training images, as ensemble
    member ``member``; (the trained model, what it fine-tuned)."""
    import keras

    from ..training.batches import fit_inputs
    from .transfer_model import build_transfer_model, compile_for, set_phase

    keras.backend.clear_session()
    keras.utils.set_random_seed(member_seed(seed, fold, member))  # member 0: the same head init and batches for both
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
    return model, extra


def ensemble_prediction(members: list[dict], tta: bool) -> np.ndarray:
    """The members' mean softmax (each member's TTA probabilities where ``tta``); predicted classes."""
    key = "tta" if tta else "plain"
    return np.argmax(np.mean(np.stack([m[key] for m in members]), axis=0), axis=1)
