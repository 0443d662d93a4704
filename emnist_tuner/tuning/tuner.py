"""The Hyperband tuner of a run: ``kt.Hyperband`` with durable state and progress events.

Nothing of KerasTuner's search logic is re-implemented. What is added:

- KerasTuner's JSON files (oracle.json, tuner0.json, trial.json) are written atomically, and
  oracle.json / tuner0.json keep a ``.last-good`` copy, so a SIGKILL never leaves half a file;
- after a reload, a trial whose trial.json says COMPLETED but which oracle.json still lists as
  running (a kill between KerasTuner's two writes) is not retrained;
- each trial's start/end time goes to ``RUN/timings``; progress goes to an ``emit`` function;
- a worker process can stop after a budget of trials (bounded memory: see ``worker``);
- the study's presets can be the first points Hyperband samples (``seed_presets``).
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import keras
import keras_tuner as kt
from keras_tuner.src import utils as kt_utils
from keras_tuner.src.engine.metrics_tracking import MetricsTracker

from ..errors import RunError
from .atomic import write_json_atomic, write_text_atomic
from .runfolder import LAST_GOOD, PROJECT, RunFolder, storage_problem, write_error

_KEEP_LAST_GOOD = ("oracle.json", "tuner0.json", "chief.json")


def _save_json_atomically(path, obj):
    text = json.dumps(obj)
    path = Path(path)
    try:
        if path.name in _KEEP_LAST_GOOD and path.exists() and path.stat().st_size > 0:
            shutil.copy2(path, path.with_name(path.name + LAST_GOOD))
        write_text_atomic(path, text)
        if path.name == "trial.json":  # a mirror, restored if trial.json is ever damaged (see state_checks)
            write_text_atomic(path.with_name(path.name + LAST_GOOD), text)
    except OSError as exc:
        raise write_error(path, exc) from None
    return text


kt_utils.save_json = _save_json_atomically  # every KerasTuner state write goes through utils.save_json


class TrialBudgetReached(Exception):
    """Raised after a worker has finished its budget of trials (state already saved)."""


def space_fingerprint(hypermodel) -> str:
    """A hash of the search space (every hyperparameter's name, type and range) and fixed settings."""
    hp = kt.HyperParameters()
    hypermodel.build(hp)
    keras.backend.clear_session()
    space = [p.get_config() for p in hp.space]
    fixed = {k: v for k, v in vars(hypermodel).items() if isinstance(v, (int, str, tuple, list))}
    blob = json.dumps([space, fixed], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class EventCallback(keras.callbacks.Callback):
    """Sends epoch and (throttled) batch progress to ``emit``. Deep-copying returns itself, so
    the one callback given to ``search`` keeps its sink inside every trial."""

    def __init__(self, emit, batch_interval: float = 0.5):
        super().__init__()
        self.emit = emit
        self.batch_interval = batch_interval
        self._last = 0.0

    def __deepcopy__(self, memo):
        return self

    def on_epoch_begin(self, epoch, logs=None):
        steps = self.params.get("steps") if self.params else None
        self.emit({"event": "epoch_begin", "epoch": epoch, "steps": steps})

    def on_train_batch_end(self, batch, logs=None):
        now = time.monotonic()
        if now - self._last >= self.batch_interval:
            self._last = now
            self.emit({"event": "batch", "batch": batch + 1})

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        self.emit({"event": "epoch_end", "epoch": epoch, **logs})


def trial_callbacks(run: RunFolder, config, emit) -> list:
    """The callbacks of every search trial: progress events, TensorBoard (with the TensorFlow backend:
    Keras' TensorBoard callback writes through ``tf.summary``, and KerasTuner adds the HParams and
    per-trial folders only then), early stopping."""
    callbacks = [EventCallback(emit)]
    if keras.backend.backend() == "tensorflow":
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run.logs / "tensorboard"), write_graph=False,
                                                     profile_batch=0))
    if config.patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=config.patience))
    return callbacks


