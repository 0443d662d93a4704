"""The chief of a distributed search: KerasTuner's own oracle service (gRPC), with dead-worker recovery.

KerasTuner 1.4.8's chief (``oracle_chief.start_server`` in its distribute package) serves the oracle
to the workers, but a worker that dies keeps its trial "ongoing" forever: Hyperband then answers
IDLE to every other worker (which ask again at once, in a busy loop) and the search never ends. Its
server also checks only every 20 s whether it may stop. This module serves the same
``OracleServicer`` (same protocol, same oracle) and adds:

- heartbeats: every call of our workers carries their tuner id and a per-process session id (gRPC
  metadata, see ``oracle_client``), and while they train they call ``GetSpace`` every few seconds;
- a worker silent for ``worker_timeout`` seconds loses its trial: it goes back to KerasTuner's retry
  queue with its metrics cleared, and the next worker asking for a trial reruns it; if the silent
  process comes back, its calls are refused (it stops with a one-line error);
- a worker restarted with the same id gets its unfinished trial back (KerasTuner's own
  ``create_trial``), rerun from scratch; its previous process, if still alive, is refused;
- after a restart of the chief, trials that were ongoing stay with their workers (which keep
  training: their calls wait for the chief) for ``worker_timeout`` seconds, instead of being handed
  out a second time at once;
- the server ends as soon as the oracle has stopped and every live worker has been told so.
"""

from __future__ import annotations

import threading
import time
from concurrent import futures
from typing import Any

import grpc
from keras_tuner.engine.trial import TrialStatus

from ...errors import RunError
from ...runfolder.trials import failure_reason
from .. import kt_ext
from ..oracle import trial_number
from .roles import SESSION_KEY, WORKER_KEY, WORKER_PREFIX
from .security import Protection, TokenCheck

OracleServicer: Any = kt_ext.oracle_servicer_class()  # a class, typed Any (KerasTuner has no types)


class Refused(Exception):
    """A call from a worker process that no longer owns its trial."""


