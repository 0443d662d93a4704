"""The help as a reader meets it: arguments named as the README names them, every command described in
full in the command list, and a removed option answered with what replaced it."""

from __future__ import annotations

import pytest
from helpers import run_cli

from emnist_tuner.cli.app import REMOVED_OPTIONS, app, short_help

COMMANDS = [command.callback.__name__ for command in app.registered_commands]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_arguments_readably(capsys, command):
    code, out, err = run_cli(capsys, command, "--help")
    assert code == 0 and err == ""
    assert "{" not in out.split("Options:")[0] and "<list[" not in out, out
    usage = out.splitlines()[0]
    expected = {
        "compare": "Usage: emnist-tuner compare [OPTIONS] RUN...",
        "predict": "Usage: emnist-tuner predict [OPTIONS] SOURCE INPUT...",
        "runs": "Usage: emnist-tuner runs [OPTIONS] [FOLDER]",
        "report": "Usage: emnist-tuner report [OPTIONS] RUN",
    }
    assert usage == expected.get(command, usage)


def test_the_command_list_describes_each_command_in_full(capsys):
    code, out, _ = run_cli(capsys, "--help")
    listing = " ".join(out.split("Commands:")[1].split())
    assert code == 0 and "..." not in listing
    for command in app.registered_commands:
        described = short_help(command.callback)
        assert described.endswith(".") and f"{command.callback.__name__} {described}" in listing.replace("- ", "-")


@pytest.mark.parametrize("option", ["--epochs", "--epochs=40"])
def test_a_removed_option_names_its_replacement(capsys, tmp_path, option):
    code, out, err = run_cli(capsys, "transfer", str(tmp_path), option, *([] if "=" in option else ["40"]))
    assert code == 2 and out == ""
    assert err == (
        "error: transfer --epochs was removed; use --head-epochs and --fine-tune-epochs (the transferred model) "
        "and --scratch-epochs (the model trained from scratch)\n"
    )


def test_every_removed_option_is_gone_and_each_replacement_exists(capsys):
    for (command, option), replacement in REMOVED_OPTIONS.items():
        _, out, _ = run_cli(capsys, command, "--help")
        assert f"{option} " not in out
        for named in (word.strip("(),") for word in replacement.split() if word.startswith("--")):
            assert f"{named} " in out, named


def test_an_option_of_another_command_is_not_taken_for_a_removed_one(capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", "--epochs", "0", "--preset", "convnet", "--dataset", "synthetic")
    assert code == 2 and "was removed" not in err


def test_search_help_gives_the_measured_time_of_the_quick_profile(capsys):
    _, out, _ = run_cli(capsys, "search", "--help")
    assert "about 7 min on idle cores, up to 15 on a busy machine" in " ".join(out.split())
