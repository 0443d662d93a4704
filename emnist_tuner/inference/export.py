"""`export`: a model in a deployable format, verified with that format's own runtime before it is kept.

Keras 3's ``model.export`` writes the SavedModel, ONNX and LiteRT formats (no hand-written
converter); ``keras`` is the ``.keras`` file. The augmentation layers (inactive at inference anyway) are
left out of the exported graph. Each artifact is written under a temporary name, loaded with its own
runtime (Keras, TensorFlow, onnxruntime, the LiteRT interpreter), and its predictions on real test images
are compared with the Keras model's: the same top-1 class on every image and probabilities within
``TOLERANCE``. Only then is it renamed into place, with a model card (``<out>.card.json``) beside it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from ..data.glyphs import STYLE_SHAPES, style_recipe
from ..errors import ConfigError, DataError, MissingDependency, plural
from ..io import check_output_path, remove_quietly, write_json_atomic
from ..quiet import native_logs_hidden
from .source import ModelSource

FORMATS = {"keras": ".keras", "saved_model": "", "onnx": ".onnx", "litert": ".tflite"}
TOLERANCE = 1e-4  # largest difference of any class probability between the runtime and Keras
CHECK_IMAGES = 512
EXTRA = "pip install 'emnist-tuner[export]'"


def check_options(fmt: str, out: Path) -> None:
    """ConfigError (exit 2) for an unknown --format, or an --out that exists or cannot be written (its
    folder missing, not a folder, or not writable): checked before any work."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    check_suffix(fmt, out)
    if out.exists():
        raise ConfigError(f"--out {out} exists; choose a new path (nothing is overwritten)")
    check_output_path(out, "--out")


def check_suffix(fmt: str, out: Path) -> None:
    """ConfigError (exit 2) for an --out whose suffix is not the format's (a saved_model is a folder)."""
    suffix = FORMATS[fmt]
    if out.suffix == suffix or (not suffix and out.suffix not in FORMATS.values()):
        return
    other = next((f for f, s in FORMATS.items() if s and s == out.suffix), None)
    what = f"{fmt} exports are {suffix} files" if suffix else f"{fmt} exports are folders"  # not a count
    fix = f"give a path ending in {suffix}" if suffix else f"give a path without {out.suffix}"
    raise ConfigError(f"--out {out}: {what}; {fix}" + (f" (or --format {other} for {out.suffix})" if other else ""))