class WatchedOracle:
    """Who is alive and who holds which trial, over a ``RunOracle`` (whose methods keep KerasTuner's
    state). All methods run under ``lock`` (gRPC threads and the monitor loop share the oracle)."""

    def __init__(self, oracle, emit, worker_timeout: float, clock=time.monotonic):
        self.oracle = oracle
        self.emit = emit
        self.timeout = worker_timeout
        self.clock = clock
        self.lock = threading.RLock()
        self.started = clock()
        self.last_seen: dict[str, float] = {}
        self.session_of: dict[str, str] = {}  # tuner id -> session of the process holding its trial
        self.refused: dict[str, str] = {}  # session -> why its calls are refused
        self.began: dict[str, float] = {}  # trial id -> wall time it was handed out
        self.stopped = False  # the oracle has answered STOPPED at least once

    def seen(self, tuner_id: str | None, session: str | None) -> None:
        """Records a call from ``tuner_id``; raises ``Refused`` for a process whose trial was given away."""
        if session in self.refused:
            raise Refused(self.refused[session])
        if tuner_id:
            self.last_seen[tuner_id] = self.clock()

    def adopt(self, saved_ongoing: dict[str, str]) -> None:
        """After a chief restart: give the trials our workers were training back to them (KerasTuner's
        reload put them in the retry queue); a worker that does not call within the timeout loses it."""
        self.oracle.adopt(saved_ongoing, WORKER_PREFIX)

    def before_create(self, tuner_id: str, session: str | None) -> bool:
        """A worker asks for a trial while holding one: it was restarted (its trial is rerun from
        scratch). Returns True if so."""
        trial = self.oracle.restart_trial_of(tuner_id)
        if trial is None:
            return False
        previous = self.session_of.get(tuner_id)
        if previous and previous != session:
            self.refused[previous] = (
                f"{tuner_id} was started again elsewhere and took over trial {trial.trial_id}; this process stops"
            )
        return True

    def after_create(self, tuner_id: str, session: str | None, status: str, again: bool) -> None:
        """After KerasTuner answered ``tuner_id``'s request for a trial: notes the trial handed out
        (``trial_begin`` event; ``again``: a restarted worker reruns it) or that the oracle has stopped."""
        if status == "STOPPED":
            self.stopped = True
            return
        trial = self.oracle.ongoing_trials.get(tuner_id)
        if status != "RUNNING" or trial is None:
            return
        if session:
            self.session_of[tuner_id] = session
        self.began[trial.trial_id] = time.time()
        values = trial.hyperparameters.values
        self.emit(
            {
                "event": "trial_begin",
                "trial_id": trial.trial_id,
                "worker": tuner_id,
                "again": again,
                "number": trial_number(self.oracle, trial.trial_id),
                "bracket": values.get("tuner/bracket"),
                "round": values.get("tuner/round"),
                "epochs": values.get("tuner/epochs"),
                "initial_epoch": values.get("tuner/initial_epoch", 0),
            }
        )

    def check_owner(self, tuner_id: str | None, trial_id: str) -> None:
        """A result may come from the worker holding the trial, or for a trial waiting in the retry
        queue (its worker was given up on, but no one else took it yet: keep the work)."""
        if not tuner_id:
            return  # a worker without our metadata: KerasTuner's own rules
        owner = self.oracle.claim(tuner_id, trial_id)
        if owner is not None and owner != tuner_id:
            raise Refused(f"trial {trial_id} is now run by {owner}; this process stops")

    def ended(self, trial_id: str) -> bool:
        """Whether ``trial_id`` has already ended (a second report of it is a duplicate)."""
        return trial_id in self.oracle.end_order

    def after_end(self, tuner_id: str | None, trial_id: str) -> None:
        """After KerasTuner recorded ``trial_id``'s end: a ``trial_end`` event."""
        trial = self.oracle.trials[trial_id]
        self.emit(
            {
                "event": "trial_end",
                "trial_id": trial_id,
                "worker": tuner_id,
                "status": trial.status,
                "score": trial.score,
                "seconds": time.time() - self.began.pop(trial_id)
                if trial_id in self.began
                else None,  # handed out by a chief before a restart
                "message": failure_reason(trial.message or "", trial.status.lower()) if trial.score is None else "",
                "done": len(self.oracle.end_order),
            }
        )

    def requeue(self, tuner_id: str) -> None:
        """Gives up on silent worker ``tuner_id``: its trial goes to the next worker, its process's
        later calls are refused (``worker_lost`` event)."""
        trial = self.oracle.requeue(tuner_id)
        if trial is None:
            return
        session = self.session_of.pop(tuner_id, None)
        if session:
            self.refused[session] = (
                f"{tuner_id} was silent for more than {self.timeout:g} s and its trial "
                f"{trial.trial_id} was given to another worker; this process stops"
            )
        self.emit({"event": "worker_lost", "worker": tuner_id, "trial_id": trial.trial_id, "seconds": self.timeout})

    def tick(self) -> bool:
        """Give up on silent workers; True once the search is over and every live worker knows it."""
        with self.lock:
            now = self.clock()
            oracle = self.oracle
            for tuner_id in list(oracle.ongoing_trials):
                if now - self.last_seen.get(tuner_id, self.started) > self.timeout:
                    self.requeue(tuner_id)
            for tuner_id in oracle.idle_workers():  # idle workers that went away: do not wait for them
                if now - self.last_seen.get(tuner_id, self.started) > self.timeout:
                    oracle.forget_idle(tuner_id)
            return self.stopped and oracle.is_done()


class WatchedServicer(OracleServicer):
    """KerasTuner's servicer, each call checked and recorded by a ``WatchedOracle``."""

    def __init__(self, watch: WatchedOracle):
        super().__init__(watch.oracle)
        self.watch = watch

    def _call(self, context, body):
        metadata = dict(context.invocation_metadata() or ())
        with self.watch.lock:
            try:
                return body(metadata.get(WORKER_KEY), metadata.get(SESSION_KEY))
            except Refused as exc:
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))

    def _plain(self, method, request, context):
        def body(tuner, session):
            self.watch.seen(tuner, session)
            return method(request, context)

        return self._call(context, body)

    def GetSpace(self, request, context):  # also our workers' heartbeat
        """KerasTuner's ``GetSpace``, recorded as a sign of life."""
        return self._plain(super().GetSpace, request, context)

    def UpdateSpace(self, request, context):
        """KerasTuner's ``UpdateSpace``, recorded as a sign of life."""
        return self._plain(super().UpdateSpace, request, context)

    def GetTrial(self, request, context):
        """KerasTuner's ``GetTrial``, recorded as a sign of life."""
        return self._plain(super().GetTrial, request, context)

    def GetBestTrials(self, request, context):
        """KerasTuner's ``GetBestTrials``, recorded as a sign of life."""
        return self._plain(super().GetBestTrials, request, context)

    def CreateTrial(self, request, context):
        """KerasTuner's ``CreateTrial``: a trial for the calling worker (a restarted worker's trial
        is rerun from scratch)."""

        def body(tuner, session):
            tuner = request.tuner_id
            self.watch.seen(tuner, session)
            again = self.watch.before_create(tuner, session)
            response = super(WatchedServicer, self).CreateTrial(request, context)
            status = TrialStatus.from_proto(response.trial.status)
            self.watch.after_create(tuner, session, status, again)
            return response

        return self._call(context, body)

    def UpdateTrial(self, request, context):
        """KerasTuner's ``UpdateTrial``, only from the worker that holds the trial."""

        def body(tuner, session):
            self.watch.seen(tuner, session)
            self.watch.check_owner(tuner, request.trial_id)
            return super(WatchedServicer, self).UpdateTrial(request, context)

        return self._call(context, body)

    def EndTrial(self, request, context):
        """KerasTuner's ``EndTrial``, only from the worker that holds the trial; a trial already
        ended keeps its first result."""

        def body(tuner, session):
            self.watch.seen(tuner, session)
            trial_id = request.trial.trial_id
            if self.watch.ended(trial_id):  # a duplicate report (e.g. after a chief restart): keep the first
                return kt_ext.protos().get_service().EndTrialResponse()
            self.watch.check_owner(tuner, trial_id)
            response = super(WatchedServicer, self).EndTrial(request, context)
            self.watch.after_end(tuner, trial_id)
            return response

        return self._call(context, body)


