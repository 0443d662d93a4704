"""Every file name of every run kind, in one place. Nothing outside ``runfolder`` spells a run file's name.

A run folder (``RunFolder``), whatever its kind::

    RUN/config.json        the run's typed config (see ``configs``); its "kind" says which
    RUN/status.json        running | interrupted | failed | completed, with pid and times
    RUN/run.lock           held (flock) by the one process writing to the run
    RUN/origin.json        the versions that made and last wrote it, where its data was found (``origin``)

A search (kind ``search``)::

    RUN/tuner/             KerasTuner's project folder (oracle.json, tuner0.json, trial_*/trial.json …)
    RUN/timings/ID.json    start and end time of each trial
    RUN/search_time.json   search time spent, its --time-budget, whether it ended on it (``budget``)
    RUN/logs/              TensorBoard logs (with HParams), worker.log, chief.log, worker-ID.log
    RUN/workers/ID.lock    held by the process of one worker id (distributed search)
    RUN/final.json         the retrained winner's held-out test accuracy;  RUN/best_model.keras  the model
    RUN/ensemble/          with --ensemble K: member-N.keras and member-N.json for N = 2..K (member 1
                           is best_model.keras), test_predictions.npy;  RUN/ensemble.keras  their average

A training of one model (``train``: the run folder itself; a retrain: ``RUN/<dataset slug>/``; an
ablation's variant and seed: ``RUN/variants/NAME/seedK/``) is a ``TrainingFolder``::

    metrics.json  history.json  test_predictions.npy  model.keras (train) / backbone.keras (retrain)
    result.json (one ablation training)  retrain.json (a retrain's config)

A transfer comparison, ``RUN/transfer/`` (``RUN/transfer-emnist/`` for the EMNIST backbone; ``-to-<dataset>``
added for a target other than Binary AlphaDigits, e.g. ``RUN/transfer-to-emnist-balanced/``), is a
``TransferFolder``: ``transfer.json`` (its config), ``folds/fold-N-seed-S.json``, ``results.json``, and
``members/fold-N-seed-S-member-M-transfer.npz``: each transferred model's held-out probabilities (``--ensemble``
members, plain and with ``--tta``), saved as it finishes. Scratch models do not depend on the backbone: theirs
live in ``RUN/scratch-store/<key>/`` (``key.json``: what they were trained with; ``fold-N-seed-S-member-M.npz``),
shared by every transfer comparison of the run with the same scratch settings.
An ablation writes ``RUN/results.json`` (its summary) beside its variants.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from ..data.naming import dataset_slug
from ..io import read_json_object, write_json_atomic

DEFAULT_TARGET = "binary-alphadigits"  # what `transfer` transfers to unless --to says otherwise
CONFIG = "config.json"
STATUS = "status.json"
LOCK = "run.lock"
ORIGIN = "origin.json"
PROJECT = "tuner"  # KerasTuner's project_name
TUNER_ID = "tuner0"  # KerasTuner's tuner id of a one-machine search
ORACLE = "oracle.json"
TRIAL = "trial.json"
CHECKPOINT = "checkpoint.weights.h5"  # KerasTuner's per-trial checkpoint (Keras 3 name)
LAST_GOOD = ".last-good"  # suffix of the last good copy of a KerasTuner state file
DAMAGED = ".damaged"  # suffix of a damaged state file kept aside after a repair
FINAL = "final.json"
BEST_MODEL = "best_model.keras"
ENSEMBLE = "ensemble"
METRICS = "metrics.json"
HISTORY = "history.json"
PREDICTIONS = "test_predictions.npy"
CONFUSION = "confusion.json"
MODEL = "model.keras"
BACKBONE = "backbone.keras"
RETRAIN_CONFIG = "retrain.json"
TRANSFER_CONFIG = "transfer.json"
RESULT = "result.json"
RESULTS = "results.json"
SCRATCH_STORE = "scratch-store"  # not "transfer…": transfer_folders() lists only comparisons
WORKER_LOG = "worker.log"  # a one-machine search's workers
CHIEF_LOG = "chief.log"  # a distributed search's chief (oracle server and final retrain)


def worker_log_name(worker_id: str) -> str:
    """The log of a distributed search's worker ``worker_id``."""
    return f"worker-{worker_id}.log"


