"""Distributed search on KerasTuner's own chief/worker engine (gRPC), over one shared run folder.

    emnist-tuner search OPTIONS --run-dir RUN --role chief  --oracle HOST:PORT
    emnist-tuner search OPTIONS --run-dir RUN --role worker --oracle HOST:PORT --worker-id ID

Every process uses the same run folder (a shared file system: NFS or similar, or one machine's disk).

- The chief holds the run's lock, writes ``config.json`` and ``status.json``, and runs the oracle
  server in a child process (KerasTuner's ``KERASTUNER_TUNER_ID=chief``; see ``oracle_server``:
  heartbeats, a silent worker's trial is handed to another one). When the oracle has no trial left,
  the chief retrains the winner and evaluates it on the test split, once, as a single-machine search.
- A worker checks that its options give the chief's config, then runs trials in worker processes of
  bounded lifetime (``KERASTUNER_TUNER_ID=worker-ID``, see ``oracle_client``) until the oracle stops.
  It takes ``RUN/workers/ID.lock``: one process per worker id at a time.
- Each writes its own log: ``RUN/logs/chief.log``, ``RUN/logs/worker-ID.log``.
"""

from __future__ import annotations

import errno
import fcntl
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ...errors import ConfigError, RunError, plural
from ...runfolder.budget import SearchClock
from ...runfolder.configs import SearchConfig
from ...runfolder.layout import CHIEF_LOG, RunFolder, worker_log_name
from ..process import run_worker_process
from ..schedule import total_trials
from .security import Protection, probe

CHIEF_ID = "chief"
WORKER_KEY = "emnist-tuner-worker"  # gRPC metadata keys of our workers' calls (lower case, ASCII)
SESSION_KEY = "emnist-tuner-session"
WORKER_PREFIX = "worker-"
WORKER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class OracleAddress:
    """Where the chief's oracle listens (``HOST:PORT``)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    def env(self, tuner_id: str) -> dict:
        """The environment that makes KerasTuner's tuner ``tuner_id`` talk to this oracle."""
        return {
            "KERASTUNER_TUNER_ID": tuner_id,
            "KERASTUNER_ORACLE_IP": self.host,
            "KERASTUNER_ORACLE_PORT": str(self.port),
        }


def parse_oracle(text: str | None) -> OracleAddress:
    """``HOST:PORT`` (``[v6-address]:PORT`` for IPv6) → OracleAddress, else ConfigError."""
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})", (text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 65535:
        raise ConfigError(f"--oracle must be HOST:PORT with a port from 1 to 65535 (e.g. 10.0.0.5:8000), got '{text}'")
    return OracleAddress(match.group(1), int(match.group(2)))


def check_roles(
    role: str | None, oracle: str | None, worker_id: str | None, worker_timeout: float
) -> OracleAddress | None:
    """Validate the distributed options of `search` (ConfigError, exit 2); the address or None."""
    if role is None:
        if oracle or worker_id:
            raise ConfigError(
                "--oracle and --worker-id belong to a distributed search: add --role chief or --role worker"
            )
        return None
    if role not in ("chief", "worker"):
        raise ConfigError(f"--role must be chief or worker, got '{role}'")
    if not oracle:
        raise ConfigError(f"--role {role} needs --oracle HOST:PORT (the chief's address)")
    address = parse_oracle(oracle)
    if role == "worker":
        if not worker_id:
            raise ConfigError("--role worker needs --worker-id ID (one per worker process, e.g. gpu0 or the host name)")
        if not WORKER_ID.fullmatch(worker_id) or "chief" in worker_id.lower():
            raise ConfigError(
                f"--worker-id must be 1-64 letters, digits, '.', '_' or '-' (not containing 'chief'), got '{worker_id}'"
            )
    elif worker_id:
        raise ConfigError("--worker-id is for --role worker; the chief has no worker id")
    if worker_timeout < 2:
        raise ConfigError(f"--worker-timeout must be at least 2 seconds, got {worker_timeout:g}")
    return address


def check_port_free(address: OracleAddress) -> None:
    """The chief's port must be free on this machine (ConfigError otherwise)."""
    host = address.host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, address.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"--oracle {address}: cannot resolve '{host}' ({exc.strerror})") from None
    family, kind, proto, _, sockaddr = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restarted chief: old connections linger
        try:
            probe.bind(sockaddr)
            probe.listen()
        except OSError as exc:
            why = (
                "the port is in use; choose another port"
                if exc.errno == errno.EADDRINUSE
                else f"{exc.strerror}; use an address of this machine, or 0.0.0.0 for all of them"
            )
            raise ConfigError(f"--oracle {address}: the chief cannot listen there: {why}") from None


