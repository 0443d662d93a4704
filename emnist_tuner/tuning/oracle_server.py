"""The chief of a distributed search: KerasTuner's own oracle service (gRPC), with dead-worker recovery.

KerasTuner 1.4.8's chief (``keras_tuner.src.distribute.oracle_chief.start_server``) serves the oracle
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

import grpc
from keras_tuner.src import protos
from keras_tuner.src.distribute.oracle_chief import OracleServicer
from keras_tuner.src.engine.metrics_tracking import MetricsTracker
from keras_tuner.src.engine.trial import TrialStatus

from ..errors import RunError
from .distributed import WORKER_PREFIX

WORKER_KEY = "emnist-tuner-worker"  # gRPC metadata keys (lower case, ASCII)
SESSION_KEY = "emnist-tuner-session"


class Refused(Exception):
    """A call from a worker process that no longer owns its trial."""


class WatchedOracle:
    """The oracle's bookkeeping of who is alive and who holds which trial. All methods run under
    ``lock`` (gRPC threads and the monitor loop share the oracle)."""

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
        if session in self.refused:
            raise Refused(self.refused[session])
        if tuner_id:
            self.last_seen[tuner_id] = self.clock()

    def adopt(self, saved_ongoing: dict[str, str]) -> None:
        """After a chief restart: give the trials our workers were training back to them (KerasTuner's
        reload put them in the retry queue); a worker that does not call within the timeout loses it."""
        oracle = self.oracle
        for tuner_id, trial_id in saved_ongoing.items():
            trial = oracle.trials.get(trial_id)
            if tuner_id.startswith(WORKER_PREFIX) and trial_id in oracle._retry_queue and trial is not None:
                oracle._retry_queue.remove(trial_id)
                oracle.ongoing_trials[tuner_id] = trial
                oracle.tuner_ids.add(tuner_id)
        if saved_ongoing:
            oracle.save()

    def before_create(self, tuner_id: str, session: str | None) -> bool:
        """A worker asks for a trial while holding one: it was restarted. Returns True if so."""
        trial = self.oracle.ongoing_trials.get(tuner_id)
        if trial is None:
            return False
        previous = self.session_of.get(tuner_id)
        if previous and previous != session:
            self.refused[previous] = (f"{tuner_id} was started again elsewhere and took over trial "
                                      f"{trial.trial_id}; this process stops")
        trial.metrics = MetricsTracker()  # rerun from scratch: forget what the old process reported
        trial.best_step = 0
        return True

    def after_create(self, tuner_id: str, session: str | None, status: str, again: bool) -> None:
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
        self.emit({"event": "trial_begin", "trial_id": trial.trial_id, "worker": tuner_id, "again": again,
                   "number": self.oracle.start_order.index(trial.trial_id) + 1,
                   "bracket": values.get("tuner/bracket"), "round": values.get("tuner/round"),
                   "epochs": values.get("tuner/epochs"), "initial_epoch": values.get("tuner/initial_epoch", 0)})

    def check_owner(self, tuner_id: str | None, trial_id: str) -> None:
        """A result may come from the worker holding the trial, or for a trial waiting in the retry
        queue (its worker was given up on, but no one else took it yet: keep the work)."""
        if not tuner_id:
            return  # a worker without our metadata: KerasTuner's own rules
        oracle = self.oracle
        owner = next((t for t, trial in oracle.ongoing_trials.items() if trial.trial_id == trial_id), None)
        if owner is None and trial_id in oracle._retry_queue:
            oracle._retry_queue.remove(trial_id)
            oracle.ongoing_trials[tuner_id] = oracle.trials[trial_id]
            oracle.tuner_ids.add(tuner_id)
        elif owner is not None and owner != tuner_id:
            raise Refused(f"trial {trial_id} is now run by {owner}; this process stops")

    def ended(self, trial_id: str) -> bool:
        return trial_id in self.oracle.end_order

    def after_end(self, tuner_id: str | None, trial_id: str) -> None:
        trial = self.oracle.trials[trial_id]
        message = (trial.message or "").strip().splitlines()
        self.emit({"event": "trial_end", "trial_id": trial_id, "worker": tuner_id, "status": trial.status,
                   "score": trial.score, "seconds": time.time() - self.began.pop(trial_id) if trial_id in self.began
                   else None,  # handed out by a chief before a restart
                   "message": message[-1] if message else "", "done": len(self.oracle.end_order)})

    def requeue(self, tuner_id: str, trial) -> None:
        oracle = self.oracle
        oracle.ongoing_trials.pop(tuner_id, None)
        oracle.tuner_ids.discard(tuner_id)
        trial.metrics = MetricsTracker()
        trial.best_step = 0
        oracle._retry_queue.append(trial.trial_id)
        session = self.session_of.pop(tuner_id, None)
        if session:
            self.refused[session] = (f"{tuner_id} was silent for more than {self.timeout:g} s and its trial "
                                     f"{trial.trial_id} was given to another worker; this process stops")
        oracle.save()
        self.emit({"event": "worker_lost", "worker": tuner_id, "trial_id": trial.trial_id, "seconds": self.timeout})

    def tick(self) -> bool:
        """Give up on silent workers; True once the search is over and every live worker knows it."""
        with self.lock:
            now = self.clock()
            oracle = self.oracle
            for tuner_id, trial in list(oracle.ongoing_trials.items()):
                if now - self.last_seen.get(tuner_id, self.started) > self.timeout:
                    self.requeue(tuner_id, trial)
            for tuner_id in list(oracle.tuner_ids):  # idle workers that went away: do not wait for them
                if tuner_id not in oracle.ongoing_trials and now - self.last_seen.get(tuner_id, self.started) > self.timeout:
                    oracle.tuner_ids.discard(tuner_id)
            return self.stopped and not oracle.ongoing_trials and not oracle.tuner_ids


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
        return self._plain(super().GetSpace, request, context)

    def UpdateSpace(self, request, context):
        return self._plain(super().UpdateSpace, request, context)

    def GetTrial(self, request, context):
        return self._plain(super().GetTrial, request, context)

    def GetBestTrials(self, request, context):
        return self._plain(super().GetBestTrials, request, context)

    def CreateTrial(self, request, context):
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
        def body(tuner, session):
            self.watch.seen(tuner, session)
            self.watch.check_owner(tuner, request.trial_id)
            return super(WatchedServicer, self).UpdateTrial(request, context)
        return self._call(context, body)

    def EndTrial(self, request, context):
        def body(tuner, session):
            self.watch.seen(tuner, session)
            trial_id = request.trial.trial_id
            if self.watch.ended(trial_id):  # a duplicate report (e.g. after a chief restart): keep the first
                return protos.get_service().EndTrialResponse()
            self.watch.check_owner(tuner, trial_id)
            response = super(WatchedServicer, self).EndTrial(request, context)
            self.watch.after_end(tuner, trial_id)
            return response
        return self._call(context, body)


def serve(watch: WatchedOracle, host: str, port: int, poll: float = 0.2) -> None:
    """Serve the oracle on host:port until the search is over (see ``WatchedOracle.tick``)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[("grpc.so_reuseport", 0)])
    protos.get_service_grpc().add_OracleServicer_to_server(WatchedServicer(watch), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if not bound:
        raise RunError(f"the chief cannot listen on {host}:{port} (in use, or not an address of this machine); "
                       "choose another --oracle HOST:PORT")
    server.start()
    watch.emit({"event": "oracle_ready", "address": f"{host}:{port}"})
    try:
        while not watch.tick():
            time.sleep(poll)
    finally:
        server.stop(grace=2).wait()


def run_chief(run_path: str, emit, worker_timeout: float) -> None:
    """The chief's process: the run's Hyperband oracle, served until the search is over. It trains
    nothing (no data is loaded); KERASTUNER_* are set by the parent (see ``distributed``)."""
    import os

    from ..datasets import get_info
    from ..searchspace import CharacterHyperModel
    from .atomic import read_json
    from .config import load_config
    from .oracle_client import silence_debug_print
    from .runfolder import RunFolder
    from .tuner import RunHyperband

    silence_debug_print()
    run = RunFolder(run_path)
    config = load_config(run.path)
    try:
        saved_ongoing = dict(read_json(run.oracle_file).get("ongoing_trials") or {})
    except (OSError, ValueError, AttributeError):
        saved_ongoing = {}
    info = get_info(config.dataset)
    hypermodel = CharacterHyperModel(input_shape=info.image_shape, num_classes=info.num_classes,
                                     augmentations=tuple(config.augmentations), restrict=config.restrict)
    tuner = RunHyperband(hypermodel, config, run, emit=emit)
    tuner.oracle.verbose = 0  # KerasTuner's own per-trial printout
    tuner.save()
    lock = threading.Lock()

    def emit_safely(event: dict) -> None:  # called from gRPC threads too
        with lock:
            emit(event)

    watch = WatchedOracle(tuner.oracle, emit_safely, worker_timeout)
    with watch.lock:
        watch.adopt(saved_ongoing)
    host, port = os.environ["KERASTUNER_ORACLE_IP"], int(os.environ["KERASTUNER_ORACLE_PORT"])
    serve(watch, host, port)
    emit_safely({"event": "search_done"})