class TrainingFolder:
    """A folder holding one trained model's record (a train run, a retrain, an ablation training)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    metrics_file = property(lambda self: self.path / METRICS)
    history_file = property(lambda self: self.path / HISTORY)
    predictions_file = property(lambda self: self.path / PREDICTIONS)
    confusion_file = property(lambda self: self.path / CONFUSION)
    model_file = property(lambda self: self.path / MODEL)
    backbone_file = property(lambda self: self.path / BACKBONE)
    result_file = property(lambda self: self.path / RESULT)
    results_file = property(lambda self: self.path / RESULTS)


class TransferFolder:
    """``RUN/transfer`` (MNIST backbone) or ``RUN/transfer-<backbone>``: a K-fold comparison."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    config_file = property(lambda self: self.path / TRANSFER_CONFIG)
    results_file = property(lambda self: self.path / RESULTS)

    def fold_file(self, fold: int, seed: int = 0) -> Path:
        """The result of fold ``fold`` (0-based; files are numbered from 1) trained with ``seed``."""
        return self.path / "folds" / f"fold-{fold + 1}-seed-{seed}.json"

    def member_file(self, fold: int, seed: int, member: int) -> Path:
        """The held-out probabilities of transferred model ``member`` (0-based) of (``fold``, ``seed``)."""
        return self.path / "members" / f"fold-{fold + 1}-seed-{seed}-member-{member}-transfer.npz"


def scratch_member_file(store: Path, fold: int, seed: int, member: int) -> Path:
    """Scratch model ``member`` of (``fold``, ``seed``) in the shared scratch store ``store``."""
    return store / f"fold-{fold + 1}-seed-{seed}-member-{member}.npz"


