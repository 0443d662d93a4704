"""``native_logs_hidden``: C++ log lines (written to file descriptor 2, below Python) never reach the user,
unless the block fails with something the project did not explain."""

from __future__ import annotations

import os

import pytest

from emnist_tuner.errors import ConfigError
from emnist_tuner.quiet import native_logs_hidden


def test_what_the_block_writes_to_fd_2_is_hidden(capfd):
    with native_logs_hidden():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_an_unexplained_failure_shows_it_again_and_a_project_error_does_not(capfd):
    with pytest.raises(RuntimeError), native_logs_hidden():
        os.write(2, b"why it failed\n")
        raise RuntimeError("boom")
    assert capfd.readouterr().err == "why it failed\n"
    with pytest.raises(ConfigError), native_logs_hidden():
        os.write(2, b"noise\n")
        raise ConfigError("one line says it all")
    with pytest.raises(RuntimeError), native_logs_hidden(replay=False):
        os.write(2, b"noise\n")
        raise RuntimeError("the caller says it in one line")
    assert capfd.readouterr().err == ""
