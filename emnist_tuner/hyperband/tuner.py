"""``RunHyperband``: ``keras_tuner.Hyperband`` over a run folder, with our oracle and progress events.

Nothing of KerasTuner's search logic is re-implemented; it is extended through its tuner's own
hooks (``on_trial_begin``/``on_trial_end``, ``save``, ``run_trial``'s wrapper) and handed a
``RunOracle`` (see ``oracle``). What the tuner adds:

- its own state file (tuner0.json, chief.json) is written atomically with a ``.last-good`` copy;
- each trial's start and end time (and the process's memory) goes to ``RUN/timings``, progress to an
  ``emit`` function;
- a full disk (or a read-only folder) while a trial saves its files stops the search with one line
  instead of recording the trial as failed (it is rerun on resume);
- a worker process can stop after a budget of trials (bounded memory: see ``worker``);
- KerasTuner's ~30 exploratory builds per process are skipped: the space is declared whole;
- each trial seeds itself from the search's seed and its trial id, and gets a fresh input pipeline
  (``run_trial``): its initial weights and batch order do not depend on the worker that runs it.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Sequence

import keras
import keras_tuner as kt

from ..errors import RunError
from ..io import write_json_atomic
from ..runfolder.layout import PROJECT, RunFolder
from ..runfolder.lifecycle import storage_problem
from ..runfolder.trials import failure_reason
from ..training.batches import fit_inputs
from ..training.fit import EventCallback
from . import kt_ext, retention
from .allocator import allocator_in_use
from .memory import release_memory, rss_mib
from .oracle import RunOracle, _write_state, trial_number
from .space import preset_of


class TrialBudgetReached(Exception):
    """Raised after a worker has finished its budget of trials (state already saved)."""


class StorageProblem(kt.errors.FatalError):
    """A trial could not write its files for want of space or permission (KerasTuner re-raises fatal errors)."""


class TensorBoard(keras.callbacks.TensorBoard):
    """Keras' ``TensorBoard`` writing per epoch only (``update_freq="epoch"``, no profiling): Keras' own
    callback calls ``summary.scalar`` for every metric at every batch even then, with no writer to record
    them (measured: 0.06 s per 1-epoch trial). Epoch summaries are written as before.

    Its class is named ``TensorBoard`` on purpose: KerasTuner recognises the callback by its class name,
    and only then gives each trial its own log folder (``RUN/logs/tensorboard/TRIAL/execution0``) and adds
    the trial's HParams (``tests/hyperband/test_search_e2e.py`` reads them back)."""

    def __init__(self, log_dir: str):
        super().__init__(log_dir=log_dir, write_graph=False, profile_batch=0, update_freq="epoch")

    def on_train_batch_begin(self, batch, logs=None):
        """Nothing: no per-batch summaries."""
        pass

    def on_train_batch_end(self, batch, logs=None):
        """Nothing: no per-batch summaries."""
        pass


def trial_callbacks(run: RunFolder, config, emit) -> list:
    """The callbacks of every search trial: progress events, TensorBoard (with the TensorFlow backend:
    Keras' TensorBoard callback writes through ``tf.summary``, and KerasTuner adds the HParams and
    per-trial folders only then; unless the search was started with --no-tensorboard), early stopping."""
    callbacks = [EventCallback(emit)]
    if keras.backend.backend() == "tensorflow" and getattr(config, "tensorboard", True):
        callbacks.append(TensorBoard(str(run.tensorboard)))
    if config.patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=config.patience))
    return callbacks


EPOCH_KEYS = ("epoch", "seconds", "loss", "accuracy", "val_loss", "val_accuracy")


def trial_seed(search_seed: int, trial_id: str) -> int:
    """The random seed of one trial: a function of the search's seed and the trial's id alone."""
    return (int(search_seed) * 1_000_003 + int(trial_id)) % 2**32


