"""The JAX path (README, "Without TensorFlow"): the real CLI of a TF-free environment, KERAS_BACKEND=jax.

``make test-jax`` runs this module in ``.venv-jax`` (keras, keras-tuner, jax; no tensorflow); the main
run skips it (``conftest``). In order: a tiny search with the default recipe and ``--ensemble 2``, then
``train``, ``retrain``, ``predict`` and ``export --format keras``, each a subprocess that must exit 0.

``--precision float32`` throughout: ``auto`` picks ``mixed_bfloat16`` on a CPU with AMX, and a model saved
from a mixed policy is a float32 copy without its optimizer, which hid the bug of the weight average on
JAX (``training.recipe.AveragedWeights``). ``train`` and ``retrain`` use the real MNIST files when the data
folder is there, else the synthetic dataset; the search always uses the synthetic one (its final training
and the ensemble's member train on every training image: 60,000 for MNIST, minutes on 2 cores).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from optional import SHARED_DATA

pytestmark = pytest.mark.jax

CLI = Path(sys.executable).parent / "emnist-tuner"  # the environment's own console script
DATASET = "mnist" if SHARED_DATA is not None else "synthetic"
DATA = ["--data-dir", str(SHARED_DATA)] if SHARED_DATA is not None else []
TINY_SEARCH = [
    *("--dataset", "synthetic", "--max-epochs", "2", "--factor", "2", "--no-tensorboard"),
    *("--max-params", "120000", "--ensemble", "2", "--precision", "float32"),  # 2 presets train, 2 fail
]


def cli(*args: str, cache: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``emnist-tuner *args`` from this environment, with JAX, and check it exits 0."""
    env = {k: v for k, v in os.environ.items() if k not in ("EMNIST_TUNER_DATA", "COLUMNS")}
    env.update(KERAS_BACKEND="jax", EMNIST_TUNER_CACHE=str(cache), PYTHONUNBUFFERED="1")
    done = subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, timeout=timeout)
    assert done.returncode == 0, f"emnist-tuner {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def search_run(tmp_path_factory, cache) -> Path:
    run = tmp_path_factory.mktemp("jax") / "search"
    done = cli("search", "--run-dir", str(run), *TINY_SEARCH, cache=cache)
    assert "Keras backend jax" in done.stdout
    return run


def test_the_environment_is_jax_without_tensorflow():
    import keras

    assert keras.backend.backend() == "jax"
    assert importlib.util.find_spec("tensorflow") is None, "the JAX environment must not have TensorFlow"
    assert CLI.is_file(), f"no {CLI}: install this package into the environment (make test-jax)"


def test_the_weight_average_survives_the_next_jitted_call_and_saves(tmp_path):
    """The root cause, in-process: after ``fit`` the averaged weights are in the model, ``predict`` donates
    the model's arrays, and the optimizer's average (saved with the model) must not be deleted with them."""
    import keras

    from emnist_tuner.runfolder.recipe_config import FinalRecipe
    from emnist_tuner.training.recipe import fit_with_recipe

    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 3, 64)
    fit_with_recipe(model, x, y, FinalRecipe(ema=True), epochs=2, batch_size=16, validation=(x[:16], y[:16]))
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-5, atol=1e-6)


def test_search_with_the_default_recipe_and_an_ensemble(search_run):
    final = json.loads((search_run / "final.json").read_text())
    assert "weight EMA" in final["recipe"] and 0 <= final["test_accuracy"] <= 1
    members = final["ensemble"]["members"]
    assert len(members) == 2 and all(0 <= m["test_accuracy"] <= 1 for m in members)
    assert 0 <= final["ensemble"]["test_accuracy"] <= 1
    for name in ("best_model.keras", "ensemble.keras", "ensemble/member-2.keras"):
        assert (search_run / name).is_file(), name


def test_train(tmp_path, cache):
    run = tmp_path / "train"
    args = ("--preset", "convnet", "--dataset", DATASET, "--epochs", "1", "--subset", "1000")
    cli("train", *args, "--precision", "float32", "--run-dir", str(run), *DATA, cache=cache)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["dataset"] == DATASET and 0 <= metrics["test_accuracy"] <= 1
    assert (run / "model.keras").is_file()


@pytest.fixture(scope="module")
def retrained(search_run, cache) -> Path:
    args = ("--dataset", DATASET, "--epochs", "1", "--subset", "1000", "--precision", "float32")
    cli("retrain", str(search_run), *args, *DATA, cache=cache)
    return search_run / DATASET


def test_retrain(retrained):
    metrics = json.loads((retrained / "metrics.json").read_text())
    assert 0 <= metrics["test_accuracy"] <= 1


def test_predict(retrained, tmp_path, cache):
    from emnist_tuner.data.prepare import prepare_data

    images = prepare_data(DATASET, data_dir=SHARED_DATA).x_test[:8]
    np.save(tmp_path / "images.npy", images)
    done = cli("predict", str(retrained), str(tmp_path / "images.npy"), "--format", "json", cache=cache)
    rows = json.loads(done.stdout)["predictions"]
    assert [Path(row["input"]).name for row in rows] == [f"images.npy[{i}]" for i in range(8)]
    for row in rows:
        probabilities = [t["probability"] for t in row["top"]]
        assert len(probabilities) == 3 and probabilities == sorted(probabilities, reverse=True)
        assert 0 < sum(probabilities) <= 1 + 1e-4


def test_export_keras_loads(search_run, tmp_path, cache):
    import keras

    out = tmp_path / "winner.keras"
    cli("export", str(search_run), "--format", "keras", "--out", str(out), cache=cache)
    card = json.loads(out.with_name(out.name + ".card.json").read_text())
    assert card["format"] == "keras" and card["verified"]
    model = keras.models.load_model(out)
    probabilities = model.predict(np.zeros((2, 28, 28), np.uint8), verbose=0)
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-4)
