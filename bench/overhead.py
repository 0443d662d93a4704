"""Overhead of a search trial: one epoch of a preset inside our trial machinery vs plain ``model.fit``.

A (trial): a fresh run folder and ``RunHyperband`` seeded with the preset (so its first trial is that
preset), the worker's callbacks (``trial_callbacks``: progress events, TensorBoard with HParams, early
stopping), events serialised as JSON and drawn by a live ``SearchProgress`` (4 redraws/s into a buffer),
KerasTuner's best-epoch checkpoint, trial/oracle JSON writes and the timing file; timed from
``tuner.search`` to the end of the trial (the input pipeline and the tuner's construction are per-worker
costs, shown apart).
The trial is given its data as the search's worker gives it (``training.batches.fit_inputs``).
B (plain): build and compile the same model from the same HyperModel, ``model.fit`` on the NumPy arrays
(as a Keras user writes it) with the same validation data, batch size and epochs, ``verbose=0``, no
callbacks. C: the same as B, on the pipeline the trial gets: A / C is what our machinery alone costs.

A, B and C alternate (A B C A B C ...) in one process after one untimed warm-up of each; medians are
compared. The last line is ``ratio X.XX``: the median over rounds of A / B (each A beside its B, so slow
drifts in the load of a shared machine cancel). Goal: <= 1.05. The line before it gives A / C.

    .venv/bin/python bench/overhead.py [--quick] [--tiny] [--preset convnet] [--repeats 7] [--subset 10000]
                                       [--kerastuner-default] [--profile FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import tempfile
import time
from pathlib import Path

import _common
from rich.console import Console
from rich.table import Table


def trial_once(
    hypermodel, data, preset: str, epochs: int, batch_size: int, folder: Path, profiler=None, tensorboard: bool = True
) -> dict:
    """One search trial of ``preset`` for ``epochs`` epochs; seconds of each phase."""
    from emnist_tuner.hyperband.space import preset_starting_points
    from emnist_tuner.hyperband.tuner import RunHyperband, TrialBudgetReached, trial_callbacks
    from emnist_tuner.reports.progress import SearchProgress
    from emnist_tuner.runfolder.configs import SearchConfig
    from emnist_tuner.runfolder.layout import RunFolder

    # factor > max_epochs: one Hyperband bracket whose trials all train max_epochs epochs
    config = SearchConfig(
        dataset=data.info.name,
        max_epochs=epochs,
        factor=epochs + 1,
        subset=None,
        batch_size=batch_size,
        seed_presets=[preset],
        tensorboard=tensorboard,
    )
    run = RunFolder(folder)
    run.logs.mkdir(parents=True, exist_ok=True)
    marks: dict[str, float] = {}
    display = SearchProgress(Console(file=io.StringIO(), force_terminal=True, width=100), 1, epochs, live=True)

    def emit(event: dict) -> None:
        now = time.perf_counter()
        if event["event"] == "epoch_begin":
            marks.setdefault("first_epoch", now)
        elif event["event"] == "epoch_end":
            marks["last_epoch_end"] = now
        display.handle(json.loads(json.dumps(event)))  # what the worker's pipe and the parent do

    started = time.perf_counter()
    inputs = _common.feed(data, batch_size, ours=True)  # built once per worker in a search
    tuner = RunHyperband(
        hypermodel, config, run, emit=emit, budget=1, starting_points=preset_starting_points(hypermodel, [preset])
    )
    built = time.perf_counter()
    with display:
        if profiler:
            profiler.enable()
        try:
            tuner.search(**inputs, epochs=epochs, callbacks=trial_callbacks(run, config, emit), verbose=0)
        except TrialBudgetReached:
            pass
        ended = time.perf_counter()
        if profiler:
            profiler.disable()
    trial = next(iter(tuner.oracle.trials.values()))
    if trial.status != "COMPLETED":
        raise SystemExit(f"the trial did not complete: {trial.status} {trial.message}")
    return {
        "total": ended - built,
        "tuner": built - started,
        "build": marks["first_epoch"] - built,
        "fit": marks["last_epoch_end"] - marks["first_epoch"],
        "after": ended - marks["last_epoch_end"],
    }


@contextlib.contextmanager
def kerastuner_default():
    """RunHyperband without the speed and memory changes of issue 7 (for before/after figures)."""
    import gc
    import types

    import keras_tuner as kt

    from emnist_tuner.hyperband import tuner

    saved = (tuner.RunHyperband.__dict__["_activate_all_conditions"], tuner.gc, tuner.release_memory)
    tuner.RunHyperband._activate_all_conditions = kt.Hyperband._activate_all_conditions
    tuner.gc = types.SimpleNamespace(collect=gc.collect, freeze=lambda: None, unfreeze=lambda: None)
    tuner.release_memory = lambda: None
    try:
        yield
    finally:
        tuner.RunHyperband._activate_all_conditions, tuner.gc, tuner.release_memory = saved


def plain_once(hypermodel, data, preset: str, epochs: int, batch_size: int, pipeline: bool = False) -> dict:
    """The same model built and fitted with plain Keras: on the arrays, or on the trial's ``pipeline``."""
    import keras

    from emnist_tuner.searchspace import preset_hyperparameters

    marks: dict[str, float] = {}

    class Marks(keras.callbacks.Callback):  # epoch-level hooks only: Keras calls those anyway
        def on_epoch_begin(self, epoch, logs=None):
            marks.setdefault("first_epoch", time.perf_counter())

    keras.backend.clear_session()  # as KerasTuner does before each build (untimed here)
    gc.collect()
    started = time.perf_counter()
    model = hypermodel.build(preset_hyperparameters(preset, hypermodel))
    model.fit(**_common.feed(data, batch_size, ours=pipeline), epochs=epochs, verbose=0, callbacks=[Marks()])
    ended = time.perf_counter()
    return {"total": ended - started, "build": marks["first_epoch"] - started, "fit": ended - marks["first_epoch"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 pairs on a 5,000-image slice (about a minute)")
    parser.add_argument("--tiny", action="store_true", help="2 pairs on the synthetic dataset (checks the script)")
    parser.add_argument("--preset", default="convnet")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=None, help="timed A/B pairs (default 7; --quick 5)")
    parser.add_argument("--subset", type=int, default=None, help="training images (default 10,000; --quick 5,000)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--kerastuner-default",
        action="store_true",
        help="also time A with KerasTuner's own behaviour where RunHyperband changes it (no "
        "gc.freeze, all its exploratory builds, no memory release after a trial)",
    )
    parser.add_argument(
        "--no-tensorboard",
        action="store_true",
        help="also time A as `search --no-tensorboard` runs it (no TensorBoard logs)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        default=None,
        help="also write cProfile stats of the timed trials (A, from tuner.search on) to FILE",
    )
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.tiny else 5 if args.quick else 7)
    subset = args.subset or (5_000 if args.quick else 10_000)

    import keras

    from emnist_tuner.runfolder.configs import SearchConfig
    from emnist_tuner.searchspace import CharacterHyperModel

    data, described = _common.bench_data(args.tiny, subset, args.data_dir)
    augmentations = tuple(SearchConfig(dataset=data.info.name).augmentations)
    hypermodel = CharacterHyperModel(
        input_shape=data.info.image_shape, num_classes=data.info.num_classes, augmentations=augmentations
    )
    keras.utils.set_random_seed(0)
    trials: list[dict] = []
    plains: list[dict] = []
    pipelined: list[dict] = []
    defaults: list[dict] = []
    quiet: list[dict] = []
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats + 1):  # round 0 is the untimed warm-up
            if args.kerastuner_default:
                with kerastuner_default():
                    before = trial_once(
                        hypermodel, data, args.preset, args.epochs, args.batch_size, Path(tmp) / f"default{i}"
                    )
                if i:
                    defaults.append(before)
            if args.no_tensorboard:
                without = trial_once(
                    hypermodel,
                    data,
                    args.preset,
                    args.epochs,
                    args.batch_size,
                    Path(tmp) / f"quiet{i}",
                    tensorboard=False,
                )
                if i:
                    quiet.append(without)
            a = trial_once(
                hypermodel,
                data,
                args.preset,
                args.epochs,
                args.batch_size,
                Path(tmp) / f"run{i}",
                profiler if i else None,
            )
            b = plain_once(hypermodel, data, args.preset, args.epochs, args.batch_size)
            c = plain_once(hypermodel, data, args.preset, args.epochs, args.batch_size, pipeline=True)
            if i:
                trials.append(a)
                plains.append(b)
                pipelined.append(c)
    med = {key: _common.median([t[key] for t in trials]) for key in trials[0]}
    pmed = {key: _common.median([p[key] for p in plains]) for key in plains[0]}
    pair_ratios = [a["total"] / b["total"] for a, b in zip(trials, plains)]
    ratio = _common.median(pair_ratios)  # paired: each A beside its B, so load drifts cancel
    cmed = _common.median([c["total"] for c in pipelined])
    machinery = _common.median([a["total"] / c["total"] for a, c in zip(trials, pipelined)])

    table = Table(
        title=f"{args.preset}, {args.epochs} epoch(s), batch {args.batch_size}: search trial (A) vs "
        f"plain model.fit (B), median of {repeats} interleaved pairs"
    )
    for name in ("phase", "A: trial (s)", "B: plain (s)", "A - B (s)"):
        table.add_column(name, justify="right" if name != "phase" else "left")
    table.add_row(
        "until the first epoch: build, compile, fit set-up (A: + trial set-up)",
        f"{med['build']:.3f}",
        f"{pmed['build']:.3f}",
        f"{med['build'] - pmed['build']:+.3f}",
    )
    table.add_row(
        "epochs (fit incl. validation)", f"{med['fit']:.3f}", f"{pmed['fit']:.3f}", f"{med['fit'] - pmed['fit']:+.3f}"
    )
    table.add_row(
        "after the last epoch (A: checkpoint, trial end, writes)", f"{med['after']:.3f}", "", f"{med['after']:+.3f}"
    )
    table.add_row("total", f"{med['total']:.3f}", f"{pmed['total']:.3f}", f"{med['total'] - pmed['total']:+.3f}")
    table.add_row("per worker, not in A: input pipeline and RunHyperband construction", f"{med['tuner']:.3f}", "", "")
    table.add_row(
        "C: plain fit on the trial's input pipeline (training.batches): total",
        "",
        f"{cmed:.3f}",
        f"{med['total'] - cmed:+.3f}",
    )
    if defaults:
        dmed = {key: _common.median([d[key] for d in defaults]) for key in defaults[0]}
        table.add_row(
            "A with KerasTuner's defaults (before issue 7): total / construction",
            f"{dmed['total']:.3f} / {dmed['tuner']:.3f}",
            "",
            f"{dmed['total'] - pmed['total']:+.3f}",
        )
    if quiet:
        qmed = {key: _common.median([q[key] for q in quiet]) for key in quiet[0]}
        q_ratio = _common.median([q["total"] / b["total"] for q, b in zip(quiet, plains)])
        table.add_row(
            f"A with --no-tensorboard: total / epochs (paired ratio {q_ratio:.2f})",
            f"{qmed['total']:.3f} / {qmed['fit']:.3f}",
            "",
            f"{qmed['total'] - pmed['total']:+.3f}",
        )
    a_totals = ", ".join(f"{t['total']:.2f}" for t in trials)
    b_totals = ", ".join(f"{p['total']:.2f}" for p in plains)
    c_totals = ", ".join(f"{c['total']:.2f}" for c in pipelined)
    minima = min(t["total"] for t in trials) / min(p["total"] for p in plains)
    table.caption = (
        f"data: {described}; totals: A {a_totals}; B {b_totals}; C {c_totals}; ratio of medians "
        f"{med['total'] / pmed['total']:.2f}, of minima {minima:.2f}; "
        f"ratio below: median of the {repeats} pairs' A/B; {_common.machine()}"
    )
    Console().print(table)
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"cProfile stats of A: {args.profile} (python -m pstats {args.profile})")
    print(f"machinery alone: median of A / C {machinery:.2f}")
    print(f"ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
