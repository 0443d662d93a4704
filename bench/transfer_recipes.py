"""How the `transfer` defaults were chosen: candidate recipes for transfer and for scratch, each trained
on every image outside the selection fold and tested on the selection fold only (one sixth of Binary
AlphaDigits, stratified, fixed), so the folds `transfer` reports are never used for choosing.

    .venv/bin/python bench/transfer_recipes.py RUN [--seeds 2] [--only NAME,...]
    .venv/bin/python bench/transfer_recipes.py --tiny    # random glyphs, an untrained backbone, 1 epoch

Each candidate is a set of `TransferConfig` values (the command's options) over the defaults; the
table gives accuracy on the selection fold per seed, the mean, and seconds per training. The highest
mean per kind is the candidate to make the default (BENCHMARKS.md, "Transfer recipes").
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import _common
import numpy as np
from rich.console import Console
from rich.table import Table

T, S = "transfer", "scratch"
CANDIDATES = [  # (name, kind, TransferConfig values)
    (
        "T1 v0.1: top only, 20+20 ep, 1e-4",
        T,
        dict(head_epochs=20, fine_tune_epochs=20, fine_tune_lr=1e-4, fine_tune="top"),
    ),
    (
        "T2 all, BN trains, 10+25 ep, 3e-4",
        T,
        dict(head_epochs=10, fine_tune_epochs=25, fine_tune_lr=3e-4, batchnorm="train"),
    ),
    ("T4 all, BN trains, 5+30 ep, 1e-3", T, dict(batchnorm="train")),
    ("T5 all, BN trains, 10+30 ep, 1e-4", T, dict(head_epochs=10, fine_tune_lr=1e-4, batchnorm="train")),
    ("T7 all, BN trains, 5+30 ep, 1e-3, strong", T, dict(batchnorm="train", augment="strong")),
    ("T11 all, BN frozen, 5+30 ep, 1e-3 (default)", T, dict()),
    ("S1 v0.1: 40 ep, 1e-3, gentle", S, dict(scratch_epochs=40, scratch_lr=1e-3, scratch_augment="gentle")),
    ("S3 60 ep, 3e-3, gentle", S, dict(scratch_augment="gentle")),
    ("S4 60 ep, 1e-3, strong", S, dict(scratch_lr=1e-3)),
    ("S5 40 ep, 1e-3, no augmentation", S, dict(scratch_epochs=40, scratch_lr=1e-3, scratch_augment="none")),
    ("S7 60 ep, 3e-3, strong (default)", S, dict()),
    ("S8 80 ep, 3e-3, strong", S, dict(scratch_epochs=80)),
]


def tiny_setup(folder: Path):
    """An untrained model3 backbone saved to ``folder``, its Winner, random 36-class glyphs."""
    from emnist_tuner.experiments.winner import Winner
    from emnist_tuner.searchspace import build_preset

    model_file = folder / "backbone.keras"
    build_preset("model3", (28, 28), 10).save(model_file)
    winner = Winner(folder, "train", "preset model3", "mnist", {}, "model3", (), None, model_file)
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(36), 39)
    images = (rng.random((len(labels), 20, 16)) < 0.3).astype(np.uint8)
    return winner, model_file, images, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", type=Path)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--only", help="comma-separated candidate name prefixes (e.g. T11,S7)")
    parser.add_argument("--data-dir", default=_common.default_data_dir())
    args = parser.parse_args()
    if not args.tiny and args.run is None:
        parser.error("give a RUN folder (its MNIST backbone is used, as by `transfer`), or --tiny")
    from emnist_tuner.quiet import import_keras_quietly

    import_keras_quietly()
    from emnist_tuner.experiments.transfer import backbone_for, train_one
    from emnist_tuner.experiments.transfer_data import fit_to_canvas, load_alphadigits, selection_fold
    from emnist_tuner.runfolder.transfer_config import TransferConfig

    candidates = [c for c in CANDIDATES if not args.only or c[0].split()[0] in args.only.split(",")]
    scratch_dir = tempfile.TemporaryDirectory()
    if args.tiny:
        winner, backbone, images, labels = tiny_setup(Path(scratch_dir.name))
        canvas, seeds = (28, 28), range(1)
        candidates = [
            (n, k, {**v, "head_epochs": min(v.get("head_epochs", 1), 1), "fine_tune_epochs": 1, "scratch_epochs": 1})
            for n, k, v in candidates[:1] + candidates[-1:]
        ]
    else:
        winner, backbone, canvas = backbone_for(TransferConfig(data_dir=args.data_dir), args.run)
        images, labels = load_alphadigits(args.data_dir)
        seeds = range(args.seeds)
    test = selection_fold(labels)
    train = np.setdiff1d(np.arange(len(labels)), test)
    x = fit_to_canvas(images * np.uint8(255), canvas, 20)  # 0/1 -> 0/255, as `transfer` reads them
    rows = []
    for name, kind, values in candidates:
        config = dataclasses.replace(TransferConfig(), **values)
        accuracy, seconds = [], []
        for seed in seeds:
            started = time.perf_counter()
            predicted, _ = train_one(kind, config, 0, seed, backbone, winner, canvas, x[train], labels[train], x[test])
            seconds.append(time.perf_counter() - started)
            accuracy.append(float((predicted == labels[test]).mean()))
        rows.append((name, kind, accuracy, _common.median(seconds)))
    console = Console()
    console.print(
        f"{_common.machine()}; backbone {backbone if not args.tiny else 'untrained model3 (--tiny)'}; "
        f"selection fold: {len(test)} images, trained on the other {len(train)}"
    )
    table = Table(title="Candidates on the selection fold")
    for column in ("candidate", "kind", "per seed %", "mean %", "s / training"):
        table.add_column(column, justify="left" if column in ("candidate", "kind", "per seed %") else "right")
    for name, kind, accuracy, secs in rows:
        table.add_row(
            name, kind, " ".join(f"{100 * a:.2f}" for a in accuracy), f"{100 * np.mean(accuracy):.2f}", f"{secs:.0f}"
        )
    console.print(table)
    for kind in (T, S):
        best = max((r for r in rows if r[1] == kind), key=lambda r: np.mean(r[2]), default=None)
        if best:
            console.print(f"best {kind}: {best[0]} ({100 * np.mean(best[2]):.2f} %)")


if __name__ == "__main__":
    main()