class ChiefRole:
    """What `search --role chief` changes in a search (``search._run`` calls these)."""

    tuner_id = CHIEF_ID

    def __init__(self, address: OracleAddress, worker_timeout: float = 120.0, protection: Protection | None = None):
        self.address = address
        self.worker_timeout = worker_timeout
        self.protection = protection or Protection()

    def status(self) -> dict:
        """The chief's fields of ``status.json``."""
        return {"role": "chief", "oracle": str(self.address)}

    def serve(self, run: RunFolder, config: SearchConfig, ui, rounds) -> None:
        """Serves the oracle (in a chief process) until every trial has ended, unless only the final
        retrain is left; then records that phase in the run's status."""
        if run.read_status().get("phase") != "final":
            env = {**self.chief_env(), "CUDA_VISIBLE_DEVICES": ""}  # the chief trains nothing
            clock = SearchClock(run, config.time_budget, total_trials(rounds))
            env.update(clock.worker_env())  # --time-budget: the chief's oracle hands out no trial after it
            run_worker_process(
                run,
                "chief",
                None,
                ui.chief_log(total_trials(rounds), self.worker_timeout),
                env=env,
                log_name=CHIEF_LOG,
                args=("--worker-timeout", str(self.worker_timeout)),
            )
            clock.save()
        run.write_status("running", "the oracle has stopped; retraining the winner", phase="final", **self.status())

    def chief_env(self) -> dict:
        """The environment of the chief's oracle process: KerasTuner's variables, the protection."""
        return {**self.address.env(CHIEF_ID), **self.protection.env()}

    def final_process(self) -> dict:
        """Keyword arguments of ``run_worker_process`` for the final retrain: tuner "chief", no oracle
        address (not a worker), the chief's log."""
        return {
            "env": {"KERASTUNER_TUNER_ID": CHIEF_ID, "KERASTUNER_ORACLE_IP": None, "KERASTUNER_ORACLE_PORT": None},
            "log_name": CHIEF_LOG,
        }


def run_worker_role(
    config: SearchConfig,
    run_dir: Path | str,
    ui,
    address: OracleAddress,
    worker_id: str,
    wait_for_chief: float = 120.0,
    protection: Protection | None = None,
) -> int:
    """`search --role worker`: train trials for the chief until its oracle stops (``protection``: the
    token and TLS files its calls use). Returns the number of trials this worker finished."""
    from ..space import fingerprint_for

    run = RunFolder(run_dir)
    deadline = time.monotonic() + wait_for_chief
    if not run.exists():
        ui.say(f"waiting for the chief to create {run.config_file} …")
    while not run.exists():
        if time.monotonic() > deadline:
            raise RunError(
                f"{run.path} has no {run.config_file.name} after {wait_for_chief:.0f} s: start the chief first "
                f"(`emnist-tuner search … --run-dir {run.path} --role chief --oracle {address}`); "
                "every process must see the same run folder"
            )
        time.sleep(0.5)
    saved = SearchConfig.load(run.path)
    config.keep_unasked(saved)  # recipe options, --tta and --space left out are the chief's
    config.space = fingerprint_for(config)
    diffs = saved.differences(config)
    if diffs:
        raise RunError(
            f"{run.path} holds the chief's search, and this worker's options differ: {'; '.join(diffs)}. "
            "Start the worker with the chief's options"
        )
    if run.search_is_over():
        ui.say(f"the search in {run.path} is over: nothing left for worker {worker_id}")
        return 0
    _check_chief(run, address)
    probe(str(address), protection or Protection())
    display = ui.worker_log(worker_id)
    env = {**address.env(WORKER_PREFIX + worker_id), **(protection or Protection()).env()}
    args = ("--data-dir", str(config.data_dir)) if config.data_dir else ()
    log_name = worker_log_name(worker_id)
    with _worker_lock(run, worker_id):
        ui.say(f"worker {worker_id}: oracle at {address}, run folder {run.path}, log {run.log_file(log_name)}")
        while not run.search_is_over():  # checked before each new process: the chief may be gone
            if (
                run_worker_process(
                    run, "search", config.trials_per_worker, display, env=env, log_name=log_name, args=args
                )
                == "search_done"
            ):
                break
    ui.say(f"worker {worker_id}: the oracle has no trial left; {plural(display.finished, 'trial')} finished here")
    return display.finished


def _check_chief(run: RunFolder, address: OracleAddress, wait: float = 10.0) -> None:
    """The run's status (written by its chief just after config.json) must name a chief on this port:
    else the worker would wait an hour for an oracle that is not there."""
    deadline = time.monotonic() + wait
    status = run.read_status()
    while "oracle" not in status and status.get("state") != "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        status = run.read_status()
    if status.get("role") != "chief":
        raise RunError(
            f"{run.path} is not run by a chief (its status says {status.get('state', 'nothing')}, with "
            "no oracle): start its chief with --role chief, or resume it on one machine"
        )
    served = parse_oracle(status["oracle"])
    if served.port != address.port:
        raise RunError(
            f"the chief of {run.path} serves on port {served.port} ({served}), not {address.port}; "
            f"use --oracle <the chief's host>:{served.port}"
        )


class _worker_lock:
    """RUN/workers/ID.lock, held while a worker id is in use (two processes with one id would share a trial)."""

    def __init__(self, run: RunFolder, worker_id: str):
        self.path = run.worker_lock(worker_id)
        self.handle: TextIO | None = None

    def __enter__(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = handle = open(self.path, "a+")
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise RunError(
                f"worker id {self.path.stem} is in use by another process ({self.path}); give each "
                "worker its own --worker-id"
            ) from None
        except OSError as exc:
            raise RunError(
                f"cannot use {self.path.parent} ({exc.strerror or exc}); the run folder must be "
                "writable by every worker"
            ) from None
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
