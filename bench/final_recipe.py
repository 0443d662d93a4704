"""The final training of a search's winner (issue 16): the same architecture trained on all training
images under several recipes (the package's own ``training.recipe``), each model's held-out test
accuracy, each recipe's mean and spread over seeds, and the ensemble of each recipe's seeds (the mean
of their softmax outputs).

    .venv/bin/python bench/final_recipe.py RUN [--recipes default,long,...] [--seeds 3] [--first-seed 0]
                                           [--outputs DIR] [--data-dir DIR]
    .venv/bin/python bench/final_recipe.py --tiny    # synthetic data, a small preset, 1 epoch (the test)

Recipes (the winner's optimizer and peak rate; cosine decay per step to zero; the winner's augmentation):
  before       the final step before recipes: the search's epoch count (RUN/final.json), no warm-up,
               no label smoothing, no weight average
  default      the package's default recipe at the search's epoch count (what `search --profile quick` does)
  long         15 epochs, one epoch of linear warm-up
  long-ls      as long, with label smoothing 0.1
  long-ema     as long, with the weight average (EMA)
  long-ls-ema  as long, with label smoothing 0.1 and the weight average (the default recipe, 15 epochs)
  long-ls-ema-wd      as long-ls-ema with decoupled weight decay 0.05
  long-ls-ema-strong  as long-ls-ema with the winner's augmentation ranges 1.5 times wider
  long30-ls-ema       as long-ls-ema for 30 epochs
  long30-ls-ema-wd    as long30-ls-ema with weight decay 0.05
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import _common
import numpy as np
from rich.console import Console
from rich.table import Table

PLAIN = dict(warmup_epochs=0, label_smoothing=0.0, ema=False)
RECIPES = {  # name: (FinalRecipe fields, augmentation scale); epochs None: the search's epoch count
    "before": (dict(PLAIN, epochs=None), 1.0),
    "default": (dict(epochs=None), 1.0),
    "long": (dict(epochs=15, warmup_epochs=1, label_smoothing=0.0, ema=False), 1.0),
    "long-ls": (dict(epochs=15, warmup_epochs=1, label_smoothing=0.1, ema=False), 1.0),
    "long-ema": (dict(epochs=15, warmup_epochs=1, label_smoothing=0.0, ema=True), 1.0),
    "long-ls-ema": (dict(epochs=15), 1.0),
    "long-ls-ema-wd": (dict(epochs=15, weight_decay=0.05), 1.0),
    "long-ls-ema-strong": (dict(epochs=15), 1.5),
    "long30-ls-ema": (dict(epochs=30), 1.0),
    "long30-ls-ema-wd": (dict(epochs=30, weight_decay=0.05), 1.0),
}


def train(build, recipe, epochs: int, x, y, x_test, seed: int, batch_size: int = 128):
    """A fresh model trained under ``recipe`` for ``epochs``; (test probabilities, seconds)."""
    import keras

    from emnist_tuner.training.recipe import fit_with_recipe

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build()
    started = time.perf_counter()
    fit_with_recipe(model, x, y, recipe, epochs, batch_size)
    seconds = time.perf_counter() - started
    return model.predict(x_test, batch_size=1024, verbose=0), seconds, model


def winner_builder(run: Path, data_dir):
    """(data, build(scale), the search's epoch count, label) for the winner of the search in ``run``."""
    from dataclasses import replace

    from emnist_tuner.data.prepare import prepare_data
    from emnist_tuner.experiments.winner import read_winner
    from emnist_tuner.searchspace.hypermodel import AUGMENTATION_RANGES

    winner = read_winner(run)
    final = json.loads((run / "final.json").read_text())
    data = prepare_data(winner.dataset, None, 0, data_dir=data_dir)

    def build(scale: float):
        def widened(name, value):  # on the space's grid
            top, step, _ = AUGMENTATION_RANGES[name]
            return min(top, round(round(value * scale / step) * step, 4))

        values = {k: (widened(k, v) if k in AUGMENTATION_RANGES else v) for k, v in winner.values.items()}
        return replace(winner, values=values).build(data.info.image_shape, data.info.num_classes)

    return data, build, int(final["epochs"]), f"{winner.label} of {run.name} ({winner.dataset})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", type=Path)
    parser.add_argument("--recipes", default="before,default,long-ls-ema")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--data-dir", default=_common.default_data_dir())
    parser.add_argument(
        "--outputs",
        type=Path,
        default=None,
        help="keep each model's test probabilities (RECIPE-seedN.npy) and the model (.keras) here; "
        "probabilities already there are read instead of trained again",
    )
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    if not args.tiny and args.run is None:
        parser.error("give the RUN folder of a finished search, or --tiny")
    names = args.recipes.split(",")
    unknown = [name for name in names if name not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    from emnist_tuner.quiet import import_keras_quietly

    import_keras_quietly()
    from emnist_tuner.runfolder.recipe_config import FinalRecipe

    if args.tiny:
        from emnist_tuner.data.prepare import prepare_data
        from emnist_tuner.searchspace import build_preset

        data = prepare_data("synthetic", None, 0)
        build, search_epochs, label = (lambda scale: build_preset("dense", data.info.image_shape, 10)), 1, "dense"
        seeds = range(2)
    else:
        data, build, search_epochs, label = winner_builder(args.run, args.data_dir)
        seeds = range(args.first_seed, args.first_seed + args.seeds)
    x, y = data.train_and_val()
    rows, outputs = [], {}
    for name in names:
        fields, scale = RECIPES[name]
        recipe = FinalRecipe(**fields)
        epochs = 1 if args.tiny else (recipe.epochs or search_epochs)
        for seed in seeds:
            kept = args.outputs / f"{name}-seed{seed}.npy" if args.outputs else None
            if kept is not None and kept.is_file():
                probabilities, seconds = np.load(kept), float("nan")
            else:
                probabilities, seconds, model = train(
                    lambda scale=scale: build(scale), recipe, epochs, x, y, data.x_test, seed
                )
                if kept is not None:
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    np.save(kept, probabilities)
                    model.save(kept.with_suffix(".keras"))  # for bench/tta.py --model
            outputs.setdefault(name, []).append(probabilities)
            accuracy = float((probabilities.argmax(1) == data.y_test).mean())
            rows.append((name, seed, epochs, accuracy, seconds))
            print(f"{name} seed {seed}: {100 * accuracy:.2f} % in {seconds / 60:.1f} min", flush=True)
    console = Console()
    console.print(f"{_common.machine()}; {label}; {len(y):,} training images, {len(data.y_test):,} test images")
    table = Table(title="Final training recipes: held-out test accuracy")
    for column in ("recipe", "seed", "epochs", "test acc %", "minutes"):
        table.add_column(column, justify="left" if column == "recipe" else "right")
    for name, seed, epochs, accuracy, seconds in rows:
        table.add_row(name, str(seed), str(epochs), f"{100 * accuracy:.2f}", f"{seconds / 60:.1f}")
    console.print(table)

    def ensemble_accuracy(probabilities) -> float:
        return 100 * float((np.mean(probabilities, axis=0).argmax(1) == data.y_test).mean())

    for name, probabilities in outputs.items():
        accuracies = [100 * float((p.argmax(1) == data.y_test).mean()) for p in probabilities]
        console.print(
            f"{name}: mean {np.mean(accuracies):.2f} ± {np.std(accuracies):.2f} % over "
            f"{len(accuracies)} seeds; ensemble of the {len(accuracies)} (mean softmax): "
            f"{ensemble_accuracy(probabilities):.2f} %"
        )
        sizes = [k for k in (2, 3, 5) if k < len(probabilities)]
        if sizes:
            console.print(
                f"{name}: ensembles of its first "
                + ", ".join(f"{k} seeds {ensemble_accuracy(probabilities[:k]):.2f} %" for k in sizes)
            )
    everything = [p for probabilities in outputs.values() for p in probabilities]
    if len(outputs) > 1:
        console.print(f"all {len(everything)} models (mean softmax): {ensemble_accuracy(everything):.2f} %")


if __name__ == "__main__":
    main()
