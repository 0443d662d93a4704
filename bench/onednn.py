"""TensorFlow's oneDNN settings, read when TensorFlow is imported: the speed of a steady epoch per
preset (fed as every fit of ours is: ``training.batches``), each value in its own subprocess, values
alternating (A B A B ...). Memory is ``bench/memory.py`` run with the variable set.

--setting opts: oneDNN's optimizations on and off (``TF_ENABLE_ONEDNN_OPTS``).
--setting allocator: oneDNN's memory from TensorFlow's own pool, which keeps what it once held, or from
malloc (``TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1``) with jemalloc or tcmalloc preloaded (``LD_PRELOAD``; Debian:
libjemalloc2, libtcmalloc-minimal4; jemalloc without its arena for large blocks, which it hands back at
once: ``oversize_threshold:0``). tcmalloc is what search workers use where installed (``hyperband.allocator``).
--setting glibc: the pool against glibc's malloc, alone or keeping blocks up to 32 MiB on its heaps and not
trimming them (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``).
An allocator that is not installed is left out, with a line that says so.

    .venv/bin/python bench/onednn.py [--setting opts|allocator|glibc] [--presets convnet,model1] [--rounds 3]
                                     [--subset 10000] [--data-dir DIR]

--presets also takes RUN:TRIAL_ID, a search trial's model (e.g. a race's largest). The last lines give the
peak RSS of each setting's process (all its models), in the same form.
    .venv/bin/python bench/onednn.py --tiny
"""

from __future__ import annotations

import argparse
import ctypes.util
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

import _common

PEAK = "peak RSS of the process"
SETTINGS = {  # name: {label: environment}; the first is the reference
    "opts": {
        "oneDNN on (TensorFlow's default)": {"TF_ENABLE_ONEDNN_OPTS": "1"},
        "oneDNN off": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    },
    "allocator": {
        "TensorFlow's pool (TensorFlow's default)": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "0"},
        "jemalloc": {
            "TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1",
            "LD_PRELOAD": "libjemalloc.so.2",
            "MALLOC_CONF": "oversize_threshold:0",
        },
        "tcmalloc": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1", "LD_PRELOAD": "libtcmalloc_minimal.so.4"},
    },
    "glibc": {
        "TensorFlow's pool (TensorFlow's default)": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "0"},
        "system malloc": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1"},
        "system malloc, glibc heaps kept": {
            "TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1",
            "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
            "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
        },
    },
}


def one_run(args) -> None:
    """In the subprocess: the second epoch's seconds of each preset, as JSON on the last line."""
    from emnist_tuner.quiet import import_keras_quietly

    import_keras_quietly()
    data, _ = _common.bench_data(args.tiny, args.subset, args.data_dir)
    seconds = {}
    for name in args.presets.split(","):
        build = trial_builder(name) if ":" in name else None
        _, _, marks = _common.timed_fit(name, data, (), _common.feed(data, 128, ours=True), build)
        seconds[name] = marks[3] - marks[2]
    seconds[PEAK] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(seconds))


def trial_builder(name: str):
    """``RUN:TRIAL_ID``: a function building that search trial's model, untrained."""
    from emnist_tuner.hyperband.space import hypermodel_for
    from emnist_tuner.runfolder.configs import SearchConfig
    from emnist_tuner.runfolder.trials import read_trials

    run, trial_id = name.rsplit(":", 1)
    record = next(r for r in read_trials(Path(run)) if r.trial_id == trial_id)
    hypermodel = hypermodel_for(SearchConfig.load(Path(run)))
    values = {k: v for k, v in record.hyperparameters.items() if not k.startswith("tuner/")}
    return lambda: hypermodel.build(hypermodel.hyperparameters_for(values))


def installed(values: dict) -> dict:
    """The values whose preloaded library (if any) is installed; a line for each one left out."""
    kept = {}
    for name, variables in values.items():
        library = variables.get("LD_PRELOAD")
        if library and ctypes.util.find_library(library.removeprefix("lib").split(".so")[0]) is None:
            print(f"{name}: left out ({library} is not installed)")
        else:
            kept[name] = variables
    return kept


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
    values = installed(SETTINGS[args.setting])
    times: dict[str, dict[str, list[float]]] = {name: {} for name in values}
    for _ in range(rounds):
        for name, variables in values.items():
            command = [sys.executable, __file__, "--one-run", "--presets", args.presets, "--subset", str(args.subset)]
            command += (["--data-dir", args.data_dir] if args.data_dir else []) + (["--tiny"] if args.tiny else [])
            out = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, **variables, "TF_CPP_MIN_LOG_LEVEL": "2"},
            )
            for preset, seconds in json.loads(out.stdout.strip().splitlines()[-1]).items():
                times[name].setdefault(preset, []).append(seconds)
    data = "synthetic" if args.tiny else "real MNIST"
    print(
        f"steady epoch seconds (and each process's peak RSS), median of {rounds} alternating rounds ({data}, "
        f"subset {args.subset:,})"
    )
    for name, variables in values.items():
        print(f"{name}: {' '.join(f'{k}={v}' for k, v in variables.items())}")
    base = next(iter(values))
    for measured in [*args.presets.split(","), PEAK]:
        unit = "MiB" if measured == PEAK else "s"
        reference = statistics.median(times[base][measured])
        for name in values:
            median = statistics.median(times[name][measured])
            print(
                f"{measured}, {name}: {median:.2f} {unit} ({median / reference:.2f}x the first's); "
                f"all: {', '.join(f'{s:.2f}' for s in times[name][measured])}"
            )


if __name__ == "__main__":
    main()
