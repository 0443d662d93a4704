"""Exploration for the final training of a search's winner (issue 16): the same architecture trained
on all training images with longer recipes, each model's held-out test accuracy, and the ensemble of
every model trained (the mean of their softmax outputs).

    .venv/bin/python bench/final_recipe.py RUN [--recipes today,long,long-ls-ema] [--seeds 2] [--data-dir DIR]
    .venv/bin/python bench/final_recipe.py --tiny    # synthetic data, a small preset, 1 epoch (the test)

Recipes (Adam at the winner's learning rate, cosine decay per step to zero, the winner's augmentation):
  today        the search's final step: the search's epoch count (RUN/final.json), no warm-up
  long         15 epochs, one epoch of linear warm-up
  long-ls-ema  as long, with label smoothing 0.1 and an exponential moving average of the weights
               (momentum 0.999) used for evaluation
  long-ls-ema-wd      as long-ls-ema with AdamW's decoupled weight decay 0.05
  long-ls-ema-strong  as long-ls-ema with the winner's augmentation ranges 1.5 times wider
  long30-ls-ema       as long-ls-ema for 30 epochs
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

_BASE = dict(warmup=0, smoothing=0.0, ema=False, weight_decay=0.0, augment=1.0)
RECIPES = {"today": dict(_BASE, epochs=None),
           "long": dict(_BASE, epochs=15, warmup=1),
           "long-ls-ema": dict(_BASE, epochs=15, warmup=1, smoothing=0.1, ema=True),
           "long-ls-ema-wd": dict(_BASE, epochs=15, warmup=1, smoothing=0.1, ema=True, weight_decay=0.05),
           "long-ls-ema-strong": dict(_BASE, epochs=15, warmup=1, smoothing=0.1, ema=True, augment=1.5),
           "long30-ls-ema": dict(_BASE, epochs=30, warmup=1, smoothing=0.1, ema=True)}


def train(build, recipe: dict, epochs: int, rate: float, x, y, x_test, seed: int, batch_size: int = 128):
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build()
    steps = -(-len(y) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0 if recipe["warmup"] else rate, (epochs - recipe["warmup"]) * steps,
        warmup_target=rate if recipe["warmup"] else None, warmup_steps=recipe["warmup"] * steps)
    if recipe["weight_decay"]:
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=recipe["weight_decay"], use_ema=recipe["ema"],
                                           ema_momentum=0.999)
    else:
        optimizer = keras.optimizers.Adam(schedule, use_ema=recipe["ema"], ema_momentum=0.999)
    model.compile(optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe["smoothing"]),
                  metrics=["accuracy"])
    started = time.perf_counter()
    model.fit(x, keras.utils.to_categorical(y, model.output_shape[-1]), epochs=epochs, batch_size=batch_size,
              verbose=0)
    if recipe["ema"]:
        optimizer.finalize_variable_values(model.trainable_variables)  # evaluate with the averaged weights
    seconds = time.perf_counter() - started
    return model.predict(x_test, batch_size=1024, verbose=0), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", type=Path)
    parser.add_argument("--recipes", default="today,long,long-ls-ema")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--data-dir", default=_common.default_data_dir())
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    if not args.tiny and args.run is None:
        parser.error("give the RUN folder of a finished search, or --tiny")
    from emnist_tuner.quiet import import_keras_quietly

    import_keras_quietly()
    from emnist_tuner.data.prepare import prepare_data

    if args.tiny:
        from emnist_tuner.searchspace import build_preset

        data = prepare_data("synthetic", None, 0)
        build, today_epochs, rate, label = (lambda scale: build_preset("dense", data.info.image_shape, 10)), 1, 1e-3, "dense"
        recipes = {name: {**r, "epochs": 1, "warmup": 0} for name, r in RECIPES.items()}
        seeds = range(1)
    else:
        from emnist_tuner.experiments.winner import read_winner

        winner = read_winner(args.run)
        final = json.loads((args.run / "final.json").read_text())
        data = prepare_data(winner.dataset, None, 0, data_dir=args.data_dir)
        def build(scale: float):
            from dataclasses import replace

            from emnist_tuner.searchspace.hypermodel import AUGMENTATION_RANGES

            def widened(name, value):  # on the space's grid
                top, step, _ = AUGMENTATION_RANGES[name]
                return min(top, round(round(value * scale / step) * step, 4))

            values = {k: (widened(k, v) if k in AUGMENTATION_RANGES else v) for k, v in winner.values.items()}
            return replace(winner, values=values).build(data.info.image_shape, data.info.num_classes)
        today_epochs, rate, label = int(final["epochs"]), float(winner.values.get("learning_rate", 1e-3)), winner.label
        recipes = {name: RECIPES[name] for name in args.recipes.split(",")}
        seeds = range(args.seeds)
    x, y = data.train_and_val()
    rows, outputs = [], []
    for name, recipe in recipes.items():
        for seed in seeds:
            epochs = recipe["epochs"] or today_epochs
            probabilities, seconds = train(lambda: build(recipe["augment"]), recipe, epochs, rate, x, y,
                                           data.x_test, seed)
            outputs.append(probabilities)
            rows.append((name, seed, epochs, float((probabilities.argmax(1) == data.y_test).mean()), seconds))
            print(f"{name} seed {seed}: {100 * rows[-1][3]:.2f} % in {seconds / 60:.1f} min", flush=True)
    console = Console()
    console.print(f"{_common.machine()}; {label}; {len(y):,} training images, {len(data.y_test):,} test images")
    table = Table(title="Final training recipes: held-out test accuracy")
    for column in ("recipe", "seed", "epochs", "test acc %", "minutes"):
        table.add_column(column, justify="left" if column == "recipe" else "right")
    for name, seed, epochs, accuracy, seconds in rows:
        table.add_row(name, str(seed), str(epochs), f"{100 * accuracy:.2f}", f"{seconds / 60:.1f}")
    console.print(table)
    ensemble = float((np.mean(outputs, axis=0).argmax(1) == data.y_test).mean())
    console.print(f"ensemble of all {len(outputs)} models (mean softmax): {100 * ensemble:.2f} %")


if __name__ == "__main__":
    main()
