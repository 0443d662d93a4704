"""--precision: the dtype policy asked for is the one in force, auto's rule, and float32 saved models."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from helpers import run_cli

from emnist_tuner.errors import ConfigError
from emnist_tuner.training.devices import choose_precision, configure_devices, cpu_flags, float32_model


@pytest.fixture(autouse=True)
def _float32_after():
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize(
    "asked, gpu, flags, expected",
    [
        ("auto", True, set(), ("mixed_float16", "auto: GPU")),
        ("auto", False, {"avx512f", "amx_bf16", "avx512_bf16"}, ("mixed_bfloat16", "auto: CPU with AMX")),
        ("auto", False, {"avx512f", "avx512_bf16"}, ("float32", "auto: no AMX on this CPU")),
        ("auto", False, {"avx2"}, ("float32", "auto: CPU without bfloat16 instructions")),
        ("auto", False, set(), ("float32", "auto: CPU without bfloat16 instructions")),
        ("mixed_bfloat16", False, set(), ("mixed_bfloat16", "asked")),
        ("float32", True, set(), ("float32", "asked")),
    ],
)
def test_auto_picks_bfloat16_only_where_the_cpu_has_amx(asked, gpu, flags, expected):
    assert choose_precision(asked, gpu, flags) == expected


def test_unknown_precision_is_a_config_error():
    with pytest.raises(ConfigError, match="--precision must be one of auto, float32, mixed_bfloat16, mixed_float16"):
        choose_precision("float8", False, set())


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx512_bf16 amx_bf16\nbugs\t: none\n")
    assert cpu_flags(info) == {"fpu", "avx512_bf16", "amx_bf16"}
    assert cpu_flags(tmp_path / "missing") == set()


def test_the_policy_asked_for_is_in_force():
    setup = configure_devices("mixed_bfloat16")
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    assert "precision mixed_bfloat16 (asked)" in setup.describe()
    setup = configure_devices("float32")
    assert keras.mixed_precision.global_policy().name == "float32" and not setup.mixed_precision


def test_a_model_trained_in_bfloat16_is_saved_in_float32(tmp_path):
    from emnist_tuner.searchspace import build_preset
    from emnist_tuner.training.fit import save_model_atomic

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = build_preset("convnet", (28, 28), 10)
    assert "mixed_bfloat16" in {layer.dtype_policy.name for layer in model.layers}
    copy = float32_model(model)
    assert {layer.dtype_policy.name for layer in copy.layers} == {"float32"}
    for a, b in zip(model.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(a, b)
    save_model_atomic(model, tmp_path / "model.keras")
    keras.mixed_precision.set_global_policy("float32")  # as `predict` and `export` load it
    loaded = keras.models.load_model(tmp_path / "model.keras", compile=False)
    assert {layer.dtype_policy.name for layer in loaded.layers} == {"float32"}
    assert float32_model(loaded) is loaded


@pytest.mark.slow
def test_train_with_bfloat16_says_so_and_saves_float32(tmp_path, capsys):
    run = tmp_path / "run"
    code, out, err = run_cli(
        capsys,
        "train",
        "--preset",
        "dense",
        "--dataset",
        "synthetic",
        "--run-dir",
        str(run),
        "--epochs",
        "1",
        "--precision",
        "mixed_bfloat16",
    )
    assert code == 0, err
    assert "precision mixed_bfloat16 (asked)" in " ".join(out.split())
    assert keras.mixed_precision.global_policy().name == "float32"  # the caller's policy is given back
    assert json.loads((run / "config.json").read_text())["precision"] == "mixed_bfloat16"
    loaded = keras.models.load_model(run / "model.keras", compile=False)
    assert {layer.dtype_policy.name for layer in loaded.layers} == {"float32"}
    code, _, err = run_cli(
        capsys,
        "train",
        "--preset",
        "dense",
        "--dataset",
        "synthetic",
        "--run-dir",
        str(tmp_path / "other"),
        "--precision",
        "half",
    )
    assert code == 2 and err.strip().count("\n") == 0 and "--precision must be one of" in err
