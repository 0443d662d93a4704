"""`export`: each format's round trip through its own runtime, the model card, augmentation left out,
and the failures (existing --out, unknown format, a missing runtime) as one line with nothing written."""

from __future__ import annotations

import json
import sys

import pytest
from helpers import run_cli

import emnist_tuner as et

pytestmark = pytest.mark.slow

SUFFIX = {"keras": ".keras", "saved_model": "", "onnx": ".onnx", "litert": ".tflite"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = tmp_path_factory.mktemp("export") / "train-model1"
    et.train("model1", "synthetic", run, epochs=1, console=None)  # BatchNorm and augmentation layers
    return run


@pytest.mark.parametrize("fmt", ["keras", "saved_model", "onnx", "litert"])
def test_each_format_is_verified_by_its_runtime(trained, tmp_path, capsys, fmt):
    out = tmp_path / f"model{SUFFIX[fmt]}"
    code, said, err = run_cli(capsys, "export", str(trained), "--format", fmt, "--out", str(out))
    assert code == 0, err
    card = json.loads((tmp_path / f"{out.name}.card.json").read_text())
    assert out.exists() and card["format"] == fmt and card["classes"] == [f"g{i}" for i in range(10)]
    verified = card["verified"]
    assert verified["top1_agreement"] == 1.0 and verified["max_probability_difference"] <= verified["tolerance"]
    assert verified["images"] == "the first 200 synthetic test images"
    assert card["input"]["shape"] == [None, 28, 28] and "28x28" in card["input"]["preprocessing"]
    assert card["test_accuracy"] == json.loads((trained / "metrics.json").read_text())["test_accuracy"]
    assert "verified with" in said and sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [out.name, f"{out.name}.card.json"]
    )


def test_the_exported_graph_has_no_augmentation(trained):
    from emnist_tuner.inference.export import inference_model
    from emnist_tuner.inference.source import open_source

    model = open_source(trained).load()
    assert any(layer.name.startswith("augment_") and type(layer).__name__ != "Identity" for layer in model.layers)
    plain = inference_model(model).layers[-1]  # the clone, called in inference mode by a wrapper
    assert all(type(layer).__name__ == "Identity" for layer in plain.layers if layer.name.startswith("augment_"))
    assert any(layer.name.startswith("augment_") for layer in plain.layers)


def test_export_failures_write_nothing(trained, tmp_path, capsys, monkeypatch):
    taken = tmp_path / "taken.onnx"
    taken.write_text("mine")
    code, _, err = run_cli(capsys, "export", str(trained), "--format", "onnx", "--out", str(taken))
    assert code == 2 and err == f"error: --out {taken} exists; choose a new path (nothing is overwritten)\n"
    code, _, err = run_cli(capsys, "export", str(trained), "--format", "pdf", "--out", str(tmp_path / "x"))
    assert code == 2 and "--format must be one of keras, saved_model, onnx, litert" in err
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if the export extra were not installed
    code, _, err = run_cli(capsys, "export", str(trained), "--format", "onnx", "--out", str(tmp_path / "m.onnx"))
    assert code == 1 and "needs onnxruntime: pip install 'emnist-tuner[export]'" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.onnx"]


def test_the_docs_example_classifies_a_png_with_the_onnx_export(trained, tmp_path, capsys, monkeypatch):
    import re
    from pathlib import Path

    import numpy as np
    from PIL import Image

    doc = (Path(__file__).resolve().parents[2] / "docs" / "commands" / "predict-export.md").read_text()
    code = re.search(r"## Use the model from your own code.*?```python\n(.*?)```", doc, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "export", str(trained), "--format", "onnx", "--out", "winner.onnx")[0] == 0
    page = np.full((120, 90), 255, np.uint8)
    page[30:90, 40:50] = 0
    Image.fromarray(page).save("my-digit.png")
    exec(compile(code, "docs/commands/predict-export.md", "exec"), {})
    printed = capsys.readouterr().out.split()
    assert printed[0] in [f"g{i}" for i in range(10)] and 0 < float(printed[1]) <= 1
