"""``search --mlflow URI`` / ``resume --mlflow URI``: the search is logged as it goes.

The search's display (``ui``, see ``hyperband.search``) is wrapped: once the search holds its run
folder (its schedule is shown), the parent run is opened and the trials already ended are logged;
each ``trial_end`` event logs the trials ended since (their files are written before the event);
when the command ends, the rest is logged with the run's state (completed, interrupted, failed)
and the winner's final training. A failed MLflow call never stops the search: a warning is shown
once, the trial ends after it log nothing (MLflow retries a server for minutes), and the command's
end (or `emnist-tuner mlflow RUN`) logs what is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import Interrupted, plural
from .mlflow_log import SearchLogger
from .mlflow_store import first_line


class _TrackedDisplay:
    """A progress display that hands each event on, then syncs the logger after a trial ended."""

    def __init__(self, display, tracker: _Tracker):
        self.display, self.tracker = display, tracker

    def __enter__(self):
        self.display.__enter__()
        return self

    def __exit__(self, *exc):
        return self.display.__exit__(*exc)

    def handle(self, event: dict) -> None:
        self.display.handle(event)
        if event.get("event") == "trial_end":
            self.tracker.sync()

    def __getattr__(self, name):
        return getattr(self.display, name)


class _Tracker:
    """The search's ``ui`` with MLflow logging added (see the module docstring)."""

    def __init__(self, ui, logger: SearchLogger):
        self.ui, self.logger = ui, logger
        self.started = False
        self.warned = False

    def sync(self, state: str | None = None) -> None:
        if self.warned and state is None:
            return  # after a failure, only the command's end tries again (a server down may take minutes each)
        try:
            self.logger.sync(state)
        except Exception as exc:  # the tracker's trouble is not the search's
            if not self.warned:
                self.warned = True
                self.ui.say(
                    f"[yellow]MLflow:[/yellow] logging failed ({first_line(exc)}); the search goes on, log it "
                    f"later with `emnist-tuner mlflow {self.logger.run.path} --uri URI`"
                )

    def schedule(self, config, rounds) -> None:
        self.ui.schedule(config, rounds)
        self.started = True
        self.sync(state="running")

    def progress(self, *args, **kwargs):
        return _TrackedDisplay(self.ui.progress(*args, **kwargs), self)

    def chief_log(self, *args, **kwargs):
        return _TrackedDisplay(self.ui.chief_log(*args, **kwargs), self)

    def __getattr__(self, name):
        return getattr(self.ui, name)


@contextmanager
def tracking(client, run_dir: Path | str, ui) -> Iterator:
    """``ui``, logging the search in ``run_dir`` to MLflow through ``client`` (None: ``ui`` as it is)."""
    if client is None:
        yield ui
        return
    tracker = _Tracker(ui, SearchLogger(client, run_dir))
    try:
        yield tracker
    except (Interrupted, KeyboardInterrupt):
        if tracker.started:
            tracker.sync(state="interrupted")
        raise
    except BaseException:
        if tracker.started:
            tracker.sync(state="failed")
        raise
    if tracker.started:
        tracker.sync(state="completed")
        if not tracker.warned:
            logger = tracker.logger
            ui.say(
                f"MLflow: logged to {client.tracking_uri}, experiment '{logger.experiment_name}' (parent run "
                f"{logger.parent_id}; {logger.seconds:.2f} s spent logging, in {plural(logger.syncs, 'call')})"
            )
