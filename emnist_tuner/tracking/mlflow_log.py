"""A search run folder in MLflow: the search as a parent run (its config as parameters; the winner's
final training as metrics and artifacts), each ended trial as a child run (hyperparameters,
schedule, per-epoch metrics from its history, status, start and end times).

Idempotent: every run is tagged with the run folder's key (``emnist_tuner.run_key``: the dataset and
the time the search started, from ``status.json``) and, for a trial, its id; a sync first looks them
up and logs only what the store lacks, so a second call adds nothing and a search killed and resumed
leaves no duplicates. A child run left half-logged (by a kill while it was written) is deleted and
logged again. The run folder is only read.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..errors import RunError
from ..io import read_json_object
from ..runfolder.configs import read_run_config
from ..runfolder.layout import RunFolder
from ..runfolder.trials import ENDED, TrialRecord, read_trials
from .mlflow_store import quiet

PREFIX = "emnist_tuner."
RUN_KEY, ROLE, TRIAL_ID, STATUS = (PREFIX + n for n in ("run_key", "role", "trial_id", "status"))
PARENT_TAG = "mlflow.parentRunId"
DEFAULT_EXPERIMENT = "emnist-tuner"
# the run folder's state → the parent run's MLflow status
RUN_STATUS = {"completed": "FINISHED", "interrupted": "KILLED", "failed": "FAILED", "running": "RUNNING"}
TRIAL_STATUS = {"completed": "FINISHED", "failed": "FAILED", "invalid": "FAILED"}
SCHEDULE = ("epochs", "initial_epoch", "bracket", "round", "continued_from")  # TrialRecord fields → tuner/…
BATCH = 500  # metrics per log_batch call (MLflow takes up to 1,000)


def experiment_name() -> str:
    """The MLflow experiment runs go to: ``MLFLOW_EXPERIMENT_NAME``, else ``emnist-tuner``."""
    return os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT


def run_key(run: RunFolder, config: dict) -> str | None:
    """The run folder's key in MLflow: its dataset and the millisecond its search started (None before
    its status is first written)."""
    started = run.read_status().get("started")
    return None if started is None else f"{config.get('dataset')}:{int(float(started) * 1000)}"


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class SearchLogger:
    """Logs the search in ``run_dir`` to MLflow through ``client`` (an ``MlflowClient``); ``sync`` may be
    called any number of times, as the search goes and after it."""

    def __init__(self, client, run_dir: Path | str):
        self.client = client
        self.run = RunFolder(run_dir)
        self.parent_id: str | None = None
        self.experiment_id: str | None = None
        self.logged: set[str] = set()  # trial ids the store holds
        self.seconds = 0.0  # time spent logging (reading the run folder and MLflow's calls), all syncs together
        self.syncs = 0
        self.experiment_name = experiment_name()

    def sync(self, state: str | None = None) -> int:
        """Logs the trials that ended since the last sync and, with ``state`` (the run's state: completed,
        interrupted, failed, running), the parent's status and the winner's final training when it is
        done. Returns how many trial runs it added (0 before the search has written its status)."""
        start = time.perf_counter()
        try:
            with quiet():
                return self._sync(state)
        finally:
            self.seconds += time.perf_counter() - start
            self.syncs += 1

    def _sync(self, state: str | None) -> int:
        _, config = read_run_config(self.run.path)
        key = run_key(self.run, config)
        if key is None:
            return 0
        if self.parent_id is None:
            self._open_parent(key, config)
        assert self.parent_id is not None and self.experiment_id is not None
        added = 0
        for record in read_trials(self.run.path):
            if record.status in ENDED and record.trial_id not in self.logged:
                self._log_trial(key, record)
                added += 1
        if state is not None:
            self._finish(state)
        return added

    def _open_parent(self, key: str, config: dict) -> None:
        from mlflow.entities import Param, ViewType

        name = self.experiment_name
        experiment = self.client.get_experiment_by_name(name)
        self.experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(name)
        found = self.client.search_runs(
            [self.experiment_id],
            filter_string=f"tags.`{RUN_KEY}` = '{key}'",
            run_view_type=ViewType.ACTIVE_ONLY,
            max_results=50_000,
        )
        for found_run in found:
            tags = found_run.data.tags
            if tags.get(ROLE) == "search" and self.parent_id is None:
                self.parent_id = found_run.info.run_id
            elif tags.get(ROLE) == "trial" and found_run.info.status == "RUNNING":
                self.client.delete_run(found_run.info.run_id)  # half-logged by a killed process: again
            elif tags.get(ROLE) == "trial":
                self.logged.add(tags.get(TRIAL_ID, ""))
        if self.parent_id is None:
            started = self.run.read_status().get("started")
            parent = self.client.create_run(
                self.experiment_id,
                start_time=_ms(started),
                tags={RUN_KEY: key, ROLE: "search", PREFIX + "run_dir": str(self.run.path.resolve())},
                run_name=self.run.path.name,
            )
            self.parent_id = parent.info.run_id
            params = [Param(k, _text(v)) for k, v in sorted(config.items())]
            for i in range(0, len(params), 100):
                self.client.log_batch(self.parent_id, params=params[i : i + 100])

    def _log_trial(self, key: str, record: TrialRecord) -> None:
        from mlflow.entities import Metric, Param, RunTag

        assert self.parent_id is not None and self.experiment_id is not None
        child = self.client.create_run(
            self.experiment_id,
            start_time=_ms(record.started),
            tags={RUN_KEY: key, ROLE: "trial", TRIAL_ID: record.trial_id, PARENT_TAG: self.parent_id},
            run_name=f"trial {record.trial_id}",
        )
        run_id = child.info.run_id
        params = {k: v for k, v in record.hyperparameters.items()}
        params.update({f"tuner/{k}": getattr(record, k) for k in SCHEDULE if getattr(record, k) is not None})
        if record.preset:
            params["preset"] = record.preset
        clock = _ms(record.started) or _ms(time.time()) or 0
        metrics = []
        for entry in record.epoch_log:
            clock += int(1000 * float(entry.get("seconds") or 0))
            step = int(entry["epoch"]) + 1  # the epoch as the display counts it, from 1
            for name, value in entry.items():
                if name != "epoch" and isinstance(value, (int, float)) and not isinstance(value, bool):
                    metrics.append(Metric("epoch_seconds" if name == "seconds" else name, float(value), clock, step))
        summary = {"score": record.score, "seconds": record.seconds, "epochs_trained": record.trained}
        summary["parameters"] = record.parameters
        metrics += [Metric(k, float(v), clock, 0) for k, v in summary.items() if v is not None]
        tags = [RunTag(STATUS, record.status)]
        if record.message:
            tags.append(RunTag(PREFIX + "message", record.message))
        self.client.log_batch(
            run_id, metrics=metrics[:BATCH], params=[Param(k, _text(v)) for k, v in params.items()], tags=tags
        )
        for i in range(BATCH, len(metrics), BATCH):
            self.client.log_batch(run_id, metrics=metrics[i : i + BATCH])
        ended = None if record.started is None or record.seconds is None else record.started + record.seconds
        self.client.set_terminated(run_id, TRIAL_STATUS.get(record.status, "FAILED"), end_time=_ms(ended))
        self.logged.add(record.trial_id)

    def _finish(self, state: str) -> None:
        from mlflow.entities import Metric, RunTag

        assert self.parent_id is not None
        parent = self.client.get_run(self.parent_id)
        final = read_json_object(self.run.final_file)
        if final is not None:
            now = _ms(time.time()) or 0
            values = {"test_accuracy": final.get("test_accuracy"), "final_epochs": final.get("epochs")}
            values["val_accuracy"] = final.get("val_accuracy")
            values["ensemble_test_accuracy"] = (final.get("ensemble") or {}).get("test_accuracy")
            metrics = [
                Metric(k, float(v), now, 0) for k, v in values.items() if v is not None and k not in parent.data.metrics
            ]
            tags = [RunTag(PREFIX + "winner", str(final.get("trial_id")))]
            if metrics:
                self.client.log_batch(self.parent_id, metrics=metrics, tags=tags)
            present = {a.path for a in self.client.list_artifacts(self.parent_id)}
            files = [self.run.final_file] + [self.run.path / final[k] for k in ("model",) if final.get(k)]
            for path in files:
                if path.name not in present and path.is_file():
                    self.client.log_artifact(self.parent_id, str(path))
        status = RUN_STATUS.get(state, "FAILED")
        if parent.info.status != status:
            if status == "RUNNING":
                self.client.update_run(self.parent_id, status="RUNNING")
            else:
                self.client.set_terminated(self.parent_id, status)


def check_loggable(run_dir: Path | str) -> RunFolder:
    """The run folder of a search that can be logged after the fact; RunError (one line) for a run of
    another kind, a search that a process is running now, or one that never started."""
    run, config = read_run_config(run_dir)
    kind = config.get("kind", "search")
    if kind != "search":
        raise RunError(
            f"{run.path} is a {kind} run; `emnist-tuner mlflow` logs search runs only (the search as a parent "
            "run, each trial as a child run)"
        )
    if run.lock_is_held():
        raise RunError(
            f"{run.path} is being searched by another process now; log it once it ends, or give --mlflow to "
            "`emnist-tuner resume`"
        )
    if run_key(run, config) is None:
        raise RunError(f"{run.path} has no status yet (the search never started): nothing to log")
    return run


def log_run_folder(client, run_dir: Path | str) -> tuple[SearchLogger, int]:
    """Logs the finished (or interrupted) search in ``run_dir`` after the fact (see ``check_loggable``);
    returns the logger and how many trial runs were added."""
    run = check_loggable(run_dir)
    logger = SearchLogger(client, run.path)
    added = logger.sync(state=run.state())
    return logger, added
