"""A worker of a distributed search: KerasTuner's own ``OracleClient``, with heartbeats and without
its busy loop.

KerasTuner builds the client itself (``BaseTuner.__init__`` when ``KERASTUNER_ORACLE_IP`` is set and
the tuner id does not contain "chief"). ``attach`` then:

- sends this worker's tuner id and a session id (one per process) with every call, as gRPC
  metadata, so the chief (``oracle_server``) knows who is alive and who holds which trial;
- calls ``GetSpace`` every ``heartbeat`` seconds from a background thread while the worker trains;
  if the chief refuses this process (its trial went to another worker, or the same worker id was
  started again), the process reports the reason and exits;
- waits ``idle_wait`` seconds after an IDLE answer: KerasTuner asks again at once, which keeps a
  CPU core busy while Hyperband waits for the trials of a round to finish.

It also silences the debug ``print`` left in KerasTuner 1.4.8's ``conditions.Parent.to_proto``,
which prints a value each time a conditional hyperparameter crosses the wire.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import uuid

import grpc
from keras_tuner.src import protos

from .oracle_server import SESSION_KEY, WORKER_KEY

HEARTBEAT_SECONDS = float(os.environ.get("EMNIST_TUNER_HEARTBEAT", "5"))


def silence_debug_print() -> None:
    """KerasTuner 1.4.8 ``conditions.py`` prints ``self.values[0]`` in ``Parent.to_proto``: shadow the
    builtin ``print`` in that one module (nothing else there prints)."""
    from keras_tuner.src.engine import conditions

    conditions.print = lambda *args, **kwargs: None


class _CallDetails(collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials",
                                                           "wait_for_ready", "compression")),
                   grpc.ClientCallDetails):
    pass


class _WithMetadata(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, metadata):
        self.metadata = tuple(metadata)

    def intercept_unary_unary(self, continuation, details, request):
        details = _CallDetails(details.method, details.timeout, tuple(details.metadata or ()) + self.metadata,
                               details.credentials, details.wait_for_ready, details.compression)
        return continuation(details, request)


def attach(tuner, emit, heartbeat: float = HEARTBEAT_SECONDS, idle_wait: float = 1.0) -> None:
    """Give ``tuner``'s OracleClient our metadata, a heartbeat and a pause after IDLE answers."""
    silence_debug_print()
    client = tuner.oracle
    address = f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
    metadata = ((WORKER_KEY, tuner.tuner_id), (SESSION_KEY, uuid.uuid4().hex))
    channel = grpc.intercept_channel(grpc.insecure_channel(address), _WithMetadata(metadata))
    client.stub = protos.get_service_grpc().OracleStub(channel)
    create_trial = client.create_trial

    def create_trial_patiently(tuner_id):
        trial = create_trial(tuner_id)
        if trial.status == "IDLE":
            time.sleep(idle_wait)
        return trial

    client.create_trial = create_trial_patiently
    threading.Thread(target=_beat, args=(client.stub, heartbeat, emit), name="heartbeat", daemon=True).start()


def _beat(stub, every: float, emit) -> None:
    request = protos.get_service().GetSpaceRequest()
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
        return f"the chief at {os.environ.get('KERASTUNER_ORACLE_IP')}:{os.environ.get('KERASTUNER_ORACLE_PORT')} " \
               f"answered {exc.code().name}: {exc.details()}"
    return None