def inference_model(model):
    """``model`` without its augmentation layers (the same weights; augmentation has none), called in
    inference mode: measured, Keras' SavedModel and ONNX exports of a BatchNorm model otherwise ran its
    BatchNorm layers on batch statistics (top-1 agreement 0.10 on the check images)."""
    import keras

    def clone(layer):
        if layer.name.startswith("augment_"):
            return keras.layers.Identity(name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    plain = keras.models.clone_model(model, clone_function=clone)
    plain.set_weights(model.get_weights())
    image = keras.Input(shape=plain.input_shape[1:], name="image")
    return keras.Model(image, plain(image, training=False), name=f"{model.name}_inference")


def _runtime_predict(fmt: str, path: Path, x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    if fmt == "keras":
        import keras

        return keras.models.load_model(path, compile=False).predict(x, verbose=0)
    if fmt == "saved_model":
        import tensorflow as tf

        loaded = tf.saved_model.load(str(path))  # kept alive while its function runs
        return loaded.serve(tf.constant(x)).numpy()
    if fmt == "onnx":
        try:
            import onnxruntime
        except ImportError:
            raise MissingDependency(f"checking an ONNX export needs onnxruntime: {EXTRA}") from None
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return session.run(None, {session.get_inputs()[0].name: x})[0]
    return _litert_predict(path, x)


def _litert_predict(path: Path, x: np.ndarray) -> np.ndarray:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import warnings

        import tensorflow as tf

        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
        Interpreter = tf.lite.Interpreter  # noqa: N806 - TensorFlow's own, where ai-edge-litert is absent
    with native_logs_hidden(replay=False):  # its INFO lines; a failure is the export's one error line
        interpreter = Interpreter(model_path=str(path))
        source = interpreter.get_input_details()[0]
        interpreter.resize_tensor_input(source["index"], list(x.shape))
        interpreter.allocate_tensors()
        interpreter.set_tensor(source["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def _write(fmt: str, model, path: Path) -> None:
    if fmt == "keras":
        model.save(path)
        return
    import warnings

    keras_format = {"saved_model": "tf_saved_model"}.get(fmt, fmt)
    try:
        with warnings.catch_warnings():  # keras' tf2onnx shim warns about numpy's np.object
            warnings.simplefilter("ignore", FutureWarning)
            with native_logs_hidden():  # the converters' C++ log lines
                model.export(str(path), format=keras_format, verbose=False)
    except ImportError as exc:
        raise MissingDependency(
            f"exporting to {fmt} needs {exc.name or 'a package that is missing'}: {EXTRA}"
        ) from None


def check_images(source: ModelSource, data_dir=None) -> tuple[np.ndarray, str]:
    """The first ``CHECK_IMAGES`` images of the source dataset's held-out test split, and what they are."""
    from ..data.datasets import load_dataset

    try:
        data = load_dataset(source.dataset, data_dir=data_dir or source.data_dir, test_only=True)
    except DataError as exc:
        raise DataError(f"verifying the export needs {source.dataset}'s test images: {exc}") from None
    shown = min(CHECK_IMAGES, len(data.x_test))
    return data.x_test[:CHECK_IMAGES], f"the first {plural(shown, f'{source.dataset} test image')}"


def export(source: ModelSource, fmt: str, out: Path, data_dir=None) -> dict:
    """Write, verify and keep ``source``'s model as ``out`` in ``fmt``; returns (and saves) its model card."""
    out = Path(out)
    check_options(fmt, out)
    model = inference_model(source.load())
    x, described = check_images(source, data_dir)
    expected = model.predict(x, verbose=0)
    tmp = out.with_name(f".{out.name}.partial{FORMATS[fmt]}")
    remove_quietly(tmp)
    started = time.perf_counter()
    try:
        _write(fmt, model, tmp)
        try:
            got = _runtime_predict(fmt, tmp, x)
        except MissingDependency:
            raise
        except Exception as exc:  # noqa: BLE001 - a runtime that cannot run the artifact fails the export
            raise DataError(
                f"the {fmt} export could not be run by its runtime ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); nothing was kept"
            ) from None
        agree = float(np.mean(np.argmax(got, axis=1) == np.argmax(expected, axis=1)))
        difference = float(np.abs(got - expected).max())
        if agree < 1.0 or difference > TOLERANCE:
            raise DataError(
                f"the {fmt} export disagrees with the Keras model on {described}: top-1 agreement "
                f"{agree:.4f}, largest probability difference {difference:.2e} (tolerance {TOLERANCE:g}); "
                "nothing was kept"
            )
        os.replace(tmp, out)
    finally:
        remove_quietly(tmp)
    card = model_card(source, model.input_shape, fmt, out, agree, difference, described, time.perf_counter() - started)
    write_json_atomic(card_path(out), card)
    return card


def card_path(out: Path) -> Path:
    """The model card written beside the export ``out`` (``OUT.card.json``)."""
    return out.with_name(out.name + ".card.json")


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def model_card(
    source: ModelSource,
    input_shape: tuple,
    fmt: str,
    out: Path,
    agree: float,
    difference: float,
    described: str,
    seconds: float,
) -> dict:
    """The model card of an export of ``source`` to ``out``: input format and preparation, classes,
    test accuracy, and how the export was verified (agreement with the Keras model on ``described``)."""
    style = source.style
    shape = source.input_shape
    recipe = f"grayscale; dark ink on light paper inverted; background removed; {style_recipe(style, shape)}"
    function = (
        f"emnist_tuner.data.glyphs.to_dataset_format(image, style={style!r})"
        if shape == STYLE_SHAPES[style]
        else f"emnist_tuner.data.glyphs.to_dataset_format(image, style={style!r}, shape={shape!r})"
    )
    return {
        "format": fmt,
        "file": out.name,
        "bytes": _size(out),
        "classes": source.class_names,
        "input": {
            "shape": list(input_shape),
            "dtype": "float32",
            "values": "0..255, white ink on black",
            "style": style,
            "preprocessing": recipe,
            "preprocessing_function": function,
        },
        "output": "softmax probabilities, one per class in the order of 'classes'",
        "test_accuracy": source.test_accuracy,
        "test_images": source.test_images,
        "measured_on": f"the held-out test split of {source.dataset}",
        "source": source.label,
        "verified": {
            "runtime": {
                "keras": "keras",
                "saved_model": "tensorflow",
                "onnx": "onnxruntime",
                "litert": "LiteRT interpreter",
            }[fmt],
            "images": described,
            "top1_agreement": agree,
            "max_probability_difference": difference,
            "tolerance": TOLERANCE,
            "seconds": round(seconds, 2),
        },
    }


def describe(card: dict) -> str:
    """The export ``card`` in one line: file, format, size and how it was verified."""
    v = card["verified"]
    return (
        f"{card['file']} ({card['format']}, {plural(card['bytes'], 'byte')}): verified with {v['runtime']} on "
        f"{v['images']}: top-1 agreement {v['top1_agreement']:.4f}, largest probability difference "
        f"{v['max_probability_difference']:.1e} (tolerance {v['tolerance']:g}); model card "
        f"{card['file']}.card.json"
    )
