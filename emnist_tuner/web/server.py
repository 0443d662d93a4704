"""``serve``: check the folder, the host and the port (cheap checks, before the app is built), bind the
port, then run the app with uvicorn until Ctrl-C or SIGTERM (exit 130, as every long command)."""

from __future__ import annotations

import errno
import importlib.util
import signal
import socket
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from ..errors import ConfigError, Interrupted, MissingDependency, RunError, plural
from ..io import is_loopback
from .runs_data import find_run_folders

PACKAGES = ("starlette", "uvicorn", "plotly")  # the `serve` extra
EXTRA = "pip install 'emnist-tuner[serve]'"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765


def check_installed() -> None:
    """MissingDependency (one line naming the extra) unless the serve extra's packages are installed."""
    missing = [name for name in PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingDependency(f"serve needs {', '.join(missing)}: {EXTRA}")


def check_folder(folder: Path | str) -> Path:
    """The folder to serve: RunError (exit 1) unless it is a run folder or holds one."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "a file" if folder.exists() else "no such folder"
        raise RunError(f"{folder} is not a folder ({what}); give the folder that holds your run folders")
    if not find_run_folders(folder):
        raise RunError(
            f"{folder} has no run folders (a run folder holds a config.json); give the folder that holds your "
            f"runs, or start one there first (`emnist-tuner search --dataset mnist --run-dir {folder}/NAME`)"
        )
    return folder


def check_port(port: int) -> int:
    """``port``, or ConfigError (exit 2) outside 1..65535."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port must be between 1 and 65535, got {port}")
    return port


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port``; ConfigError (exit 2, one line) when the address is not this
    machine's, the port is in use or not allowed."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigError(
            f"--host {host}: not a known address ({getattr(exc, 'strerror', None) or exc}); "
            "give this machine's address, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every network)"
        ) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"--port {port}: already in use on {host}; stop what uses it or choose another with --port"
            ) from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise ConfigError(
                f"--port {port}: not allowed here (ports below 1024 need privileges); use 1024 or above"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ConfigError(f"--host {host}: not an address of this machine; give one of its addresses") from None
        raise ConfigError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})") from None
    return sock


@contextmanager
def _signals_as_ctrl_c():
    """Ctrl-C and SIGTERM end the server as KeyboardInterrupt (uvicorn shuts down gracefully, then raises the
    signal again, which lands here), also where the shell started it with SIGINT ignored (in the background)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(folder: Path | str, host: str, port: int, say: Callable[[str], None]) -> None:
    """Serve the runs under ``folder`` at ``host``:``port`` until Ctrl-C or SIGTERM (then Interrupted,
    exit 130). Every input is checked before the port is taken; a host other than loopback is warned about."""
    check_installed()
    check_port(port)
    if not host:
        raise ConfigError("--host must not be empty; give an address such as 127.0.0.1")
    folder = check_folder(folder)
    sock = bind(host, port)
    import uvicorn

    from .app import make_app

    shown = f"[{host}]" if ":" in host else host
    if not is_loopback(host):
        print(
            f"warning: --host {host}: anyone on that network can see these runs at http://{shown}:{port}/",
            file=sys.stderr,
        )
    runs = plural(len(find_run_folders(folder)), "run")
    say(f"serving {runs} in {folder} at http://{shown}:{port}/ (read-only; Ctrl-C stops)")
    # on loopback, only this machine's names are answered (DNS rebinding); another --host answers any name
    hosts = ["127.0.0.1", "localhost", "[::1]", "::1", host] if is_loopback(host) else None
    config = uvicorn.Config(make_app(folder, hosts), log_level="warning", access_log=False, lifespan="off")
    try:
        with _signals_as_ctrl_c():
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        raise Interrupted("interrupted: the server stopped (it wrote nothing into the runs)") from None
    finally:
        sock.close()
