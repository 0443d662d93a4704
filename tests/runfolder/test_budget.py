"""``runfolder.budget``: durations, the search time counted across sessions (a fake clock), the report's line."""

from __future__ import annotations

import pytest

from emnist_tuner.errors import ConfigError
from emnist_tuner.runfolder import budget
from emnist_tuner.runfolder.layout import RunFolder


@pytest.mark.parametrize(
    "text, seconds",
    [("45s", 45), ("90m", 5400), ("2h", 7200), ("1h30m", 5400), ("1h30m15s", 5415), ("600", 600), ("2.5", 2.5)],
)
def test_durations_parse(text, seconds):
    assert budget.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "h", "30m1h", "-5", "0", "0s", "inf", "1 h"])
def test_a_bad_duration_is_one_line_naming_the_option(text):
    with pytest.raises(ConfigError) as caught:
        budget.parse_duration(text)
    message = str(caught.value)
    assert message.startswith(f"--time-budget: {text!r} is not a duration") and "\n" not in message


def test_durations_are_shown_as_typed():
    assert [budget.format_duration(s) for s in (45, 90, 3600, 5400, 3725)] == ["45s", "1m30s", "1h", "1h30m", "1h02m"]


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_spent_time_goes_on_across_sessions_and_the_budget_stops(tmp_path, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(budget, "clock", clock)
    run = RunFolder(tmp_path)
    first = budget.SearchClock(run, budget=100)
    clock.now += 40
    first.watching(type("D", (), {"handle": lambda self, e: None})()).handle({"event": "epoch_end"})
    clock.now += 30  # killed (-9) here: the 30 s since the last event are not counted
    second = budget.SearchClock(run, budget=100)
    assert second.before == pytest.approx(40) and not second.out_of_time()
    clock.now += 59
    assert not second.out_of_time()
    clock.now += 1
    assert second.out_of_time() and second.spent() == pytest.approx(100)
    assert budget.SearchClock(run, budget=None).out_of_time() is False  # no budget: never out of time


def test_the_worker_gets_an_absolute_deadline(tmp_path, monkeypatch):
    import time

    clock = FakeClock()
    monkeypatch.setattr(budget, "clock", clock)
    searching = budget.SearchClock(RunFolder(tmp_path), budget=100)
    clock.now += 30
    deadline = budget.deadline_from_env(searching.worker_env())
    assert deadline == pytest.approx(time.time() + 70, abs=1)
    assert budget.deadline_from_env(budget.SearchClock(RunFolder(tmp_path), None).worker_env()) is None


def test_the_report_says_the_search_ended_on_its_budget(tmp_path, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(budget, "clock", clock)
    run = RunFolder(tmp_path)
    searching = budget.SearchClock(run, budget=600, scheduled=10)
    clock.now += 612
    searching.ended, searching.not_run = "budget", 4
    searching.save()
    assert budget.ended_on_budget(run)
    text = budget.budget_text(run, {"time_budget": 600, "time_budget_hard": True})
    assert text == "10m (hard), 10m12s spent; ended on it: 4 scheduled trials not run"
