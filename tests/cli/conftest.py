"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest

from emnist_tuner.runfolder.configs import SearchConfig


@pytest.fixture
def started(monkeypatch):
    """The configs searches would start with (the search itself is not run): a list that each started search
    appends its config to."""
    from emnist_tuner.cli import search as cli_search
    from emnist_tuner.hyperband import search

    seen: list[SearchConfig] = []
    monkeypatch.setattr(search, "_run", lambda run, config, ui, chief=None, resuming=False: seen.append(config) or {})
    monkeypatch.setattr(cli_search, "print_winner", lambda run_dir, final: None)
    return seen
