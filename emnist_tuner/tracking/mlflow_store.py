"""MLflow, the optional package (the ``mlflow`` extra): imported quietly, a tracking URI checked before
any work, one client per URI.

Stores: a local folder (``file:`` URI or a plain path), a database (``sqlite:`` … needs the full
``mlflow`` package, which brings SQLAlchemy) or a tracking server (``http(s)://``). MLflow 3 keeps its
folder store in maintenance mode and refuses it unless ``MLFLOW_ALLOW_FILE_STORE`` is true: a folder
URI given here sets it for this process, unless the user set it (to false: the refusal is one line).
MLflow's own log records and warnings are kept off the terminal.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from ..errors import ConfigError

EXTRA = "pip install 'emnist-tuner[mlflow]'"
DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
SERVER_SCHEMES = ("http", "https")
OTHER_SCHEMES = ("databricks", "databricks-uc", "uc")


def require_mlflow(what: str = "--mlflow"):
    """The ``mlflow`` module, imported with its logging silenced; ConfigError (exit 2) naming the extra
    when it is not installed."""
    try:
        with quiet():
            import mlflow
    except ImportError:
        raise ConfigError(f"{what} needs MLflow, which is not installed: {EXTRA}") from None
    return mlflow


@contextmanager
def quiet() -> Iterator[None]:
    """MLflow's log records (below errors that we report ourselves) and warnings silenced in the block;
    its logger is put back as it was after it."""
    logger = logging.getLogger("mlflow")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def store_kind(uri: str, what: str = "--mlflow") -> str:
    """folder, database, server or other, from the URI's scheme; ConfigError for a scheme MLflow has no
    store for."""
    scheme = urlparse(uri).scheme.lower()
    if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        return "folder"
    for kind, schemes in (("database", DATABASE_SCHEMES), ("server", SERVER_SCHEMES), ("other", OTHER_SCHEMES)):
        if scheme.split("+")[0] in schemes:
            return kind
    raise ConfigError(
        f"{what} {uri}: unknown tracking store scheme '{scheme}:'; give a folder (file:///path/mlruns or a "
        "path), a database (sqlite:///path/mlflow.db) or a server (http://host:5000)"
    )


def open_client(uri: str, what: str = "--mlflow"):
    """An ``MlflowClient`` for ``uri``, checked by one cheap request (a server is tried once, without
    MLflow's retries); ConfigError (exit 2) naming the URI when it cannot be used."""
    kind = store_kind(uri, what)
    mlflow = require_mlflow(what)
    if kind == "folder":
        path = Path(urlparse(uri).path if uri.startswith("file:") else uri).expanduser()
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{what} {uri}: {path} is a file; give a folder for the MLflow store")
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        if not uri.startswith("file:"):
            uri = path.resolve().as_uri()
    if kind == "database":
        if importlib.util.find_spec("sqlalchemy") is None:
            raise ConfigError(
                f"{what} {uri}: a database store needs the full MLflow package (SQLAlchemy), not mlflow-skinny: "
                "pip install mlflow; or give a folder (file:///path/mlruns) or a server"
            )
    saved = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"], os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "0", "10"
    try:
        with quiet():
            client = mlflow.MlflowClient(tracking_uri=uri)
            client.search_experiments(max_results=1)
    except Exception as exc:  # MLflow raises many kinds; each is one line here
        raise ConfigError(f"{what} {uri}: the MLflow store cannot be used: {first_line(exc)}") from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return client


def first_line(exc: BaseException, limit: int = 300) -> str:
    """An exception's message, its first line, cut to ``limit`` characters."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"
