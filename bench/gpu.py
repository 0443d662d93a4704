"""Throughput on an accelerator: images/s of each preset, and one `full`-profile search epoch.

Made for the GPU machine (H100/H200 with JAX and PyTorch, no TensorFlow): run it with
``KERAS_BACKEND=jax`` and keras, keras-tuner and their small pure-Python dependencies carried as
wheels (see README, "GPU"). The device set-up is the worker's own (``configure_devices``: mixed
precision float16 on a GPU). Per preset: ``model.fit`` on all training images with the `full`
profile's batch size (256), epoch 1 (includes compilation) and epoch 2 (steady state, images/s);
then one real search trial of one epoch (our RunHyperband, callbacks, progress events, run-folder
writes; training + validation) at the full profile's settings. The last line is
``full-profile epoch X.X s`` (that trial's seconds).

    KERAS_BACKEND=jax python bench/gpu.py [--data-dir DIR] [--dataset mnist] [--presets dense,convnet,...]
    .venv/bin/python bench/gpu.py --cpu --tiny      # here: the CPU mode, synthetic data (checks the script)

``--cpu`` hides any GPU (JAX_PLATFORMS=cpu / CUDA_VISIBLE_DEVICES=""). Without the data folder the
training split is the synthetic dataset repeated to 54,000 images (same shapes as MNIST).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ALL_PRESETS = "dense,convnet,model1,model2,model3,model4"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="run on the CPU even if a GPU is present")
    parser.add_argument("--tiny", action="store_true", help="synthetic data, 2 presets, no trial (checks the script)")
    parser.add_argument("--presets", default=None, help=f"comma-separated (default {ALL_PRESETS})")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the full profile's (256)")
    parser.add_argument("--trial-preset", default="model1", help="preset of the full-profile search trial")
    return parser.parse_args()


def load(args):
    """All training images of ``args.dataset`` (the full profile uses no subset); else synthetic."""
    import dataclasses

    import _common
    import numpy as np

    from emnist_tuner.data.prepare import prepare_data

    data_dir = args.data_dir or _common.default_data_dir()
    if not args.tiny and data_dir is not None:
        data = prepare_data(args.dataset, None, 0, data_dir=data_dir)
        return data, f"{args.dataset}: {len(data.y_train):,} train / {len(data.y_val):,} val"
    data = prepare_data("synthetic", None, 0)
    if args.tiny:
        return data, f"synthetic: {len(data.y_train):,} train (--tiny)"
    reps = -(-54_000 // len(data.y_train))
    data = dataclasses.replace(
        data, x_train=np.tile(data.x_train, (reps, 1, 1))[:54_000], y_train=np.tile(data.y_train, reps)[:54_000]
    )
    return data, f"synthetic repeated to {len(data.y_train):,} train / {len(data.y_val):,} val (no data folder)"


def preset_rate(name: str, data, batch_size: int) -> dict:
    import _common

    model, started, marks = _common.timed_fit(name, data, (data.x_train, data.y_train), {"batch_size": batch_size})
    first = marks[1] - started
    second = marks[3] - marks[2]
    return {"params": model.count_params(), "first": first, "second": second, "rate": len(data.y_train) / second}


def main() -> None:
    args = parse()
    if args.cpu:
        os.environ["JAX_PLATFORMS"] = "cpu"
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _common  # noqa: F401  (puts the repository on sys.path)
    from rich.console import Console
    from rich.table import Table

    from emnist_tuner.runfolder.configs import PROFILES, SearchConfig
    from emnist_tuner.searchspace import CharacterHyperModel
    from emnist_tuner.training.devices import configure_devices

    full = PROFILES["full"]
    batch_size = args.batch_size or full["batch_size"]
    presets = (args.presets or ("dense,convnet" if args.tiny else ALL_PRESETS)).split(",")
    setup = configure_devices()
    data, described = load(args)
    rows = {name: preset_rate(name, data, batch_size) for name in presets}

    table = Table(title=f"Presets: model.fit, batch {batch_size}, {setup.describe()}")
    for column in (
        "preset",
        "parameters",
        "epoch 1 (s, compiles)",
        "epoch 2 (s)",
        "images/s",
        "EMNIST Letters epoch (s, est.)",
    ):
        table.add_column(column, justify="left" if column == "preset" else "right")
    for name, r in rows.items():
        table.add_row(
            name,
            f"{r['params']:,}",
            f"{r['first']:.2f}",
            f"{r['second']:.2f}",
            f"{r['rate']:,.0f}",
            f"{112_320 / r['rate']:.1f}",
        )
    table.caption = (
        f"data: {described}; EMNIST Letters estimate: 112,320 training images / images/s; {_common.machine()}"
    )
    console = Console()
    console.print(table)
    if args.tiny:
        print(f"full-profile epoch: not measured with --tiny ({len(presets)} presets timed)")
        return

    import overhead

    augmentations = tuple(SearchConfig(dataset=data.info.name).augmentations)
    hypermodel = CharacterHyperModel(
        input_shape=data.info.image_shape,
        num_classes=data.info.num_classes,
        augmentations=augmentations,
        restrict=full["restrict"],
    )
    with tempfile.TemporaryDirectory() as tmp:
        trial = overhead.trial_once(hypermodel, data, args.trial_preset, 1, batch_size, Path(tmp) / "run")
    console.print(
        f"search trial, full profile ({args.trial_preset}, all {len(data.y_train):,} training images, "
        f"batch {batch_size}, validation on {len(data.y_val):,}): {trial['total']:.1f} s "
        f"(until the first epoch {trial['build']:.1f} s, epoch {trial['fit']:.1f} s, "
        f"after {trial['after']:.1f} s); tuner set-up {trial['tuner']:.1f} s"
    )
    print(f"full-profile epoch {trial['total']:.1f} s")


if __name__ == "__main__":
    main()
