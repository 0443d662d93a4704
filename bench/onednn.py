"""TensorFlow's oneDNN optimizations on and off (``TF_ENABLE_ONEDNN_OPTS``, read when TensorFlow is
imported): the speed of a steady epoch per preset, each setting in its own subprocess, settings
alternating (on off on off ...). Memory is ``bench/memory.py`` run with the variable set.

    .venv/bin/python bench/onednn.py [--presets convnet,model1] [--rounds 3] [--subset 10000] [--data-dir DIR]
    .venv/bin/python bench/onednn.py --tiny
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

import _common

SETTINGS = {"on (TensorFlow's default)": "1", "off": "0"}


def one_run(args) -> None:
    """In the subprocess: the second epoch's seconds of each preset, as JSON on the last line."""
    from emnist_tuner.quiet import import_keras_quietly

    import_keras_quietly()
    data, _ = _common.bench_data(args.tiny, args.subset, args.data_dir)
    seconds = {}
    for preset in args.presets.split(","):
        _, _, marks = _common.two_epochs(preset, data, (data.x_train, data.y_train),
                                         dict(batch_size=128, validation_data=(data.x_val, data.y_val)))
        seconds[preset] = marks[3] - marks[2]
    print(json.dumps(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default="convnet,model1")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--subset", type=int, default=10_000)
    parser.add_argument("--data-dir", default=_common.default_data_dir())
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        return one_run(args)
    rounds = 1 if args.tiny else args.rounds
    times: dict[str, dict[str, list[float]]] = {name: {} for name in SETTINGS}
    for _ in range(rounds):
        for name, value in SETTINGS.items():
            command = [sys.executable, __file__, "--one-run", "--presets", args.presets, "--subset", str(args.subset)]
            command += (["--data-dir", args.data_dir] if args.data_dir else []) + (["--tiny"] if args.tiny else [])
            out = subprocess.run(command, capture_output=True, text=True, check=True,
                                 env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": value, "TF_CPP_MIN_LOG_LEVEL": "2"})
            for preset, seconds in json.loads(out.stdout.strip().splitlines()[-1]).items():
                times[name].setdefault(preset, []).append(seconds)
    print(f"steady epoch seconds, median of {rounds} alternating rounds ({'synthetic' if args.tiny else 'real MNIST'}, "
          f"subset {args.subset:,})")
    base = next(iter(SETTINGS))
    for preset in args.presets.split(","):
        on = statistics.median(times[base][preset])
        for name in SETTINGS:
            median = statistics.median(times[name][preset])
            print(f"{preset}, oneDNN {name}: {median:.2f} s ({median / on:.2f}x the default's time); "
                  f"all: {', '.join(f'{s:.2f}' for s in times[name][preset])}")


if __name__ == "__main__":
    main()
