"""Who may call the chief's oracle: a shared token checked on every call, and TLS.

KerasTuner's oracle service answers anyone who reaches its port. Here:

- the chief refuses to listen on an address other than loopback unless the calls are protected (a
  token, from ``EMNIST_TUNER_TOKEN`` or ``--token-file``, never on a command line) or the user said
  ``--insecure``;
- ``TokenCheck``, a gRPC ``ServerInterceptor``, checks the token of every call before KerasTuner's
  servicer sees it: a call without the right one gets ``UNAUTHENTICATED``, changes nothing, and is
  reported once per peer address;
- the workers send the token as call metadata (``client`` adds it with its interceptor);
- ``--tls-cert/--tls-key`` make the chief serve TLS (``grpc.ssl_server_credentials``), with
  ``--tls-client-ca`` it also requires client certificates; a worker trusts ``--tls-ca`` (and shows
  its own ``--tls-cert/--tls-key`` as client certificate).

The parent process hands all of it to its chief or worker processes in their environment
(``Protection.env``; a process's environment is readable by its user only, unlike its command line).
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

from ...errors import ConfigError
from ...io import is_loopback

TOKEN_VARIABLE = "EMNIST_TUNER_TOKEN"
TOKEN_KEY = "emnist-tuner-token"  # gRPC metadata key of the token (lower case, ASCII)
_FILES = {  # Protection field -> the variable that hands it to a child process
    "tls_cert": "EMNIST_TUNER_TLS_CERT",
    "tls_key": "EMNIST_TUNER_TLS_KEY",
    "tls_client_ca": "EMNIST_TUNER_TLS_CLIENT_CA",
    "tls_ca": "EMNIST_TUNER_TLS_CA",
}
_OPTION = {"tls_cert": "--tls-cert", "tls_key": "--tls-key", "tls_client_ca": "--tls-client-ca", "tls_ca": "--tls-ca"}


@dataclass(frozen=True)
class Protection:
    """The token and TLS files of a chief or a worker (all optional)."""

    token: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    tls_ca: str | None = None
    insecure: bool = False

    def env(self) -> dict:
        """Variables that hand this protection to a chief or worker process (None: unset)."""
        files = {var: getattr(self, field) for field, var in _FILES.items()}
        return {TOKEN_VARIABLE: self.token, **files}

    @classmethod
    def from_env(cls) -> Protection:
        """The protection a parent process handed down (``env``)."""
        cert, key, client_ca, ca = (os.environ.get(var) or None for var in _FILES.values())
        return cls(os.environ.get(TOKEN_VARIABLE) or None, cert, key, client_ca, ca)

    def metadata(self) -> tuple:
        """The call metadata that carries the token."""
        return ((TOKEN_KEY, self.token),) if self.token else ()

    def server_credentials(self):
        """grpc server credentials for TLS, or None (no certificate given)."""
        if not self.tls_cert:
            return None
        client_ca = _read(self.tls_client_ca) if self.tls_client_ca else None
        return grpc.ssl_server_credentials(
            [(_read(self.tls_key), _read(self.tls_cert))],
            root_certificates=client_ca,
            require_client_auth=client_ca is not None,
        )

    def channel(self, address: str):
        """A channel to the chief at ``address``: TLS when a CA is given (``tls_ca``), else plain."""
        if not self.tls_ca:
            return grpc.insecure_channel(address)
        own = (_read(self.tls_key), _read(self.tls_cert)) if self.tls_cert and self.tls_key else (None, None)
        credentials = grpc.ssl_channel_credentials(_read(self.tls_ca), private_key=own[0], certificate_chain=own[1])
        return grpc.secure_channel(address, credentials)


def _read(path: str | None) -> bytes:
    return Path(str(path)).read_bytes()


def protection_options(
    role: str | None,
    host: str | None,
    token_file: Path | None,
    tls: dict[str, Path | None],
    insecure: bool,
) -> Protection:
    """Check the security options of `search` (ConfigError, exit 2, before anything is written) and read
    them; ``tls`` maps tls_cert, tls_key, tls_client_ca, tls_ca to the paths given."""
    given = {name: path for name, path in tls.items() if path is not None}
    if role is None and (given or token_file or insecure):
        names = [_OPTION[n] for n in given] + (["--token-file"] if token_file else []) + (["--insecure"] * insecure)
        verb = "belong" if len(names) > 1 else "belongs"
        raise ConfigError(f"{', '.join(names)} {verb} to a distributed search: add --role chief or --role worker")
    for name, path in given.items():
        if not path.is_file():
            raise ConfigError(f"{_OPTION[name]} {path}: no such file; give a PEM file")
    if ("tls_cert" in given) != ("tls_key" in given):
        raise ConfigError("--tls-cert and --tls-key go together (the certificate and its private key, PEM files)")
    if role == "chief" and "tls_ca" in given:
        raise ConfigError("--tls-ca is for workers (the CA they trust); the chief takes --tls-client-ca")
    if role == "worker" and "tls_client_ca" in given:
        raise ConfigError("--tls-client-ca is for the chief; a worker trusts the chief's CA with --tls-ca")
    if role == "chief" and "tls_client_ca" in given and "tls_cert" not in given:
        raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key (client certificates need TLS)")
    token = _token(token_file)
    protection = Protection(token=token, insecure=insecure, **{k: str(v) for k, v in given.items()})
    if role == "chief" and host is not None and not is_loopback(host) and not token and not insecure:
        raise ConfigError(
            f"the chief would serve the oracle on {host}, beyond this machine, to anyone: set {TOKEN_VARIABLE} "
            "or --token-file FILE (with --tls-cert/--tls-key so it does not travel in the clear), or add "
            "--insecure on a trusted network"
        )
    return protection


def _token(token_file: Path | None) -> str | None:
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--token-file {token_file}: cannot read it ({exc}); give a text file") from None
        where = f"--token-file {token_file}"
    else:
        token = os.environ.get(TOKEN_VARIABLE, "").strip()
        where = TOKEN_VARIABLE
    if not token:
        if token_file is not None:
            raise ConfigError(f"{where} is empty; put the shared token in it (e.g. `openssl rand -hex 32`)")
        return None
    if len(token) < 16 or not token.isascii() or not token.isprintable():
        raise ConfigError(f"{where}: the token must be at least 16 printable ASCII characters (`openssl rand -hex 32`)")
    return token


class TokenCheck(grpc.ServerInterceptor):
    """Every call must carry ``token``; others get UNAUTHENTICATED before any servicer method runs,
    and ``report(peer)`` is called once per peer host."""

    def __init__(self, token: str, report):
        self.token = token.encode()
        self.report = report
        self.reported: set[str] = set()
        self.lock = threading.Lock()

    def intercept_service(self, continuation, handler_call_details):
        """gRPC's hook before each call: the servicer's handler, or a refusal."""
        given = dict(handler_call_details.invocation_metadata or ()).get(TOKEN_KEY, "")
        if hmac.compare_digest(str(given).encode(), self.token):
            return continuation(handler_call_details)
        return grpc.unary_unary_rpc_method_handler(self._refuse)

    def _refuse(self, request, context):
        peer = context.peer().rsplit(":", 1)[0]  # "ipv4:1.2.3.4:PORT" -> without the port
        with self.lock:
            first = peer not in self.reported
            self.reported.add(peer)
        if first:
            self.report(peer)
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "a call without the search's token was refused")


def probe(address: str, protection: Protection, wait: float = 30.0) -> None:
    """A worker's first call to the chief, before any training process starts: RunError (one line) when
    the chief refuses the token, or cannot be reached within ``wait`` seconds (KerasTuner's own calls
    would wait an hour, e.g. for a plain worker at a TLS chief)."""
    from ...errors import RunError
    from .. import kt_ext

    channel = protection.channel(address)
    stub = kt_ext.protos().get_service_grpc().OracleStub(channel)
    request = kt_ext.protos().get_service().GetSpaceRequest()
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                stub.GetSpace(request, metadata=protection.metadata(), timeout=5)
                return
            except grpc.RpcError as exc:
                code = exc.code()
                if code == grpc.StatusCode.UNAUTHENTICATED:
                    raise RunError(
                        f"the chief at {address} refused this worker's token: set {TOKEN_VARIABLE} or "
                        "--token-file to the chief's token"
                    ) from None
                if code not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    return  # the chief answered (e.g. refusing a process): the worker process will say why
                if time.monotonic() > deadline:
                    tls = "with --tls-ca" if protection.tls_ca else "without --tls-ca"
                    raise RunError(
                        f"cannot reach the chief's oracle at {address} within {wait:.0f} s ({exc.details()}); "
                        f"this worker talks {tls}: a TLS chief needs --tls-ca, a plain one none"
                    ) from None
                time.sleep(1)
    finally:
        channel.close()
