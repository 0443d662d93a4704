"""`emnist-tuner serve`: each refusal is one line with the README's exit code, before the port is taken;
a served folder answers, a host other than loopback is warned about, Ctrl-C and SIGTERM stop it (130)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import run_cli
from serve_runs import write_search


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def runs(tmp_path):
    write_search(tmp_path / "runs" / "one", 3)
    return tmp_path / "runs"


def test_refusals_are_one_line_each_with_the_readme_exit_code(tmp_path, runs, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    cases = [
        ((str(tmp_path / "nothing"),), 1, "is not a folder (no such folder)"),
        ((str(tmp_path / "file"),), 1, "is not a folder (a file)"),
        ((str(tmp_path / "empty"),), 1, "has no run folders (a run folder holds a config.json)"),
        ((str(runs), "--port", "0"), 2, "--port must be between 1 and 65535, got 0"),
        ((str(runs), "--port", "70000"), 2, "--port must be between 1 and 65535, got 70000"),
        ((str(runs), "--host", "no-such-host.invalid"), 2, "--host no-such-host.invalid: not a known address"),
        ((str(runs), "--host", ""), 2, "--host must not be empty"),
    ]
    for args, code, message in cases:
        got, out, err = run_cli(capsys, "serve", *args)
        assert (got, out) == (code, ""), (args, got, out, err)
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, (args, err)


def test_a_port_in_use_is_refused(runs, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run_cli(capsys, "serve", str(runs), "--port", str(port))
    assert code == 2 and out == ""
    assert (
        err == f"error: --port {port}: already in use on 127.0.0.1; stop what uses it or choose another with --port\n"
    )


def test_a_missing_extra_names_it(runs, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    code, out, err = run_cli(capsys, "serve", str(runs))
    assert code == 1 and err == "error: serve needs uvicorn: pip install 'emnist-tuner[serve]'\n"


def _start(runs: Path, *args: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emnist_tuner.cli", "serve", str(runs), "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=2) as answer:
                assert b'"one"' in answer.read()
                return proc, port
        except OSError:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not answer within 30 s")


@pytest.fixture
def started():
    """Starts servers (``started(runs, *options)``: the process and its port); any left running is killed."""
    procs = []

    def start(runs: Path, *args: str) -> tuple[subprocess.Popen, int]:
        proc, port = _start(runs, *args)
        procs.append(proc)
        return proc, port

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_the_server_answers_and_ctrl_c_or_sigterm_stop_it_with_130(runs, how, started):
    proc, port = started(runs)
    rebound = urllib.request.Request(f"http://127.0.0.1:{port}/api/runs", headers={"Host": "rebound.example"})
    with pytest.raises(urllib.error.HTTPError, match="400"):  # another name for this machine: not answered
        urllib.request.urlopen(rebound, timeout=10)
    proc.send_signal(how)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert out == f"serving 1 run in {runs} at http://127.0.0.1:{port}/ (read-only; Ctrl-C stops)\n"
    assert err == "interrupted: the server stopped (it wrote nothing into the runs)\n"


def test_another_host_is_warned_about(runs, started):
    proc, port = started(runs, "--host", "0.0.0.0")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert err.splitlines()[0] == (
        f"warning: --host 0.0.0.0: anyone on that network can see these runs at http://0.0.0.0:{port}/"
    )