def preset_starting_points(hypermodel, names) -> list[dict]:
    """The values of each named preset that is a point of ``hypermodel``'s space (others are skipped,
    e.g. a preset with 128 filters in a space restricted to 64)."""
    from ..errors import ConfigError
    from ..searchspace import preset_hyperparameters

    points = []
    for name in names:
        try:
            hp = preset_hyperparameters(name, hypermodel)
        except ConfigError:
            continue
        hp.ensure_active_values()
        points.append(dict(hp.values))
    return points


def seed_random_sampling(oracle, points: list[dict]) -> None:
    """Make the oracle's random sampling return each of ``points`` first, once each.

    Stateless across processes: a point counts as used once KerasTuner has recorded its values
    (``_tried_so_far`` is part of oracle.json), so a resumed search never repeats it.
    """
    sample = oracle._random_values
    issued: set[str] = set()

    def seeded_random_values():
        for values in points:
            key = oracle._compute_values_hash(values)
            if key not in issued and not oracle._duplicate(values):
                issued.add(key)
                return dict(values)
        return sample()

    oracle._random_values = seeded_random_values


def release_traced_graphs() -> None:
    """Forget the gradient functions TensorFlow registered for earlier trials' traced training steps.

    Each trace of a Keras training step registers a ``CustomGradient-<uid>`` function in TensorFlow's
    global gradient registry and never removes it; its closure holds that step's whole FuncGraph, so
    every trained model stayed in memory (about 20 MiB a trial, even after ``clear_session()``).
    Called after each trial, when its graphs are not used again. No-op on other backends."""
    if keras.backend.backend() != "tensorflow":
        return
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):  # another TensorFlow layout: keep its behaviour
        return
    for name in [name for name in registry if name.startswith("CustomGradient-")]:
        del registry[name]


def release_memory() -> None:
    """After a trial: drop its traced graphs and Keras state, collect, and hand the freed heap back to
    the system (glibc keeps freed blocks otherwise: RSS then follows the largest model so far)."""
    release_traced_graphs()
    keras.backend.clear_session()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