def serve(watch: WatchedOracle, host: str, port: int, poll: float = 0.2, protection: Protection | None = None) -> None:
    """Serve the oracle on host:port until the search is over (see ``WatchedOracle.tick``); with
    ``protection``'s token, only calls that carry it; with its certificate, over TLS."""
    protection = protection or Protection()
    interceptors = []
    if protection.token:

        def refused(peer: str) -> None:
            watch.emit({"event": "unauthenticated", "peer": peer})

        interceptors.append(TokenCheck(protection.token, refused))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8), interceptors=interceptors, options=[("grpc.so_reuseport", 0)]
    )
    kt_ext.protos().get_service_grpc().add_OracleServicer_to_server(WatchedServicer(watch), server)
    credentials = protection.server_credentials()
    try:
        where = f"{host}:{port}"
        bound = server.add_secure_port(where, credentials) if credentials else server.add_insecure_port(where)
    except RuntimeError:
        bound = 0
    if not bound:
        raise RunError(
            f"the chief cannot listen on {host}:{port} (in use, or not an address of this machine); "
            "choose another --oracle HOST:PORT"
        )
    server.start()
    watch.emit(
        {
            "event": "oracle_ready",
            "address": f"{host}:{port}",
            "token": bool(protection.token),
            "tls": bool(credentials),
        }
    )
    try:
        while not watch.tick():
            time.sleep(poll)
    finally:
        server.stop(grace=2).wait()


def run_chief(run_path: str, emit, worker_timeout: float, adopt: bool = True) -> None:
    """The chief's process: the run's Hyperband oracle, served until the search is over. It trains
    nothing (no data is loaded); KERASTUNER_* and the protection (``security``) are set by the parent
    (see ``roles``). ``adopt``: trials that were running before a restart wait for their workers
    (else they go to the next worker asking: a local pool's workers all died with it)."""
    import os

    from ...runfolder.configs import SearchConfig
    from ...runfolder.layout import RunFolder
    from ..oracle import saved_ongoing_trials
    from ..space import hypermodel_for, preset_starting_points
    from ..tuner import RunHyperband

    kt_ext.apply_patches()
    run = RunFolder(run_path)
    config = SearchConfig.load(run.path)
    saved_ongoing = saved_ongoing_trials(run.oracle_file)
    hypermodel = hypermodel_for(config)
    tuner = RunHyperband(
        hypermodel, config, run, emit=emit, starting_points=preset_starting_points(hypermodel, config.seed_presets)
    )
    tuner.oracle.verbose = 0  # KerasTuner's own per-trial printout (a public property)
    tuner.save()
    lock = threading.Lock()

    def emit_safely(event: dict) -> None:  # called from gRPC threads too
        with lock:
            emit(event)

    watch = WatchedOracle(tuner.oracle, emit_safely, worker_timeout)
    if adopt:
        with watch.lock:
            watch.adopt(saved_ongoing)
    host, port = os.environ["KERASTUNER_ORACLE_IP"], int(os.environ["KERASTUNER_ORACLE_PORT"])
    serve(watch, host, port, protection=Protection.from_env())
    emit_safely({"event": "search_done"})
