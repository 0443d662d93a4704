"""The security and `--workers` options of `search`: each bad combination is one error line, exit 2,
before anything is written (in-process: the checks come before TensorFlow)."""

from __future__ import annotations

import pytest
from helpers import run_cli

SEARCH = ("search", "--dataset", "synthetic")


@pytest.mark.parametrize(
    "extra, phrase",
    [
        (("--workers", "2", "--role", "chief", "--oracle", "127.0.0.1:8000"), "--workers starts its own chief"),
        (("--workers", "0"), "--workers must be a number from 1 to 64"),
        (("--insecure",), "--insecure belongs to a distributed search"),
        (("--role", "chief", "--oracle", "10.0.0.5:8000", "--token-file", "{tmp}/short"), "at least 16 printable"),
        (("--role", "chief", "--oracle", "10.0.0.5:8000", "--token-file", "{tmp}/none"), "cannot read it"),
        (("--role", "chief", "--oracle", "127.0.0.1:8000", "--tls-cert", "{tmp}/short"), "go together"),
        (("--role", "chief", "--oracle", "127.0.0.1:8000", "--tls-ca", "{tmp}/short"), "--tls-ca is for workers"),
        (
            ("--role", "worker", "--worker-id", "a", "--oracle", "10.0.0.5:8000", "--tls-ca", "{tmp}/none"),
            "no such file",
        ),
    ],
)
def test_bad_security_or_workers_options_are_one_line(tmp_path, capsys, monkeypatch, extra, phrase):
    monkeypatch.delenv("EMNIST_TUNER_TOKEN", raising=False)
    (tmp_path / "short").write_text("secret\n")
    args = [a.format(tmp=tmp_path) for a in (*SEARCH, "--run-dir", str(tmp_path / "run"), *extra)]
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and err.startswith("error: ") and phrase in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "run").exists()


def test_a_token_from_the_environment_lets_a_chief_listen_beyond_loopback(monkeypatch, tmp_path):
    from emnist_tuner.errors import ConfigError
    from emnist_tuner.hyperband.distributed.security import protection_options

    monkeypatch.delenv("EMNIST_TUNER_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="beyond this machine"):
        protection_options("chief", "0.0.0.0", None, {}, False)
    assert protection_options("chief", "127.0.0.1", None, {}, False).token is None  # loopback: no token needed
    assert protection_options("chief", "0.0.0.0", None, {}, True).insecure
    monkeypatch.setenv("EMNIST_TUNER_TOKEN", "t" * 20)
    protection = protection_options("chief", "0.0.0.0", None, {}, False)
    assert protection.token == "t" * 20 and protection.env()["EMNIST_TUNER_TOKEN"] == "t" * 20
    (tmp_path / "token").write_text("f" * 40 + "\n")
    assert protection_options("worker", "10.0.0.5", tmp_path / "token", {}, False).metadata() == (
        ("emnist-tuner-token", "f" * 40),
    )
