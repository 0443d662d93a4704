"""The served app through Starlette's TestClient: every endpoint, the numbers from the same functions
as `runs`, `compare`, `leaderboard` and `plot`, a damaged run shown as damaged, nothing written, and no
TensorFlow imported."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from serve_runs import add_trial, snapshot, write_runs
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from emnist_tuner.figures import importance_data as imp
from emnist_tuner.figures import search_data as sd
from emnist_tuner.reports.runs_table import compare_rows, run_summary
from emnist_tuner.runfolder.trials import leaderboard_rows, read_trials
from emnist_tuner.web import app as app_module
from emnist_tuner.web.app import make_app, plotly_js

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def root(tmp_path):
    return write_runs(tmp_path / "runs")


@pytest.fixture
def client(root):
    return TestClient(make_app(root))


def test_the_runs_page_lists_every_run_as_runs_does_and_a_damaged_one_as_damaged(root, client):
    page = client.get("/")
    assert page.status_code == 200 and "Runs in" in page.text and "/static/runs.js" in page.text
    runs = {r["name"]: r for r in client.get("/api/runs").json()["runs"]}
    assert list(runs) == ["big", "broken", "small"]  # not-a-run (no config.json) is not a run
    for name in ("big", "small"):
        expected = run_summary(root / name)
        for key in ("kind", "dataset", "state", "trials", "best_val", "test_accuracy"):
            assert runs[name][key] == expected[key], (name, key)
    assert runs["big"]["trials"] == "12/12" and runs["big"]["test_text"] == "97.00 %"
    assert runs["small"]["trials"] == "5/9" and runs["small"]["test_text"] == ""
    assert runs["broken"]["state"] == "damaged" and "config.json is damaged" in runs["broken"]["damaged"]
    assert runs["big"]["damaged"] is None


def test_the_run_page_numbers_come_from_the_functions_plot_and_leaderboard_use(root, client):
    page = client.get("/run/big")
    assert page.status_code == 200
    assert '<a id="try-link" href="/try/big">' in page.text and "/static/plotly.min.js" in page.text
    view = client.get("/api/run/big").json()
    records = read_trials(root / "big")
    assert [t["trial_id"] for t in view["trials"]] == [r["trial_id"] for r in leaderboard_rows(records)]
    history = sd.optimization_history(records)
    assert view["history"]["scores"] == history.scores.tolist()
    assert view["history"]["best_so_far"] == history.best_so_far.tolist()
    assert [c["trial_id"] for c in view["curves"]] == [c.trial_id for c in sd.learning_curves(records)]
    shares = imp.importance_shares(records)
    assert [(s["name"], s["share"], s["low"], s["high"]) for s in view["importance"]["shares"]] == shares.shares
    assert view["importance"]["shares"], "12 trials of three activations: importance is drawn"
    costs = [float(r.parameters) for r in sd.completed(records)]
    front = sd.pareto_front(costs, [r.score for r in sd.completed(records)])
    assert view["pareto"]["parameters"]["front"] == [sd.completed(records)[i].trial_id for i in front]
    assert view["hyperparameters"] == ["activation", "conv_blocks", "learning_rate"]
    assert view["final"] == {"trial_id": "0002", "test_accuracy": 0.97}
    small = client.get("/api/run/small").json()
    assert small["final"] is None and small["importance"]["reason"].startswith("not enough trials")


def test_a_trial_opens_with_its_curve_and_the_final_model_with_its_per_class_errors(root, client):
    final = client.get("/api/run/big/trial/0002").json()
    assert final["is_final"] and final["final"]["test_accuracy"] == 0.97
    assert final["hyperparameters"] == read_trials(root / "big")[2].hyperparameters
    assert [e["epoch"] for e in final["epoch_log"]] == list(range(9))
    per_class = final["per_class"]
    assert per_class["names"] == [f"g{i}" for i in range(10)]
    assert per_class["confused"][0] == {"true": "g3", "predicted": "g8", "count": 6}
    assert per_class["accuracy"][3] == pytest.approx(1 - 6 / per_class["images"][3])
    other = client.get("/api/run/big/trial/0004").json()
    assert not other["is_final"] and "per_class" not in other and other["parameters"] == 5_000 * 5 * 2
    assert client.get("/api/run/big/trial/9999").status_code == 404
    assert client.get("/api/run/nope/trial/0001").status_code == 404
    assert client.get("/run/nope").status_code == 404 and client.get("/api/run/nope").status_code == 404


def test_a_new_trial_changes_the_version_and_since_answers_unchanged_until_then(root, client):
    first = client.get("/api/run/small").json()
    assert client.get(f"/api/run/small?since={first['version']}").json() == {
        "version": first["version"],
        "unchanged": True,
    }
    add_trial(root / "small", 5)
    after = client.get(f"/api/run/small?since={first['version']}").json()
    assert after["version"] != first["version"] and len(after["trials"]) == 6
    assert "0005" in after["history"]["trial_ids"]


def test_a_damaged_run_is_an_error_on_its_own_page_only(client):
    assert client.get("/run/broken").status_code == 200
    view = client.get("/api/run/broken").json()
    assert view["damaged"] and "config.json is damaged" in view["error"]
    assert client.get("/").status_code == 200 and client.get("/api/runs").status_code == 200


def test_compare_shows_the_compare_commands_rows(root, client):
    data = client.get("/api/compare?run=big&run=small").json()
    rows = compare_rows([run_summary(root / "big"), run_summary(root / "small")])
    assert data["runs"] == ["big", "small"] and data["rows"] == [[label, values] for label, values in rows]
    big = data["points"][0]
    assert big["test_images"] == 200 and big["interval"][0] < 0.97 < big["interval"][1]
    assert client.get("/api/compare?run=big").status_code == 400
    assert client.get("/api/compare?run=big&run=nope").status_code == 404
    page = client.get("/compare?run=big&run=small").text
    assert 'value="big" checked' in page and 'value="small" checked' in page and 'value="broken"' in page


def test_the_assets_are_served_from_the_package_and_plotly_from_its_python_package(client):
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and plotly.content == plotly_js().read_bytes()
    for name in ("serve.css", "common.js", "runs.js", "run.js", "compare.js"):
        assert client.get(f"/static/{name}").status_code == 200, name
    assert client.get("/static/nothing.js").status_code == 404


def test_the_try_pages_routes_are_part_of_the_app(root, monkeypatch):
    monkeypatch.setattr(
        app_module, "try_routes", lambda r: [Route("/try/{run:path}", lambda q: PlainTextResponse(str(r)))]
    )
    assert TestClient(make_app(root)).get("/try/big").text == str(root)


ENDPOINTS = (
    "/",
    "/api/runs",
    "/run/big",
    "/api/run/big",
    "/api/run/big/trial/0002",
    "/api/run/big/trial/0000",
    "/run/small",
    "/api/run/small",
    "/api/run/broken",
    "/api/run/old",
    "/api/run/old/trial/0000",
    "/compare?run=big&run=small",
    "/api/compare?run=big&run=small&run=old",
    "/static/plotly.min.js",
    "/static/run.js",
)


def test_no_endpoint_writes_into_the_runs(root):
    shutil.copytree(FIXTURES / "search-v0.1-killed", root / "old")
    before = snapshot(root)
    client = TestClient(make_app(root))
    for url in ENDPOINTS:
        assert client.get(url).status_code == 200, url
    for url in ("/api/runs", "/api/run/big", "/run/big"):
        assert client.post(url).status_code == 405 and client.delete(url).status_code == 405
    assert snapshot(root) == before
    assert not (root / "big" / "confusion.json").exists()


def test_the_server_imports_no_tensorflow(root):
    shutil.copytree(FIXTURES / "search-v0.1-killed", root / "old")  # no saved schedule: `runs` asks KerasTuner
    code = (
        "import sys; from starlette.testclient import TestClient; from emnist_tuner.web.app import make_app\n"
        f"c = TestClient(make_app({str(root)!r}))\n"
        f"assert all(c.get(u).status_code == 200 for u in {ENDPOINTS!r})\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'keras_tuner', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_json_holds_no_nan(root, client):
    (root / "big" / "timings" / "0001.json").unlink()  # a trial without timings: unknown minutes
    view = client.get("/api/run/big").json()
    assert None in view["history"]["minutes"] and not any(
        isinstance(v, float) and np.isnan(v) for v in view["history"]["minutes"] if v is not None
    )


def test_a_train_run_has_its_summary_and_no_trials(root, client):
    train = root / "trained"
    train.mkdir()
    (train / "config.json").write_text('{"kind": "train", "dataset": "synthetic", "preset": "dense"}')
    (train / "metrics.json").write_text('{"best_val_accuracy": 0.91, "test_accuracy": 0.9, "epochs_trained": 3}')
    view = client.get("/api/run/trained").json()
    assert view["kind"] == "train" and "trials" not in view
    assert view["summary"]["test_text"] == "90.00 %" and view["summary"]["best_val_text"] == "91.00 %"
    assert client.get("/run/trained").status_code == 200


def test_on_loopback_only_this_machines_names_are_answered(root):
    app = make_app(root, ["127.0.0.1", "localhost"])
    assert TestClient(app, base_url="http://127.0.0.1:8765").get("/api/runs").status_code == 200
    assert TestClient(app, base_url="http://localhost:8765").get("/").status_code == 200
    assert TestClient(app, base_url="http://rebound.example:8765").get("/api/runs").status_code == 400


def test_a_run_folder_given_itself_is_served_under_its_name(root):
    client = TestClient(make_app(root / "big"))
    assert [r["name"] for r in client.get("/api/runs").json()["runs"]] == ["big"]
    assert client.get("/api/run/big").json()["summary"]["trials"] == "12/12"
    assert client.get("/api/run/small").status_code == 404  # a sibling is not under the served folder


def test_the_api_function_serve_is_not_hidden_by_the_web_package():
    import emnist_tuner as et
    import emnist_tuner.web.server  # noqa: F401 - an import of the package must not replace et.serve

    assert callable(et.serve) and et.serve.__module__ == "emnist_tuner.api.outputs"
