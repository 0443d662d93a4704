"""Test-time augmentation (issue 16): does averaging a model's predictions over randomly transformed
copies of each test image (the winner's own augmentation ranges) beat predicting the image once?

    .venv/bin/python bench/tta.py RUN [--model FILE ... [--ensemble]] [--copies 4,8,16] [--repeats 3]
                                  [--data-dir DIR]
    .venv/bin/python bench/tta.py --tiny      # synthetic data, an untrained preset (checks the script)

RUN is a finished search: its final model (``best_model.keras``) and its winner's rotation, translation
and zoom. N copies = the image itself plus N - 1 transformed copies, softmax outputs averaged; each N is
repeated with other random transforms (``--repeats``), mean and spread reported.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import _common
import numpy as np


def transformer(factors: dict):
    """The winner's augmentation as a function of (images, seed)."""
    import keras

    from emnist_tuner.searchspace.hypermodel import augmentation_layers

    inputs = keras.Input((None, None, 1))
    model = keras.Model(inputs, augmentation_layers(inputs, factors))

    def transform(images: np.ndarray, seed: int) -> np.ndarray:
        keras.utils.set_random_seed(seed)
        return keras.ops.convert_to_numpy(model(images[..., None], training=True))[..., 0]

    return transform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", type=Path)
    parser.add_argument(
        "--model",
        type=Path,
        action="append",
        default=[],
        help="a model file to test instead of RUN's final model (repeatable; bench/final_recipe.py "
        "--outputs keeps them); RUN still gives the dataset and the transforms",
    )
    parser.add_argument("--ensemble", action="store_true", help="also test the average of the --model files")
    parser.add_argument("--copies", default="4,8,16")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", default=_common.default_data_dir())
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    if not args.tiny and args.run is None:
        parser.error("give the RUN folder of a finished search, or --tiny")
    from emnist_tuner.quiet import import_keras_quietly

    import_keras_quietly()
    import keras

    from emnist_tuner.data.prepare import prepare_data

    if args.tiny:
        from emnist_tuner.searchspace import build_preset

        data = prepare_data("synthetic", None, 0)
        models = {"untrained dense (--tiny)": build_preset("dense", data.info.image_shape, 10)}
        factors = {"rotation": 0.03, "translation": 0.1, "zoom": 0.1}
    else:
        final = json.loads((args.run / "final.json").read_text())
        config = json.loads((args.run / "config.json").read_text())
        data = prepare_data(config["dataset"], None, 0, data_dir=args.data_dir)
        files = args.model or [args.run / final["model"]]
        models = {str(f): keras.models.load_model(f, compile=False) for f in files}
        if args.ensemble and len(models) > 1:
            from emnist_tuner.training.ensemble import average_model

            models[f"ensemble of the {len(models)}"] = average_model(list(models.values()))
        values = final["hyperparameters"]
        factors = (
            {k: values.get(k, 0.0) for k in ("rotation", "translation", "zoom")}
            if values.get("augment")
            else {"rotation": 0.03, "translation": 0.1, "zoom": 0.1}
        )
    transform = transformer(factors)
    x, y = data.x_test, data.y_test
    print(f"{_common.machine()}; {len(y):,} test images; transforms {factors}")
    for label, model in models.items():
        plain = model.predict(x, batch_size=1024, verbose=0)
        print(f"{label}")
        print(f"1 copy (no TTA): {100 * np.mean(plain.argmax(1) == y):.2f} %")
        for copies in (int(c) for c in args.copies.split(",")):
            accuracies = []
            for repeat in range(args.repeats):
                total = plain.copy()
                for copy in range(1, copies):
                    total += model.predict(transform(x, 1000 * repeat + copy), batch_size=1024, verbose=0)
                accuracies.append(100 * float(np.mean(total.argmax(1) == y)))
            print(
                f"{copies} copies: {np.mean(accuracies):.2f} ± {np.std(accuracies):.2f} % over {args.repeats} repeats"
            )


if __name__ == "__main__":
    main()
