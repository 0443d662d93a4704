"""TensorFlow's oneDNN settings, read when TensorFlow is imported: the speed of a steady epoch per
preset (fed as every fit of ours is: ``training.batches``), each value in its own subprocess, values
alternating (A B A B ...). Memory is ``bench/memory.py`` run with the variable set.

--setting opts: oneDNN's optimizations on and off (``TF_ENABLE_ONEDNN_OPTS``).
--setting allocator: oneDNN's memory from TensorFlow's own pool, which keeps what it once held, or from
the system's malloc (``TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1``), alone or with glibc keeping blocks up to
32 MiB on its heaps and not trimming them (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``).

    .venv/bin/python bench/onednn.py [--setting opts|allocator] [--presets convnet,model1] [--rounds 3]
                                     [--subset 10000] [--data-dir DIR]
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

SETTINGS = {  # name: {label: environment}; the first is the reference
    "opts": {"oneDNN on (TensorFlow's default)": {"TF_ENABLE_ONEDNN_OPTS": "1"},
             "oneDNN off": {"TF_ENABLE_ONEDNN_OPTS": "0"}},
    "allocator": {"TensorFlow's pool (TensorFlow's default)": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "0"},
                  "system malloc": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1"},
                  "system malloc, glibc heaps kept": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1",
                                                      "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
                                                      "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}},
}


def one_run(args) -> None:
    """In the subprocess: the second epoch's seconds of each preset, as JSON on the last line."""
    from emnist_tuner.quiet import import_keras_quietly

    import_keras_quietly()
    from emnist_tuner.training.batches import fit_inputs

    data, _ = _common.bench_data(args.tiny, args.subset, args.data_dir)
    seconds = {}
    for preset in args.presets.split(","):
        _, _, marks = _common.two_epochs(preset, data, (), fit_inputs(data.x_train, data.y_train, 128,
                                                                      (data.x_val, data.y_val)))
        seconds[preset] = marks[3] - marks[2]
    print(json.dumps(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setting", choices=sorted(SETTINGS), default="opts")
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
    values = SETTINGS[args.setting]
    times: dict[str, dict[str, list[float]]] = {name: {} for name in values}
    for _ in range(rounds):
        for name, variables in values.items():
            command = [sys.executable, __file__, "--one-run", "--presets", args.presets, "--subset", str(args.subset)]
            command += (["--data-dir", args.data_dir] if args.data_dir else []) + (["--tiny"] if args.tiny else [])
            out = subprocess.run(command, capture_output=True, text=True, check=True,
                                 env={**os.environ, **variables, "TF_CPP_MIN_LOG_LEVEL": "2"})
            for preset, seconds in json.loads(out.stdout.strip().splitlines()[-1]).items():
                times[name].setdefault(preset, []).append(seconds)
    print(f"steady epoch seconds, median of {rounds} alternating rounds ({'synthetic' if args.tiny else 'real MNIST'}, "
          f"subset {args.subset:,})")
    for name, variables in values.items():
        print(f"{name}: {' '.join(f'{k}={v}' for k, v in variables.items())}")
    base = next(iter(values))
    for preset in args.presets.split(","):
        reference = statistics.median(times[base][preset])
        for name in values:
            median = statistics.median(times[name][preset])
            print(f"{preset}, {name}: {median:.2f} s ({median / reference:.2f}x "
                  f"the first's time); "
                  f"all: {', '.join(f'{s:.2f}' for s in times[name][preset])}")


if __name__ == "__main__":
    main()