class RunHyperband(kt.Hyperband):
    """``kt.Hyperband`` over the run folder's KerasTuner project."""

    def __init__(self, hypermodel, config, run: RunFolder, emit=lambda event: None, budget: int | None = None,
                 **kwargs):
        self.run = run
        self.emit = emit
        self.budget = budget
        self.finished_here = 0
        self._started: dict[str, float] = {}
        super().__init__(
            hypermodel=hypermodel,
            objective="val_accuracy",
            max_epochs=config.max_epochs,
            factor=config.factor,
            hyperband_iterations=config.iterations,
            seed=config.seed,
            directory=str(run.path),
            project_name=PROJECT,
            overwrite=False,
            # None disables KerasTuner's stop after N failures in a row: its check raises before the
            # trial is saved, leaving a run that can never finish. Failed trials are cheap; go on.
            max_consecutive_failed_trials=None,
            max_model_size=config.max_params,
            **kwargs,
        )
        if config.seed_presets and not self._is_worker():  # a distributed worker's oracle is the chief's
            seed_random_sampling(self.oracle, preset_starting_points(hypermodel, config.seed_presets))
        # Everything alive now (modules, data, this tuner) lives as long as the search: frozen until
        # search() ends, it is skipped by the two full collections before every trial (KerasTuner's
        # and clear_session's), which took 0.2-0.3 s each on a 2-core CPU.
        gc.collect()
        gc.freeze()

    def _activate_all_conditions(self):
        # KerasTuner builds the model again and again (about 30 builds, 1 s) until every conditional
        # scope has been active once; CharacterHyperModel.declare_hyperparameters has already declared
        # the whole space, inactive conditional hyperparameters included.
        if type(self.hypermodel).declare_hyperparameters is kt.HyperModel.declare_hyperparameters:
            super()._activate_all_conditions()

    def search(self, *fit_args, **fit_kwargs):
        try:
            return super().search(*fit_args, **fit_kwargs)
        finally:
            gc.unfreeze()  # see the end of __init__

    def reload(self):
        super().reload()
        oracle = self.oracle
        changed = False
        for trial_id in list(oracle._retry_queue):
            trial = oracle.trials.get(trial_id)
            if trial is None:
                continue
            if trial.status in ("COMPLETED", "FAILED"):  # ended on disk; the kill came before oracle.json
                oracle._retry_queue.remove(trial_id)
                if trial_id not in oracle.end_order:
                    oracle.end_order.append(trial_id)
                changed = True
            else:  # rerun from scratch: forget metrics a killed run may have reported
                trial.metrics = MetricsTracker()
                trial.best_step = 0
        known = set(oracle.start_order)
        for trial_id in [t for t, trial in oracle.trials.items() if t not in known and trial.status == "RUNNING"]:
            del oracle.trials[trial_id]  # created on disk, never recorded by the oracle: its id is reused
        if changed:
            oracle.save()

    def _try_run_and_update_trial(self, trial, *fit_args, **fit_kwargs):
        super()._try_run_and_update_trial(trial, *fit_args, **fit_kwargs)
        problem = storage_problem(trial.message) if trial.status in ("INVALID", "FAILED") else None
        if problem:  # a full disk is no reason to record the trial as failed: stop, it is rerun on resume
            raise RunError(f"trial {trial.trial_id} could not save its files ({problem}); free space (or make "
                           f"{self.run.path} writable) and resume: completed trials are kept, this one is rerun")

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        self._started[trial.trial_id] = time.time()
        values = trial.hyperparameters.values
        self.emit({
            "event": "trial_begin",
            "trial_id": trial.trial_id,
            "number": len(self.oracle.start_order) if hasattr(self.oracle, "start_order") else None,
            "bracket": values.get("tuner/bracket"),
            "round": values.get("tuner/round"),
            "epochs": values.get("tuner/epochs"),
            "initial_epoch": values.get("tuner/initial_epoch", 0),
        })

    def on_trial_end(self, trial):
        super().on_trial_end(trial)  # KerasTuner ends the trial and saves its state
        trial = self.oracle.get_trial(trial.trial_id)  # the oracle's copy (the chief's, when distributed)
        release_memory()  # before the RSS below is recorded
        started = self._started.pop(trial.trial_id, time.time())
        timing = {"trial_id": trial.trial_id, "started": started, "ended": time.time(), "status": trial.status,
                  "rss_mib": _rss_mib(), "pid": os.getpid(),
                  "tuner": self.tuner_id}
        write_json_atomic(self.run.timings / f"{trial.trial_id}.json", timing)
        message = (trial.message or "").strip().splitlines()
        self.emit({
            "event": "trial_end",
            "trial_id": trial.trial_id,
            "status": trial.status,
            "score": trial.score,
            "seconds": timing["ended"] - started,
            "message": message[-1] if message else "",
        })
        self.finished_here += 1
        if self.budget is not None and self.finished_here >= self.budget:
            raise TrialBudgetReached()


def _rss_mib() -> float | None:
    """This process's resident memory (Linux), recorded with each trial's timing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def best_completed_trial(oracle):
    """The completed trial with the best score (KerasTuner's get_best_trials can return running ones)."""
    done = [t for t in oracle.trials.values() if t.status == "COMPLETED" and t.score is not None]
    return max(done, key=lambda t: t.score) if done else None


def epochs_reached(trial) -> int:
    """Epochs the trial's best model had trained in total (continued trials start at initial_epoch)."""
    values = trial.hyperparameters.values
    start = int(values.get("tuner/initial_epoch", 0))
    best = int(trial.best_step or 0) + 1
    return min(start + best, int(values.get("tuner/epochs", start + best)))