class RunFolder(TrainingFolder):
    """A run folder of any kind: its paths, its status, and whether its lock is held."""

    config_file = property(lambda self: self.path / CONFIG)
    status_file = property(lambda self: self.path / STATUS)
    lock_file = property(lambda self: self.path / LOCK)
    project = property(lambda self: self.path / PROJECT)
    oracle_file = property(lambda self: self.project / ORACLE)
    logs = property(lambda self: self.path / "logs")
    tensorboard = property(lambda self: self.logs / "tensorboard")
    timings = property(lambda self: self.path / "timings")
    final_file = property(lambda self: self.path / FINAL)
    best_model_file = property(lambda self: self.path / BEST_MODEL)
    ensemble_folder = property(lambda self: TrainingFolder(self.path / ENSEMBLE))
    ensemble_model_file = property(lambda self: self.path / f"{ENSEMBLE}.keras")

    def member_files(self, member: int) -> tuple[Path, Path]:
        """Ensemble member ``member``'s model and record (members 2..K; member 1 is the final model)."""
        folder = self.path / ENSEMBLE
        return folder / f"member-{member}.keras", folder / f"member-{member}.json"

    @property
    def tuner_file(self) -> Path:
        """This process's KerasTuner state file (tuner0, or the id KerasTuner reads from the environment)."""
        return self.tuner_file_of(os.environ.get("KERASTUNER_TUNER_ID", TUNER_ID))

    def tuner_file_of(self, tuner_id: str) -> Path:
        """KerasTuner's state file of tuner ``tuner_id`` (``tuner0``, or a distributed worker's id)."""
        return self.project / f"{tuner_id}.json"

    def timing_file(self, trial_id: str) -> Path:
        """``RUN/timings/ID.json``: start and end time (and more) of trial ``trial_id``."""
        return self.timings / f"{trial_id}.json"

    def log_file(self, name: str) -> Path:
        """The log file ``name`` in ``RUN/logs``."""
        return self.logs / name

    def worker_lock(self, worker_id: str) -> Path:
        """The lock file held by the process of distributed worker ``worker_id``."""
        return self.path / "workers" / f"{worker_id}.lock"

    def trial_dirs(self) -> list[Path]:
        """KerasTuner's ``trial_*`` folders, sorted by name (none before the search starts)."""
        return sorted(self.project.glob("trial_*")) if self.project.is_dir() else []

    def abandoned_project(self) -> Path:
        """Where an unfinished start of a search (no trial recorded) is moved aside."""
        return self.path / f"{PROJECT}.abandoned-{int(time.time())}"

    def retrain_folder(self, dataset: str) -> TrainingFolder:
        """Where the winner retrained on ``dataset`` is kept (``RUN/<slug>``: ``data.naming.dataset_slug``)."""
        return TrainingFolder(self.path / dataset_slug(dataset))

    def transfer_folder(self, backbone: str, to: str = DEFAULT_TARGET) -> TransferFolder:
        """The transfer comparison of backbone ``backbone`` on dataset ``to``: ``RUN/transfer`` (the MNIST
        backbone on Binary AlphaDigits), ``RUN/transfer-<backbone>`` for another backbone, ``-to-<slug>``
        added for another target, so that each pair has its own folder."""
        name = "transfer" if backbone == "mnist" else f"transfer-{dataset_slug(backbone)}"
        return TransferFolder(self.path / (name if to == DEFAULT_TARGET else f"{name}-to-{dataset_slug(to)}"))

    def transfer_folders(self) -> list[TransferFolder]:
        """Every transfer comparison folder the run holds, ``RUN/transfer`` first, then by name."""
        found = [p for p in self.path.glob("transfer*") if p.is_dir()]
        return [TransferFolder(p) for p in sorted(found, key=lambda p: (p.name != "transfer", p.name))]

    def scratch_store(self, key: str) -> Path:
        """``RUN/scratch-store/<key>``: the scratch models of every transfer comparison trained with the
        scratch settings whose hash is ``key``."""
        return self.path / SCRATCH_STORE / key

    def variant_folder(self, variant: str, seed: int) -> TrainingFolder:
        """An ablation's training of ``variant`` with ``seed``."""
        return TrainingFolder(self.path / "variants" / variant / f"seed{seed}")

    def variant_results(self) -> list[Path]:
        """The result files of an ablation's finished trainings, in path order."""
        return sorted(self.path.glob(f"variants/*/seed*/{RESULT}"))

    def exists(self) -> bool:
        """Whether the folder is a run (it has its config file)."""
        return self.config_file.is_file()

    def is_empty_or_missing(self) -> bool:
        """Whether the path does not exist or is an empty folder (free for a new run)."""
        return not self.path.exists() or (self.path.is_dir() and not any(self.path.iterdir()))

    # status
    def write_status(self, state: str, message: str = "", **extra) -> None:
        """Records ``state`` (running, interrupted, failed, completed) with ``message``, this pid and
        the times (``extra``: more fields), atomically; RunError if it cannot be written."""
        from .lifecycle import write_error

        previous = self.read_status()
        status = {
            "state": state,
            "message": message,
            "pid": os.getpid(),
            "started": previous.get("started") or time.time(),
            "updated": time.time(),
            **extra,
        }
        try:
            write_json_atomic(self.status_file, status)
        except OSError as exc:
            raise write_error(self.status_file, exc) from None

    def read_status(self) -> dict:
        """The saved status (state, message, pid, times), as written; empty when there is none or it cannot be read."""
        return read_json_object(self.status_file) or {}

    def state(self) -> str:
        """running / interrupted / failed / completed, read without writing: a status that says
        "running" while nobody holds the run's lock was left by a killed process (interrupted)."""
        state = self.read_status().get("state", "unknown")
        if state == "running" and not self.lock_is_held():
            return "interrupted"
        return state

    def search_is_over(self) -> bool:
        """A search whose oracle has stopped (its final retrain may still be running or be left to do)."""
        status = self.read_status()
        return self.final_file.exists() or status.get("phase") == "final" or status.get("state") == "completed"

    def lock_is_held(self) -> bool:
        """Whether a process holds the run's lock (checked without taking it over)."""
        try:
            with open(self.lock_file) as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(handle, fcntl.LOCK_UN)
        except OSError:
            pass
        return False


def article(word: str) -> str:
    """``word`` with its indefinite article ("a search", "an ablation")."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def last_good(path: Path) -> Path:
    """The last good copy of KerasTuner state file ``path`` (``.last-good`` beside it)."""
    return path.with_name(path.name + LAST_GOOD)


def damaged(path: Path) -> Path:
    """Where a damaged ``path`` is kept aside after a repair (``.damaged`` beside it)."""
    return path.with_name(path.name + DAMAGED)