class RunHyperband(kt.Hyperband):
    """``kt.Hyperband`` over the run folder's KerasTuner project, with a ``RunOracle``."""

    def __init__(
        self,
        hypermodel,
        config,
        run: RunFolder,
        emit=lambda event: None,
        budget: int | None = None,
        starting_points: Sequence[dict] = (),
        presets: dict[str, dict] | None = None,
        **kwargs,
    ):
        self.run = run
        self.presets = presets or {}  # name -> values: a trial that is a preset has its name in RUN/timings
        self.emit = self._counting_epochs(emit)  # hand this one to the trial callbacks (trial_callbacks)
        self._epochs_trained = 0
        self._epoch_log: list[dict] = []  # this trial's metrics, epoch by epoch (RUN/timings; `plot`)
        self._parameters: int | None = None
        self._trial = None  # the trial being trained (its epochs are recorded as they end)
        self._stopped_on_budget = False  # --time-budget-hard stopped the trial being trained
        self.budget = budget
        self.search_seed = config.seed
        self.search_config = config  # --keep-checkpoints (retention.prune after each trial)
        self.fit_data: tuple | None = None  # (x, y, batch_size, validation): see run_trial
        self.finished_here = 0
        self._started: dict[str, float] = {}
        oracle = RunOracle(
            objective="val_accuracy",
            max_epochs=config.max_epochs,
            factor=config.factor,
            hyperband_iterations=config.iterations,
            seed=config.seed,
            # None disables KerasTuner's stop after N failures in a row: its check raises before the
            # trial is saved, leaving a run that can never finish. Failed trials are cheap; go on.
            max_consecutive_failed_trials=None,
            starting_points=starting_points,
        )
        # kt.Hyperband's own __init__ only builds a HyperbandOracle; the Tuner takes ours instead.
        kt.Tuner.__init__(
            self,
            oracle=oracle,
            hypermodel=hypermodel,
            directory=str(run.path),
            project_name=PROJECT,
            overwrite=False,
            max_model_size=config.max_params,
            **kwargs,
        )
        if self._is_worker():  # a distributed worker (KERASTUNER_* set): talk to the chief's oracle our way
            from .distributed.client import RunOracleClient

            self.oracle = RunOracleClient(oracle, self.tuner_id, emit)
        # Everything alive now (modules, data, this tuner) lives as long as the search: frozen until
        # search() ends, it is skipped by the two full collections before every trial (KerasTuner's
        # and clear_session's), which took 0.2-0.3 s each on a 2-core CPU.
        gc.collect()
        gc.freeze()

    def _counting_epochs(self, emit):
        def counting(event: dict) -> None:
            if event.get("event") == "epoch_end":
                self._epochs_trained += 1
                self._epoch_log.append(
                    {k: round(v, 6) if isinstance(v, float) else v for k, v in event.items() if k in EPOCH_KEYS}
                )
                self._record_epochs()
            elif event.get("event") == "train_begin":
                self._parameters = event.get("parameters")
            elif event.get("event") == "budget_stop":  # --time-budget-hard (growth.budget_callbacks)
                self._stopped_on_budget = True
            emit(event)

        return counting

    def _activate_all_conditions(self):
        # KerasTuner builds the model again and again (about 30 builds, 1 s) until every conditional
        # scope has been active once; CharacterHyperModel.declare_hyperparameters has already declared
        # the whole space, inactive conditional hyperparameters included.
        if type(self.hypermodel).declare_hyperparameters is kt.HyperModel.declare_hyperparameters:
            super()._activate_all_conditions()

    def save(self):
        """Writes the oracle's state (unless a distributed worker: the chief's is remote) and this
        tuner's, atomically."""
        if not self._is_worker():
            self.oracle.save()
        _write_state(self._get_tuner_fname(), self.get_state(), keep="previous")

    def search(self, *fit_args, **fit_kwargs):
        """KerasTuner's ``search``; the objects frozen for the garbage collector are thawed at its end."""
        try:
            return super().search(*fit_args, **fit_kwargs)
        finally:
            gc.unfreeze()  # see the end of __init__

    def run_trial(self, trial, *fit_args, **fit_kwargs):
        """KerasTuner's trial, seeded from the search's seed and the trial id, on a fresh input pipeline
        over ``fit_data`` when given (a pipeline shared by the trials of a worker would hand each one the
        batch order of its position in the worker)."""
        keras.utils.set_random_seed(trial_seed(self.search_seed, trial.trial_id))
        if self.fit_data is not None:
            fit_kwargs.update(fit_inputs(*self.fit_data))
        return super().run_trial(trial, *fit_args, **fit_kwargs)

    def _build_and_fit_model(self, trial, *fit_args, **fit_kwargs):
        # KerasTuner's extension point around one fit: the best epoch's weights are kept in memory and
        # written once at the end of fit instead of at every improving epoch (kt_ext.best_epoch_in_memory)
        fit_kwargs["callbacks"] = [kt_ext.best_epoch_in_memory(c) for c in fit_kwargs.get("callbacks", [])]
        return super()._build_and_fit_model(trial, *fit_args, **fit_kwargs)

    def _run_and_update_trial(self, trial, *fit_args, **fit_kwargs):
        try:
            return super()._run_and_update_trial(trial, *fit_args, **fit_kwargs)
        except Exception as exc:
            problem = storage_problem(exc)
            if problem:  # a full disk is no reason to record the trial as failed: stop, it is rerun on resume
                raise StorageProblem(problem) from exc
            raise

    def _try_run_and_update_trial(self, trial, *fit_args, **fit_kwargs):
        try:
            super()._try_run_and_update_trial(trial, *fit_args, **fit_kwargs)
        except StorageProblem as exc:
            raise RunError(
                f"trial {trial.trial_id} could not save its files ({exc}); free space (or make "
                f"{self.run.path} writable) and resume: completed trials are kept, this one is "
                "rerun"
            ) from None

    def _timing(self, trial, status: str, ended: float | None = None) -> dict:
        """The trial's record for ``RUN/timings``: times, epochs so far, parameters, preset, memory."""
        timing = {
            "trial_id": trial.trial_id,
            "started": self._started.get(trial.trial_id, time.time()),
            "status": status,
            "rss_mib": rss_mib(),
            "allocator": allocator_in_use(),
            "pid": os.getpid(),
            "tuner": self.tuner_id,
            "epochs_trained": self._epochs_trained,
            "parameters": self._parameters,
            "preset": preset_of(trial.hyperparameters.values, self.presets),
            "epoch_log": self._epoch_log,
            "stopped_on_budget": self._stopped_on_budget,
        }
        return timing if ended is None else {**timing, "ended": ended}

    def _record_epochs(self) -> None:
        """The running trial's epochs so far in ``RUN/timings`` (read live by `serve` and `plot`); the
        trial's end writes the whole record over it. Best effort: a failed write loses nothing."""
        if self._trial is None:
            return
        try:
            write_json_atomic(self.run.timing_file(self._trial.trial_id), self._timing(self._trial, "RUNNING"))
        except OSError:
            pass

    def on_trial_begin(self, trial):
        """Starts the trial's clock and epoch log; a ``trial_begin`` event."""
        super().on_trial_begin(trial)
        self._trial = trial
        self._started[trial.trial_id] = time.time()
        self._epochs_trained = 0
        self._epoch_log, self._parameters, self._stopped_on_budget = [], None, False
        values = trial.hyperparameters.values
        self.emit(
            {
                "event": "trial_begin",
                "trial_id": trial.trial_id,
                "number": trial_number(self.oracle, trial.trial_id),
                "bracket": values.get("tuner/bracket"),
                "round": values.get("tuner/round"),
                "epochs": values.get("tuner/epochs"),
                "initial_epoch": values.get("tuner/initial_epoch", 0),
            }
        )

    def on_trial_end(self, trial):
        """Records the ended trial's timings in ``RUN/timings`` and emits ``trial_end``; raises
        ``TrialBudgetReached`` once this process has finished its budget of trials."""
        super().on_trial_end(trial)  # KerasTuner ends the trial and saves its state
        trial = self.oracle.get_trial(trial.trial_id)  # the oracle's copy (the chief's, when distributed)
        release_memory()  # before the RSS below is recorded
        self._trial = None
        timing = self._timing(trial, trial.status, ended=time.time())
        started = self._started.pop(trial.trial_id, timing["started"])
        write_json_atomic(self.run.timing_file(trial.trial_id), timing)
        if not self._is_worker():  # the oracle's state is in this run folder: drop what can no longer be needed
            retention.prune(self.run, self.search_config)
        self.emit(
            {
                "event": "trial_end",
                "trial_id": trial.trial_id,
                "status": trial.status,
                "score": trial.score,
                "seconds": timing["ended"] - started,
                "message": failure_reason(trial.message or "", trial.status.lower()) if trial.score is None else "",
            }
        )
        self.finished_here += 1
        if self.budget is not None and self.finished_here >= self.budget:
            raise TrialBudgetReached()


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
