"""`search --time-budget` and a grown search (`--iterations`) at the command line: a bad duration is one line
(exit 2) before anything is written; on an existing run a larger --iterations or another budget is the same
search, anything else that would invalidate its trials is refused naming the value. Nothing is trained."""

from __future__ import annotations

import pytest
from helpers import run_cli, saved_search

from emnist_tuner.runfolder.configs import SearchConfig

SEARCH = ["search", "--dataset", "synthetic", "--max-epochs", "2", "--factor", "2"]


@pytest.fixture
def run(tmp_path):
    """A search run folder of 2 Hyperband iterations with a 10-minute budget."""
    config = SearchConfig.from_profile("synthetic", max_epochs=2, factor=2, iterations=2, time_budget=600)
    return saved_search(tmp_path / "run", config)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--time-budget", "5x"], "error: --time-budget: '5x' is not a duration; give a positive one such as 45s"),
        (["--time-budget", "0"], "error: --time-budget: '0' is not a duration"),
        (["--time-budget-hard"], "error: --time-budget-hard needs a --time-budget (e.g. --time-budget 2h"),
    ],
)
def test_a_bad_budget_is_one_line_exit_2_and_nothing_is_written(tmp_path, capsys, args, message):
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(tmp_path / "new"), *args)
    assert code == 2 and err.count("\n") == 1 and err.startswith(message), err
    assert not (tmp_path / "new").exists()


def test_a_new_search_saves_its_budget(tmp_path, capsys, started):
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(tmp_path / "new"), "--time-budget", "1h30m")
    assert code == 0, err
    assert started[0].time_budget == 5400 and started[0].time_budget_hard is False


def test_more_iterations_or_another_budget_is_the_same_search_and_left_out_they_keep_the_runs(run, capsys, started):
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), "--iterations", "3", "--time-budget", "2h")
    assert code == 0, err
    assert started[-1].iterations == 3 and started[-1].time_budget == 7200
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run))
    assert code == 0, err
    assert started[-1].iterations == 2 and started[-1].time_budget == 600  # the run's own
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), "--time-budget", "1m", "--time-budget-hard")
    assert code == 0 and started[-1].time_budget == 60 and started[-1].time_budget_hard, err


@pytest.mark.parametrize(
    "args, named",
    [
        (["--iterations", "1"], "--iterations: the run has 2, the command gives 1"),
        (["--iterations", "3", "--seed", "4"], "--seed: the run has 0, the command gives 4"),
        (["--iterations", "3", "--all-data"], "--subset: the run has 10000, the command gives all (--all-data)"),
        (["--iterations", "3", "--max-epochs", "3"], "--max-epochs: the run has 2, the command gives 3"),
        (["--iterations", "3", "--no-seed-presets"], "--seed-presets (the presets tried first): the run has"),
    ],
)
def test_growing_with_a_change_that_invalidates_the_trials_is_refused(run, capsys, args, named):
    search = SEARCH[:3] + SEARCH[5:] if "--max-epochs" in args else SEARCH
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    code, _, err = run_cli(capsys, *search, "--run-dir", str(run), *args)
    assert code == 1 and err.count("\n") == 1 and err.startswith(f"error: {run} holds a different search: "), err
    assert named in err and ("--iterations" in named or "--iterations" not in err), err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
