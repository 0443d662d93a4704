"""`retrain --dataset mnist+emnist-letters-sample`: the winner retrained on a union of datasets (a backbone
that has seen letters), in a folder named by the union, with the union's 36 classes."""

from __future__ import annotations

import json

import pytest
from helpers import run_cli
from optional import SHARED_DATA, require


@pytest.mark.slow
def test_retrain_on_a_union_saves_a_backbone_over_its_classes(tmp_path, capsys):
    require("data", SHARED_DATA is not None, "needs the real data folder (../shared/data or EMNIST_TUNER_DATA)")
    run = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "train", "--preset", "dense", "--dataset", "synthetic", "--run-dir", str(run), "--epochs", "1"
    )
    assert code == 0, err
    union = "mnist+emnist-letters-sample"
    args = ("retrain", str(run), "--dataset", union, "--subset", "360", "--epochs", "1", "--data-dir", str(SHARED_DATA))
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    metrics = json.loads((run / union / "metrics.json").read_text())
    assert metrics["dataset"] == union and metrics["test_images"] == 10_000 + 2_000
    import keras

    backbone = keras.models.load_model(run / union / "backbone.keras", compile=False)
    assert backbone.output_shape[-1] == 36 and backbone.name == "backbone_mnist_emnist-letters-sample"
    assert f"`emnist-tuner transfer {run} --backbone {union}` (this backbone on Binary AlphaDigits" in " ".join(
        out.split()
    )
