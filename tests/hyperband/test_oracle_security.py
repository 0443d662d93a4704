"""The chief's oracle on loopback with a token and TLS (``distributed.security``), called by hand: a
forged ``EndTrial`` without the right token is refused and changes nothing; a client without TLS
cannot talk to a TLS chief. In-process (a real gRPC server on a free port, no training)."""

from __future__ import annotations

import datetime
import ipaddress
import threading
from pathlib import Path

import grpc
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TOKEN = "a" * 32


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files), made with ``cryptography``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chief")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "chief.crt", folder / "chief.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def chief(tmp_path):
    """Serve a fresh Hyperband oracle (one trial handed out) with a given protection; yields
    (start(protection) -> address, events, project folder)."""
    import keras_tuner as kt

    from emnist_tuner.hyperband.distributed.chief import WatchedOracle, serve
    from emnist_tuner.hyperband.distributed.local import free_loopback_port
    from emnist_tuner.hyperband.oracle import RunOracle

    oracle = RunOracle(objective=kt.Objective("val_accuracy", "max"), max_epochs=2, factor=2, seed=1)
    oracle._set_project_dir(str(tmp_path / "run"), "tuner")
    hp = kt.HyperParameters()
    hp.Int("units", 1, 100)
    oracle.update_space(hp)
    trial = oracle.create_trial("worker-a")
    oracle.save()
    events: list[dict] = []
    watch = WatchedOracle(oracle, events.append, worker_timeout=600)
    threads = []

    def start(protection):
        port = free_loopback_port()
        thread = threading.Thread(target=serve, args=(watch, "127.0.0.1", port, 0.05, protection), daemon=True)
        thread.start()
        threads.append(thread)
        return f"127.0.0.1:{port}", trial

    yield start, events, tmp_path / "run"
    watch.stopped = True  # the server ends once the oracle has stopped and holds no worker
    oracle.ongoing_trials.clear()
    oracle.tuner_ids.clear()
    for thread in threads:
        thread.join(10)


def stub_for(channel):
    from emnist_tuner.hyperband import kt_ext

    return kt_ext.protos().get_service_grpc().OracleStub(channel)


def forged_end(trial):
    from emnist_tuner.hyperband import kt_ext

    trial.status = "COMPLETED"
    trial.metrics.update("val_accuracy", 0.99)
    return kt_ext.protos().get_service().EndTrialRequest(trial=trial.to_proto())


def test_calls_without_the_token_are_refused_and_change_nothing(chief):
    from emnist_tuner.errors import RunError
    from emnist_tuner.hyperband import kt_ext
    from emnist_tuner.hyperband.distributed.security import TOKEN_KEY, Protection, probe

    start, events, folder = chief
    address, trial = start(Protection(token=TOKEN))
    before = snapshot(folder)
    stub = stub_for(grpc.insecure_channel(address))
    for metadata in ((), ((TOKEN_KEY, "b" * 32),), ((TOKEN_KEY, TOKEN[:-1]),)):
        with pytest.raises(grpc.RpcError) as refused:
            stub.EndTrial(forged_end(trial), metadata=metadata, timeout=10, wait_for_ready=True)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as refused:
            stub.CreateTrial(kt_ext.protos().get_service().CreateTrialRequest(tuner_id="worker-x"), metadata=metadata)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert snapshot(folder) == before  # byte-identical: no trial ended, none handed out
    assert [e for e in events if e["event"] == "unauthenticated"] == [
        {"event": "unauthenticated", "peer": "ipv4:127.0.0.1"}
    ]
    assert not [e for e in events if e["event"] in ("trial_end", "trial_begin")]
    # a worker's first call says so in one line (KerasTuner's own calls would wait)
    with pytest.raises(RunError, match=r"refused this worker's token: set EMNIST_TUNER_TOKEN or --token-file"):
        probe(address, Protection(token="c" * 32))
    probe(address, Protection(token=TOKEN))
    # the right token passes
    answer = stub.GetSpace(kt_ext.protos().get_service().GetSpaceRequest(), metadata=((TOKEN_KEY, TOKEN),))
    assert answer.hyperparameters.space


def test_a_tls_chief_refuses_a_plain_client_and_serves_a_tls_one(chief, tmp_path):
    from emnist_tuner.errors import RunError
    from emnist_tuner.hyperband import kt_ext
    from emnist_tuner.hyperband.distributed.security import Protection, probe

    cert, key = self_signed(tmp_path)
    start, _, folder = chief
    address, trial = start(Protection(token=TOKEN, tls_cert=str(cert), tls_key=str(key)))
    before = snapshot(folder)
    with pytest.raises(grpc.RpcError) as failed:
        stub_for(grpc.insecure_channel(address)).EndTrial(forged_end(trial), timeout=5)
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(RunError, match="cannot reach the chief's oracle .* without --tls-ca: a TLS chief needs"):
        probe(address, Protection(token=TOKEN), wait=1)
    assert snapshot(folder) == before
    worker = Protection(token=TOKEN, tls_ca=str(cert))  # what a worker started with --tls-ca gets
    request = kt_ext.protos().get_service().GetSpaceRequest()
    answer = stub_for(worker.channel(address)).GetSpace(request, metadata=worker.metadata(), timeout=10)
    assert answer.hyperparameters.space
