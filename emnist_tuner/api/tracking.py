"""The API's MLflow side: ``search(..., mlflow=URI)`` / ``resume(..., mlflow=URI)`` log the search as it
goes (``search_display``); ``log_to_mlflow`` logs a search run folder after the fact (see
``tracking.mlflow_log``)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from rich.console import Console

from ..tracking.during_search import tracking
from ..tracking.mlflow_log import check_loggable, log_run_folder
from ..tracking.mlflow_store import open_client
from .keywords import default_console, keywords_checked


def mlflow_client(mlflow, what: str = "mlflow="):
    """An ``MlflowClient`` for ``mlflow`` (a tracking URI, checked; a client is taken as it is; None: None);
    ``what``: the option named by an error."""
    return open_client(str(mlflow), what) if isinstance(mlflow, (str, Path)) else mlflow


def search_display(console: Console | None, run_dir: Path | str, mlflow=None) -> AbstractContextManager:
    """The search's display on ``console``, as a context manager; with ``mlflow`` (a tracking URI, checked
    now: a bad one is a ConfigError before any work, or an ``MlflowClient``), logging the search to MLflow
    as it goes."""
    from ..reports.progress import ConsoleUI

    return tracking(mlflow_client(mlflow), run_dir, ConsoleUI(console or default_console()))


@keywords_checked()
def log_to_mlflow(run_dir: Path | str, uri) -> dict:
    """Logs the search run in ``run_dir`` to the MLflow store at ``uri`` (a tracking URI or an ``MlflowClient``)
    after the fact: the search as a parent run, each ended trial as a child run; what the store holds
    already is not logged again. Returns {"experiment", "parent_run_id", "trials_added", "trials_logged"}."""
    check_loggable(run_dir)  # before the store is opened
    client = mlflow_client(uri, "uri=")
    logger, added = log_run_folder(client, run_dir)
    return {
        "experiment": logger.experiment_name,
        "parent_run_id": logger.parent_id,
        "trials_added": added,
        "trials_logged": len(logger.logged),
    }
