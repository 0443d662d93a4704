"""A worker process: runs a budget of Hyperband trials (or the final retrain) of one run, then exits.

TensorFlow keeps 12-15 MiB of memory per trained model even after ``clear_session()``, so a
long search in one process grows without bound. The search command therefore runs trials in
workers of bounded lifetime that resume KerasTuner's saved state one after the other; the
parent process renders progress from the JSON events a worker writes to ``--events-fd``.

    python -m emnist_tuner.hyperband.worker RUN --mode search --budget 8 --events-fd 3
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _die_with_parent(parent_pid: int | None) -> None:
    """Linux: get SIGKILL when the parent dies, so a killed search leaves no orphan training."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if parent_pid is not None and os.getppid() != parent_pid:  # it died before prctl took effect
        os._exit(1)


def _emitter(fd: int | None):
    if fd is None:
        return lambda event: None
    stream = os.fdopen(fd, "w", buffering=1)

    def emit(event: dict) -> None:
        try:
            stream.write(json.dumps(event) + "\n")
        except BrokenPipeError:  # the parent is gone
            os._exit(1)

    return emit


def run_worker(run_path: str, mode: str, budget: int | None, emit, data_dir: str | None = None) -> None:
    """One worker's work on the run in ``run_path``: ``mode`` "search" trains up to ``budget`` trials
    (None: until the search is done), "final" retrains the winner; progress goes to ``emit`` as events."""
    import keras

    from ..data.prepare import prepare_data
    from ..runfolder.configs import SearchConfig
    from ..runfolder.layout import RunFolder
    from ..training.devices import configure_devices
    from . import kt_ext
    from .allocator import describe_allocator
    from .growth import budget_callbacks
    from .space import hypermodel_for, preset_points
    from .tuner import RunHyperband, TrialBudgetReached, trial_callbacks

    kt_ext.apply_patches()
    run = RunFolder(run_path)
    config = SearchConfig.load(run.path)
    config.data_dir = data_dir or config.data_dir  # a distributed worker's own data folder
    setup = configure_devices(config.precision)
    emit({"event": "devices", "description": f"{setup.describe()}, {describe_allocator(setup.backend)}"})
    keras.utils.set_random_seed(config.seed)
    subset = config.subset if mode == "search" else None  # the final retrain uses all the data
    data = prepare_data(config.dataset, subset, config.seed, config.val_fraction, config.data_dir)
    if mode == "search":
        emit(
            {
                "event": "data",
                "dataset": config.dataset,
                "train": len(data.y_train),
                "val": len(data.y_val),
                "test": len(data.y_test),
                "subset": config.subset,
            }
        )
    hypermodel = hypermodel_for(config)
    presets = preset_points(hypermodel, config.seed_presets)  # a distributed worker's local oracle does not
    tuner = RunHyperband(
        hypermodel,
        config,
        run,
        emit=emit,
        budget=budget,  # sample: the chief's does
        starting_points=list(presets.values()),
        presets=presets,
        distribution_strategy=setup.strategy,
    )
    if mode == "final":
        from .final import retrain_best

        retrain_best(tuner, config, data, emit)
        return
    callbacks = trial_callbacks(run, config, tuner.emit)  # the tuner counts each trial's epochs
    callbacks += budget_callbacks(config, tuner.emit, os.environ)  # --time-budget-hard
    # each trial's input pipeline is made from these once its seed is set (RunHyperband.run_trial)
    tuner.fit_data = (data.x_train, data.y_train, config.batch_size, (data.x_val, data.y_val))
    try:
        tuner.search(epochs=config.max_epochs, callbacks=callbacks, verbose=0)
    except TrialBudgetReached:
        emit({"event": "budget"})
        return
    emit({"event": "search_done"})


def main(argv: list[str] | None = None) -> int:
    """Command line of a worker process (see the module docstring); returns the exit code (0, 1 after an
    error event, 130 when interrupted)."""
    parser = argparse.ArgumentParser(prog="python -m emnist_tuner.hyperband.worker")
    parser.add_argument("run")
    parser.add_argument("--mode", choices=["search", "final", "chief"], default="search")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--worker-timeout", type=float, default=120.0)
    parser.add_argument("--no-adopt", action="store_true")  # chief: running trials go to any worker
    parser.add_argument("--budget", type=int, default=None)
    parser.add_argument("--events-fd", type=int, default=None)
    parser.add_argument("--parent-pid", type=int, default=None)
    args = parser.parse_args(argv)
    _die_with_parent(args.parent_pid)
    emit = _emitter(args.events_fd)
    try:
        if args.mode == "chief":  # the oracle server of a distributed search
            from .distributed.chief import run_chief

            run_chief(args.run, emit, args.worker_timeout, adopt=not args.no_adopt)
        else:
            run_worker(args.run, args.mode, args.budget, emit, args.data_dir)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # reported to the parent, full traceback in the worker log
        traceback.print_exc()
        from ..errors import EmnistTunerError

        message = str(exc) if isinstance(exc, EmnistTunerError) else _grpc_reason(exc) or f"{type(exc).__name__}: {exc}"
        emit({"event": "error", "message": message})
        return 1
    return 0


def _grpc_reason(exc: BaseException) -> str | None:
    if "grpc" not in sys.modules:
        return None
    from .distributed.client import rpc_message

    return rpc_message(exc)


if __name__ == "__main__":
    sys.exit(main())
