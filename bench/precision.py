"""Training speed per Keras precision policy on the CPU (exploration for the `--precision` question).

    .venv/bin/python bench/precision.py [--presets convnet,model1] [--repeats 2] [--data-dir DIR]
    .venv/bin/python bench/precision.py --epochs 8 --subset 0 --repeats 3   # accuracy after a real training
    .venv/bin/python bench/precision.py --tiny    # synthetic data, one preset (what the test runs)

Each preset is trained ``--epochs`` epochs (default 1) per policy (float32, mixed_bfloat16), alternating
policies over ``--repeats`` rounds (each round its own seed) after a warm-up fit; the table gives the
median seconds per epoch, images/s, the ratio to float32 and the test accuracy after the last epoch
(mean ± std over the rounds). ``--subset 0``: all training images. oneDNN runs bfloat16 convolutions natively
where the CPU has AVX512_BF16 or AMX (see /proc/cpuinfo).
"""

from __future__ import annotations

import argparse
import statistics
import time

import _common
from rich.console import Console
from rich.table import Table

POLICIES = ("float32", "mixed_bfloat16")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default="convnet,model1")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--subset", type=int, default=10_000)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()

    import keras

    from emnist_tuner.searchspace import build_preset

    data, described = _common.bench_data(args.tiny, args.subset or None, args.data_dir)
    presets = ["dense"] if args.tiny else args.presets.split(",")
    seconds: dict[tuple[str, str], list[float]] = {}
    accuracy: dict[tuple[str, str], list[float]] = {}
    for seed in range(1 if args.tiny else args.repeats):
        for policy in POLICIES:
            keras.mixed_precision.set_global_policy(policy)
            for preset in presets:
                keras.utils.set_random_seed(seed)
                model = build_preset(preset, input_shape=data.info.image_shape, num_classes=data.info.num_classes)
                model.fit(data.x_train[:256], data.y_train[:256], epochs=1, batch_size=128, verbose=0)  # trace
                started = time.perf_counter()
                model.fit(data.x_train, data.y_train, epochs=args.epochs, batch_size=128, verbose=0)
                seconds.setdefault((preset, policy), []).append((time.perf_counter() - started) / args.epochs)
                accuracy.setdefault((preset, policy), []).append(
                    float(model.evaluate(data.x_test, data.y_test, verbose=0)[1])
                )
    keras.mixed_precision.set_global_policy("float32")
    table = Table(title=f"{args.epochs} training epoch(s) per precision policy: {described}", title_justify="left")
    for column in ("preset", "policy", "s / epoch (median)", "images/s", "vs float32", "test acc (± std)"):
        table.add_column(column, justify="left" if column in ("preset", "policy") else "right")
    for preset in presets:
        base = statistics.median(seconds[(preset, "float32")])
        for policy in POLICIES:
            s = statistics.median(seconds[(preset, policy)])
            acc = accuracy[(preset, policy)]
            spread = f" ± {statistics.stdev(acc):.4f}" if len(acc) > 1 else ""
            table.add_row(
                preset,
                policy,
                f"{s:.2f}",
                f"{len(data.y_train) / s:,.0f}",
                f"{base / s:.2f}x",
                f"{statistics.mean(acc):.4f}{spread}",
            )
    Console().print(table)


if __name__ == "__main__":
    main()
