"""`search` run again on its own run folder: recipe options (and --tta) left out keep the run's values, so
"the same command with --ensemble K" goes on; a changed option is refused naming the run's value and the
command's, and what to do. Nothing is trained: the refusals come before any work, and the accepted case
stops where the search would start."""

from __future__ import annotations

import pytest
from helpers import run_cli, saved_search

from emnist_tuner.runfolder.configs import SearchConfig
from emnist_tuner.runfolder.recipe_config import FinalRecipe

SEARCH = ["search", "--dataset", "synthetic", "--max-epochs", "2", "--factor", "2"]


@pytest.fixture
def run(tmp_path):
    """A search run folder made with --final-epochs 30 --label-smoothing 0.05 --no-ema --tta 3."""
    config = SearchConfig.from_profile(
        "synthetic", max_epochs=2, factor=2, recipe=FinalRecipe(epochs=30, label_smoothing=0.05, ema=False), tta=3
    )
    return saved_search(tmp_path / "run", config)


def test_the_same_command_with_ensemble_keeps_the_runs_recipe(run, capsys, started):
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), "--ensemble", "2")
    assert code == 0, err
    (config,) = started
    assert config.recipe == FinalRecipe(epochs=30, label_smoothing=0.05, ema=False) and config.tta == 3
    assert config.ensemble == 2
    # the run's own values typed again are the same search too
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), "--final-epochs", "30", "--no-ema", "--tta", "3")
    assert code == 0, err


@pytest.mark.parametrize(
    "args, named",
    [
        (["--final-epochs", "10"], "--final-epochs: the run has 30, the command gives 10"),
        (["--label-smoothing", "0.1"], "--label-smoothing: the run has 0.05, the command gives 0.1"),
        (["--ema"], "--ema/--no-ema: the run has off, the command gives on"),
        (["--tta", "1"], "--tta: the run has 3, the command gives 1"),
        (["--seed", "4"], "--seed: the run has 0, the command gives 4"),
        (["--all-data"], "--subset: the run has 10000, the command gives all (--all-data)"),
        (["--max-epochs", "3"], "--max-epochs: the run has 2, the command gives 3"),
        (["--no-seed-presets"], "--seed-presets (the presets tried first): the run has convnet, model1"),
    ],
)
def test_a_changed_option_is_refused_naming_both_values(run, capsys, args, named):
    search = SEARCH[:3] + SEARCH[5:] if args[0] == "--max-epochs" else SEARCH
    argv = [*search, "--run-dir", str(run), *args]
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    code, out, err = run_cli(capsys, *argv)
    assert code == 1 and err.count("\n") == 1 and err.startswith(f"error: {run} holds a different search: "), err
    assert named in err, err
    assert "(recipe options and --tta left out keep the run's) or run `emnist-tuner resume" in err
    assert "use a new --run-dir" in err and "differs (made by another" not in err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before  # nothing written


def test_several_differences_are_each_named_and_a_profile_names_its_options_not_the_fingerprint(run, capsys):
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), "--final-epochs", "10", "--weight-decay", "0.01")
    assert code == 1
    assert (
        "--final-epochs: the run has 30, the command gives 10; --weight-decay: the run has 0, the command gives 0.01"
        in err
    )
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), "--profile", "full")
    assert code == 1 and "--profile: the run has quick, the command gives full" in err
    assert "fingerprint" not in err  # the search space follows from the profile: not named beside it


def test_keep_checkpoints_may_change_and_left_out_keeps_the_runs(run, capsys, started):
    saved = SearchConfig.load(run)
    saved.keep_checkpoints = "all"
    saved.save(run)
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), "--final-epochs", "30", "--no-ema", "--tta", "3")
    assert code == 0, err
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), "--keep-checkpoints", "best", "--tta", "3")
    assert code == 0, err  # not part of the search's identity
    assert [config.keep_checkpoints for config in started] == ["all", "best"]
