"""A worker of a distributed search: KerasTuner's own ``OracleClient``, with heartbeats and without
its busy loop.

KerasTuner makes a distributed worker's tuner talk to the chief through an ``OracleClient``;
``RunHyperband`` uses this subclass instead, which:

- sends this worker's tuner id, a session id (one per process) and the search's token, if any
  (see ``security``; TLS too), with every call, as gRPC metadata, so the chief (``chief``) knows
  who is alive and who holds which trial;
- calls ``GetSpace`` every ``heartbeat`` seconds from a background thread while the worker trains;
  if the chief refuses this process (its trial went to another worker, or the same worker id was
  started again), the process reports the reason and exits;
- waits ``idle_wait`` seconds after an IDLE answer: KerasTuner asks again at once, which keeps a
  CPU core busy while Hyperband waits for the trials of a round to finish.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import uuid
from typing import Any

import grpc

from .. import kt_ext
from .roles import SESSION_KEY, WORKER_KEY
from .security import Protection

HEARTBEAT_SECONDS = float(os.environ.get("EMNIST_TUNER_HEARTBEAT", "5"))


class _CallDetails(
    collections.namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class _WithMetadata(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, metadata):
        self.metadata = tuple(metadata)

    def intercept_unary_unary(self, continuation, details, request):
        """gRPC's hook around each call: the call, with our metadata (worker id, session) added."""
        details = _CallDetails(
            details.method,
            details.timeout,
            tuple(details.metadata or ()) + self.metadata,
            details.credentials,
            details.wait_for_ready,
            details.compression,
        )
        return continuation(details, request)


OracleClient: Any = kt_ext.oracle_client_class()  # a class, typed Any (KerasTuner has no types)


class RunOracleClient(OracleClient):
    """``OracleClient`` with our metadata, a heartbeat and a pause after IDLE answers."""

    def __init__(self, oracle, tuner_id: str, emit, heartbeat: float = HEARTBEAT_SECONDS, idle_wait: float = 1.0):
        super().__init__(oracle)
        self.idle_wait = idle_wait
        address = f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
        protection = Protection.from_env()  # the token and TLS files the parent handed down
        metadata = ((WORKER_KEY, tuner_id), (SESSION_KEY, uuid.uuid4().hex), *protection.metadata())
        channel = grpc.intercept_channel(protection.channel(address), _WithMetadata(metadata))
        self.stub = kt_ext.protos().get_service_grpc().OracleStub(channel)
        threading.Thread(target=_beat, args=(self.stub, heartbeat, emit), name="heartbeat", daemon=True).start()

    def create_trial(self, tuner_id):
        """KerasTuner's ``create_trial``, pausing ``idle_wait`` seconds after an IDLE answer (no
        trial to hand out yet) so that an idle worker does not poll the chief in a tight loop."""
        trial = super().create_trial(tuner_id)
        if trial.status == "IDLE":
            time.sleep(self.idle_wait)
        return trial


def _beat(stub, every: float, emit) -> None:
    request = kt_ext.protos().get_service().GetSpaceRequest()
    while True:
        try:
            stub.GetSpace(request, timeout=max(every, 5.0))
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:  # the chief gave our trial away
                emit({"event": "error", "message": exc.details()})
                os._exit(3)
        time.sleep(every)


def rpc_message(exc: BaseException) -> str | None:
    """The chief's one-line reason for a refused call, or None if ``exc`` is no gRPC error."""
    if isinstance(exc, grpc.RpcError) and hasattr(exc, "details"):
        return (
            f"the chief at {os.environ.get('KERASTUNER_ORACLE_IP')}:{os.environ.get('KERASTUNER_ORACLE_PORT')} "
            f"answered {exc.code().name}: {exc.details()}"
        )
    return None
