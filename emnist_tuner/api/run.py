"""``open_run``: a run folder of any kind, read from disk as a ``Run``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..quiet import import_keras_quietly
from ..runfolder.configs import RunConfig, load_config, read_run_config
from ..runfolder.layout import RunFolder
from .keywords import keywords_checked


@dataclass
class Run:
    """A run folder as read from disk (any kind, any state). Reading never writes to it."""

    path: Path
    kind: str
    config: RunConfig

    @property
    def folder(self) -> RunFolder:
        return RunFolder(self.path)

    @property
    def state(self) -> str:
        """running, interrupted, failed or completed."""
        return self.folder.state()

    @keywords_checked()
    def leaderboard(self, sort: str | None = None) -> list[dict]:
        """A search's trials as dicts, best first (or by ``sort``: score, trial, time, epochs, a hyperparameter)."""
        from ..runfolder.trials import leaderboard_rows, read_trials

        return leaderboard_rows(read_trials(self.path), sort)

    def result(self) -> dict | None:
        """What the run concluded: a search's final.json, a train run's metrics.json, an ablation's summary."""
        from ..io import read_json_object

        folder = self.folder
        file = {"search": folder.final_file, "train": folder.metrics_file}.get(self.kind, folder.results_file)
        return read_json_object(file)

    def best_model(self):
        """The run's final model (a search's retrained winner, a train run's model) as a ``keras.Model``."""
        from ..errors import RunError

        file = self.folder.best_model_file if self.kind == "search" else self.folder.model_file
        if not file.is_file():
            raise RunError(
                f"{file} is missing: the run has no final model yet"
                + (f"; finish it with: emnist-tuner resume {self.path}" if self.kind == "search" else "")
            )
        import_keras_quietly()
        import keras

        return keras.models.load_model(file)


def open_run(path: Path | str) -> Run:
    """The run in ``path``; RunError if it is not a readable run folder."""
    run, saved = read_run_config(path)
    return Run(run.path, saved.get("kind", "search"), load_config(run.path))
