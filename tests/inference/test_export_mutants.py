"""The export's accept/reject decision, without TensorFlow: the Keras model, the format's writer and its
runtime are stand-ins whose predictions the test chooses, so each rule is checked at its edge (one image
with another top-1 class, a probability off by more than the tolerance, a runtime that cannot run the
artifact). The real round trip through each format's runtime is tests/inference/test_export.py (slow)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pytest

from emnist_tuner.errors import ConfigError, DataError, MissingDependency
from emnist_tuner.inference import export as export_module
from emnist_tuner.inference.export import TOLERANCE, check_options, export

IMAGES = 4


class FakeModel:
    """What ``export`` asks of the Keras model: its predictions."""

    def __init__(self, probabilities: np.ndarray):
        self.probabilities = probabilities
        self.input_shape = (None, 28, 28)  # the model card reports it

    def predict(self, x, verbose=1):
        assert len(x) == IMAGES and verbose == 0  # Keras' progress bar would reach the user's terminal
        return self.probabilities


@dataclass
class FakeSource:
    """What ``export`` asks of a ModelSource (no model file is read)."""

    model: FakeModel
    dataset: str = "synthetic"
    label: str = "train runs/fake"
    test_accuracy: float = 0.9
    test_images: int = 100
    data_dir: str | None = None
    style: str = "mnist"
    class_names: list = field(default_factory=lambda: ["a", "b", "c"])
    input_shape: tuple = (28, 28)

    def load(self):
        return self.model


def _expected() -> np.ndarray:
    return np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.25, 0.25, 0.5], [0.6, 0.3, 0.1]],
        dtype=np.float32,
    )


@pytest.fixture
def runtime(monkeypatch):
    """Stand-ins for writing the artifact and running it; ``runtime.got`` is what the runtime predicts."""

    class Runtime:
        got: np.ndarray | Exception = _expected()
        written: list = []

    def write(fmt, model, path):
        assert fmt in export_module.FORMATS and isinstance(model, FakeModel)
        path.write_bytes(b"artifact")
        Runtime.written.append((fmt, path))

    def predict(fmt, path, x):
        assert fmt == Runtime.written[-1][0] and path.read_bytes() == b"artifact" and len(x) == IMAGES
        if isinstance(Runtime.got, Exception):
            raise Runtime.got
        return Runtime.got

    monkeypatch.setattr(export_module, "inference_model", lambda model: model)

    def check_images(source, data_dir=None):
        assert isinstance(source, FakeSource)
        Runtime.data_dir = data_dir
        return np.zeros((IMAGES, 28, 28)), "4 test images"

    monkeypatch.setattr(export_module, "check_images", check_images)
    monkeypatch.setattr(export_module, "_write", write)
    monkeypatch.setattr(export_module, "_runtime_predict", predict)
    Runtime.written = []
    return Runtime


def _nothing_kept(tmp_path, out):
    assert not out.exists() and not export_module.card_path(out).exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # the partial artifact is removed too


def test_an_export_that_agrees_is_kept_with_its_card(tmp_path, runtime):
    out = tmp_path / "model.onnx"
    card = export(FakeSource(FakeModel(_expected())), "onnx", out)
    assert out.read_bytes() == b"artifact"
    assert runtime.written[0][1].name == ".model.onnx.partial.onnx" and not runtime.written[0][1].exists()
    assert json.loads(export_module.card_path(out).read_text()) == card
    verified = card["verified"]
    assert verified["top1_agreement"] == 1.0 and verified["max_probability_difference"] == 0.0
    assert verified["runtime"] == "onnxruntime" and verified["images"] == "4 test images"
    assert 0.0 <= verified["seconds"] < 60
    assert card["bytes"] == len(b"artifact") and card["file"] == "model.onnx" and card["format"] == "onnx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "model.onnx.card.json"]


def test_one_image_with_another_top1_class_rejects_the_export(tmp_path, runtime):
    expected = _expected().astype(np.float64)
    expected[2] = [0.5, 0.0, 0.49995]
    got = expected.copy()
    got[2] = [0.49995, 0.0, 0.5]  # within the tolerance, but class 2 now wins on image 3
    runtime.got = got
    out = tmp_path / "model.onnx"
    with pytest.raises(DataError, match=r"on 4 test images: top-1 agreement 0\.7500, largest probability difference 5"):
        export(FakeSource(FakeModel(expected)), "onnx", out)
    _nothing_kept(tmp_path, out)


def test_probabilities_off_by_more_than_the_tolerance_reject_the_export(tmp_path, runtime):
    got = _expected()
    got[1] = [0.1, 0.8 - 3 * TOLERANCE, 0.1 + 3 * TOLERANCE]  # the same top-1 class everywhere
    runtime.got = got
    out = tmp_path / "model.tflite"
    with pytest.raises(DataError, match=r"top-1 agreement 1\.0000, largest probability difference 3\.0"):
        export(FakeSource(FakeModel(_expected())), "litert", out)
    _nothing_kept(tmp_path, out)


def test_a_difference_of_exactly_the_tolerance_is_accepted(tmp_path, runtime):
    expected = np.array([[0.5, 0.25, 0.0]] * IMAGES)  # the exact sum 0.0 + 1e-4 is 1e-4
    got = expected.copy()
    got[0, 2] = TOLERANCE
    runtime.got = got
    card = export(FakeSource(FakeModel(expected)), "keras", tmp_path / "m.keras")
    assert card["verified"]["max_probability_difference"] == TOLERANCE
    assert (tmp_path / "m.keras").exists()


def test_the_check_images_come_from_the_data_folder_given(tmp_path, runtime):
    export(FakeSource(FakeModel(_expected())), "keras", tmp_path / "m.keras", data_dir="/data/here")
    assert runtime.data_dir == "/data/here"


def test_the_rejection_says_nothing_was_kept(tmp_path, runtime):
    got = _expected()
    got[0] = [0.1, 0.2, 0.7]
    runtime.got = got
    with pytest.raises(DataError) as error:
        export(FakeSource(FakeModel(_expected())), "onnx", tmp_path / "m.onnx")
    assert str(error.value) == (
        "the onnx export disagrees with the Keras model on 4 test images: top-1 agreement 0.7500, largest "
        "probability difference 6.00e-01 (tolerance 0.0001); nothing was kept"
    )


def test_a_runtime_error_without_words_is_still_one_line(tmp_path, runtime):
    runtime.got = RuntimeError()
    with pytest.raises(DataError) as error:
        export(FakeSource(FakeModel(_expected())), "litert", tmp_path / "m.tflite")
    assert str(error.value) == "the litert export could not be run by its runtime (RuntimeError: ); nothing was kept"


def test_a_runtime_that_cannot_run_the_artifact_keeps_nothing(tmp_path, runtime):
    runtime.got = ValueError("bad graph\nsecond line")
    out = tmp_path / "model.onnx"
    with pytest.raises(DataError, match=r"could not be run by its runtime \(ValueError: bad graph\); nothing was kept"):
        export(FakeSource(FakeModel(_expected())), "onnx", out)
    _nothing_kept(tmp_path, out)
    runtime.got = MissingDependency("checking an ONNX export needs onnxruntime")
    with pytest.raises(MissingDependency, match="needs onnxruntime"):  # said as it is, not as a failed check
        export(FakeSource(FakeModel(_expected())), "onnx", out)
    _nothing_kept(tmp_path, out)


def test_options_are_checked_before_anything_is_written(tmp_path):
    with pytest.raises(ConfigError, match="--format must be one of keras, saved_model, onnx, litert, got 'pt'"):
        check_options("pt", tmp_path / "m.pt")
    (tmp_path / "taken.onnx").write_text("x")
    with pytest.raises(ConfigError, match="exists; choose a new path"):
        check_options("onnx", tmp_path / "taken.onnx")
    with pytest.raises(ConfigError, match="the folder .*missing does not exist"):
        check_options("onnx", tmp_path / "missing" / "m.onnx")
    check_options("saved_model", tmp_path / "new")  # a new path in an existing folder is fine
