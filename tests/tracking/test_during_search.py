"""``search --mlflow``'s hook: the search's display wrapped so that each trial is logged when it ends,
and the parent run's status follows the command (running, interrupted, completed); a failing store
is a warning, never the search's end. No training: the trials are written by hand as a search would."""

from __future__ import annotations

import json
from contextlib import nullcontext

import pytest
from mlflow_runs import TRIALS, read_back, write_trial

pytest.importorskip("mlflow")


class FakeUI:
    def __init__(self):
        self.said: list[str] = []
        self.events: list[dict] = []

    def say(self, text):
        self.said.append(text)

    def schedule(self, config, rounds):
        self.said.append("schedule")

    def progress(self, *args):
        ui = self

        class Display(nullcontext):
            def handle(self, event):
                ui.events.append(event)

        return Display()


def started_run(tmp_path):
    run = tmp_path / "search"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"kind": "search", "dataset": "synthetic", "max_epochs": 3}))
    (run / "status.json").write_text(json.dumps({"state": "running", "started": 5.0}))
    return run


def client_for(uri):
    from emnist_tuner.tracking.mlflow_store import open_client

    return open_client(uri)


def test_each_trial_is_logged_when_it_ends_and_an_interruption_is_killed(tmp_path, store):
    from emnist_tuner.tracking.during_search import tracking

    run, fake = started_run(tmp_path), FakeUI()
    with pytest.raises(KeyboardInterrupt), tracking(client_for(store), run, fake) as ui:
        ui.schedule(None, None)
        _, parents, children = read_back(store)
        assert parents[0].info.status == "RUNNING" and children == {}
        with ui.progress(5, 9) as display:
            for trial_id in ("0000", "0001"):
                write_trial(run, trial_id, *TRIALS[trial_id])
                display.handle({"event": "trial_end", "trial_id": trial_id})
                assert trial_id in read_back(store)[2]  # logged at its end, not at the search's
            raise KeyboardInterrupt
    _, parents, children = read_back(store)
    assert [p.info.status for p in parents] == ["KILLED"] and sorted(children) == ["0000", "0001"]
    assert [e["trial_id"] for e in fake.events] == ["0000", "0001"]  # the display still gets every event

    # resumed: the same parent runs again, then finishes; no trial is logged twice
    with tracking(client_for(store), run, FakeUI()) as ui:
        ui.schedule(None, None)
        assert [p.info.status for p in read_back(store)[1]] == ["RUNNING"]
        write_trial(run, "0002", *TRIALS["0002"])
    _, parents, children = read_back(store)
    assert [p.info.status for p in parents] == ["FINISHED"] and sorted(children) == ["0000", "0001", "0002"]


def test_a_refused_search_logs_nothing(tmp_path, store):
    from emnist_tuner.errors import RunError
    from emnist_tuner.tracking.during_search import tracking

    run = started_run(tmp_path)
    with pytest.raises(RunError), tracking(client_for(store), run, FakeUI()):
        raise RunError("locked")  # refused before the schedule is shown
    assert read_back(store)[1] == []


def test_a_failing_store_is_one_warning_and_the_search_goes_on(tmp_path, store):
    from emnist_tuner.tracking.during_search import tracking

    run, fake = started_run(tmp_path), FakeUI()
    client = client_for(store)
    with tracking(client, run, fake) as ui:
        ui.schedule(None, None)
        calls = []

        def failing(*args, **kwargs):
            calls.append(args)
            raise OSError("disk full")

        client.log_batch = client.create_run = failing
        with ui.progress(5, 9) as display:
            for trial_id in ("0000", "0001"):
                write_trial(run, trial_id, *TRIALS[trial_id])
                display.handle({"event": "trial_end", "trial_id": trial_id})
    warnings = [line for line in fake.said if "MLflow" in line]
    assert len(warnings) == 1 and "disk full" in warnings[0] and "emnist-tuner mlflow" in warnings[0]
    assert len(calls) == 2  # trial 0000's end, then the command's end: not at trial 0001's end
