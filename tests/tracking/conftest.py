"""The MLflow store of these tests: a folder under tmp_path (MLflow 3 refuses a folder store unless allowed)."""

from __future__ import annotations

import pytest


@pytest.fixture
def store(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    return (tmp_path / "mlruns").as_uri()
