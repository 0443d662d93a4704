"""Bad option values: one clear line on stderr, exit code 2 (ConfigError), nothing started or created."""

from __future__ import annotations

import errno
import socket
import tempfile

import pytest
from helpers import run_cli

SEARCH = ("search", "--dataset", "synthetic", "--max-epochs", "2", "--factor", "2")


def assert_config_error(result, *phrases):
    code, out, err = result
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for phrase in phrases:
        assert phrase in err, err


@pytest.mark.parametrize(
    "args, phrases",
    [
        (("search", "--dataset", "emnist-digitz"), ("unknown dataset 'emnist-digitz'", "known: ")),
        (("search", "--dataset", "synthetic", "--max-epochs", "-1"), ("--max-epochs must be at least 1, got -1",)),
        (("search", "--dataset", "synthetic", "--factor", "1"), ("--factor must be at least 2, got 1",)),
        (
            ("train", "--preset", "convnet", "--dataset", "synthetic", "--epochs", "-3"),
            ("--epochs must be at least 1",),
        ),
        (("train", "--preset", "convnet", "--dataset", "nope"), ("unknown dataset 'nope'",)),
        (("search", "--dataset", "synthetic", "--final-epochs", "0"), ("--final-epochs must be at least 1, got 0",)),
        (("search", "--dataset", "synthetic", "--label-smoothing", "1.2"), ("--label-smoothing must be at least 0",)),
        (("search", "--dataset", "synthetic", "--ensemble", "0"), ("--ensemble must be at least 1, got 0",)),
        (("search", "--dataset", "synthetic", "--ensemble-of", "best"), ("--ensemble-of must be one of seeds, top",)),
        (("search", "--dataset", "synthetic", "--precision", "fp8"), ("--precision must be one of auto, float32",)),
        (
            ("train", "--preset", "convnet", "--dataset", "synthetic", "--weight-decay", "-1"),
            ("--weight-decay must be at least 0",),
        ),
        (
            ("train", "--preset", "convnet", "--dataset", "synthetic", "--warmup-epochs", "-1"),
            ("--warmup-epochs must be at least 0",),
        ),
    ],
)
def test_bad_values(capsys, tmp_path, args, phrases):
    run = tmp_path / "run"
    assert_config_error(run_cli(capsys, *args, "--run-dir", str(run)), *phrases)
    assert not run.exists()


@pytest.mark.parametrize(
    "extra, phrases",
    [
        (("--role", "worker", "--oracle", "127.0.0.1:8000"), ("--role worker needs --worker-id",)),
        (("--role", "chief"), ("--role chief needs --oracle HOST:PORT",)),
        (("--role", "boss", "--oracle", "127.0.0.1:8000"), ("--role must be chief or worker, got 'boss'",)),
        (("--oracle", "127.0.0.1:8000"), ("add --role chief or --role worker",)),
        (("--role", "chief", "--oracle", "127.0.0.1:8000", "--worker-id", "a"), ("--worker-id is for --role worker",)),
        (("--role", "worker", "--oracle", "127.0.0.1:8000", "--worker-id", "my chief"), ("--worker-id must be",)),
        (("--role", "chief", "--oracle", "127.0.0.1:8000", "--worker-timeout", "0"), ("--worker-timeout must be",)),
        (("--role", "chief", "--oracle", "localhost"), ("--oracle must be HOST:PORT", "got 'localhost'")),
        (("--role", "chief", "--oracle", "localhost:99999"), ("--oracle must be HOST:PORT",)),
        (("--role", "worker", "--worker-id", "a", "--oracle", ":8000"), ("--oracle must be HOST:PORT",)),
        (("--role", "worker", "--worker-id", "a", "--oracle", "host:port"), ("--oracle must be HOST:PORT",)),
    ],
)
def test_bad_distributed_options(capsys, tmp_path, extra, phrases):
    run = tmp_path / "run"
    assert_config_error(run_cli(capsys, *SEARCH, "--run-dir", str(run), *extra), *phrases)
    assert not run.exists()


def test_chief_port_in_use(capsys, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            capsys, *SEARCH, "--run-dir", str(tmp_path / "run"), "--role", "chief", "--oracle", f"127.0.0.1:{port}"
        )
    assert_config_error(result, f"--oracle 127.0.0.1:{port}: the chief cannot listen there: the port is in use")
    assert not (tmp_path / "run" / "config.json").exists()


def test_chief_address_not_of_this_machine(capsys, tmp_path):
    chief = (*SEARCH, "--run-dir", str(tmp_path / "run"), "--role", "chief", "--oracle", "192.0.2.1:8000")
    result = run_cli(capsys, *chief)  # unprotected beyond loopback: refused before the address is tried
    assert_config_error(result, "the chief would serve the oracle on 192.0.2.1, beyond this machine, to anyone")
    result = run_cli(capsys, *chief, "--insecure")
    assert_config_error(result, "the chief cannot listen there", "use an address of this machine")


def test_unwritable_run_dir(capsys, tmp_path, monkeypatch):
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")
    assert_config_error(run_cli(capsys, *SEARCH, "--run-dir", str(a_file)), "is a file", "choose a folder")
    assert_config_error(run_cli(capsys, *SEARCH, "--run-dir", str(a_file / "run")), "is a file (or under one)")
    assert a_file.read_text() == "not a folder"

    def read_only(*args, **kwargs):  # root may write anywhere: simulate a read-only mount
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    assert_config_error(
        run_cli(capsys, *SEARCH, "--run-dir", str(tmp_path / "ro")), "is not writable (Read-only file system)"
    )
    assert not (tmp_path / "ro").exists()  # a start that fails leaves no empty run folder


@pytest.mark.parametrize("command", ["leaderboard", "report", "compare"])
@pytest.mark.parametrize("config", ["{not json", "[1, 2]", ""])
def test_a_damaged_config_is_one_error_line_exit_1(tmp_path, capsys, command, config):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(config)
    code, out, err = run_cli(capsys, command, *[str(run)] * (2 if command == "compare" else 1))
    assert code == 1 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "config.json is damaged" in err


@pytest.mark.parametrize("command", ["leaderboard", "report", "compare"])
def test_a_folder_that_is_not_a_run_is_one_error_line_exit_1(tmp_path, capsys, command):
    (tmp_path / "notes.txt").write_text("hello")
    for target, why in (
        (tmp_path, "no config.json"),
        (tmp_path / "missing", "no such folder"),
        (tmp_path / "notes.txt", "a file"),
    ):
        code, out, err = run_cli(capsys, command, *[str(target)] * (2 if command == "compare" else 1))
        assert (
            code == 1
            and out == ""
            and err
            == f"error: {target} is not a run folder ({why}); give the folder "
            "of a search, train or ablation run (see `emnist-tuner runs`)\n"
        )
