"""The presets: each one a complete, valid point of the space that builds the study's model."""

import dataclasses

import keras
import keras_tuner
import numpy as np
import pytest

from emnist_tuner.errors import ConfigError
from emnist_tuner.searchspace import (
    CharacterHyperModel,
    Preset,
    build_preset,
    get_preset,
    list_presets,
    preset_hyperparameters,
    preset_param_count,
)

AUGMENT_LAYERS = ("RandomRotation", "RandomTranslation", "RandomZoom")

# Layer counts of each preset: conv, dense (head included), batch norm, dropout, pooling,
# augmentation layers.
EXPECTED_LAYERS = {
    "dense": dict(conv=0, dense=2, bn=0, dropout=0, pool=0, augment=0),
    "convnet": dict(conv=2, dense=1, bn=0, dropout=1, pool=2, augment=0),
    "model1": dict(conv=2, dense=3, bn=4, dropout=0, pool=2, augment=3),
    "model2": dict(conv=3, dense=4, bn=6, dropout=0, pool=3, augment=0),
    "model3": dict(conv=2, dense=3, bn=4, dropout=4, pool=2, augment=3),
    "model4": dict(conv=4, dense=2, bn=5, dropout=5, pool=4, augment=3),
}


def value_fits(param, value):
    """Independent of the package's own check: can ``param`` take ``value``?"""
    kind = type(param).__name__
    if kind == "Boolean":
        return type(value) is bool
    if kind == "Choice":
        return value in param.values and type(value) is type(param.values[0])
    if kind == "Int":
        return type(value) is int and param.min_value <= value <= param.max_value
    if kind == "Float":
        if type(value) is not float or not param.min_value <= value <= param.max_value:
            return False
        if param.step and param.sampling == "linear":
            return round((value - param.min_value) / param.step, 6).is_integer()
        return True
    raise AssertionError(f"unexpected hyperparameter kind {kind}")


def count_layers(model):
    kinds = [type(layer).__name__ for layer in model.layers]
    return dict(
        conv=kinds.count("Conv2D"),
        dense=kinds.count("Dense"),
        bn=kinds.count("BatchNormalization"),
        dropout=kinds.count("Dropout"),
        pool=kinds.count("MaxPooling2D") + kinds.count("AveragePooling2D"),
        augment=sum(kinds.count(kind) for kind in AUGMENT_LAYERS),
    )


def test_registry_order_and_lookup():
    assert list_presets() == ["dense", "convnet", "model1", "model2", "model3", "model4"]
    preset = get_preset("model4")
    assert isinstance(preset, Preset) and preset.name == "model4"
    assert preset.early_stopping_patience == 3
    assert get_preset("convnet").early_stopping_patience is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.name = "other"


@pytest.mark.parametrize("name", ["model5", "", "Dense"])
def test_unknown_preset_is_a_config_error(name):
    with pytest.raises(ConfigError) as info:
        get_preset(name)
    assert str(info.value) == f"unknown preset '{name}'; known: dense, convnet, model1, model2, model3, model4"
    with pytest.raises(ConfigError, match="unknown preset"):
        build_preset(name)


@pytest.mark.parametrize("name", list_presets())
def test_preset_values_lie_inside_the_space(name):
    space = CharacterHyperModel().space().space
    params = {param.name: param for param in space}
    preset = get_preset(name)
    assert preset.title and preset.description
    for key, value in preset.values.items():
        assert key in params, f"{name}: '{key}' is not a hyperparameter of the space"
        assert value_fits(params[key], value), f"{name}: {key}={value!r} is outside the space"


@pytest.mark.parametrize("name", list_presets())
def test_preset_builds_exactly_its_model_and_trains(name, tiny_batch):
    preset = get_preset(name)
    # Built by hand: a missing active value would pick up a default, an extra one stays inactive.
    hp = keras_tuner.HyperParameters()
    hp.values = dict(preset.values)
    model = CharacterHyperModel().build(hp)
    assert hp.values == preset.values
    assert all(hp.is_active(key) for key in preset.values)
    assert count_layers(model) == EXPECTED_LAYERS[name]

    images, labels = tiny_batch()
    model.fit(images, labels, batch_size=32, epochs=1, verbose=0)
    probabilities = model.predict(images, verbose=0)
    assert probabilities.shape == (32, 26)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", list_presets())
def test_preset_hyperparameters_hold_the_preset(name):
    hp = preset_hyperparameters(name)
    assert hp.values == get_preset(name).values
    CharacterHyperModel().build(hp)
    assert hp.values == get_preset(name).values


@pytest.mark.parametrize("name", list_presets())
def test_preset_fits_alphadigit_images(name):
    model = build_preset(name, input_shape=(20, 16), num_classes=36)
    assert model.name == name
    assert model.output.shape == (None, 36)


def test_reference_parameter_counts():
    assert preset_param_count("convnet", (28, 28), 10) == 34_826
    assert preset_param_count("dense", (28, 28), 10) == 101_770


def test_presets_without_augmentation():
    model = build_preset("model4", augmentations=())
    assert count_layers(model)["augment"] == 0
    keras.backend.clear_session()
    model = build_preset("model4", augmentations=["zoom"])
    assert [layer.name for layer in model.layers if layer.name.startswith("augment_")] == ["augment_zoom"]


def test_preset_that_does_not_fit_the_space_is_a_config_error():
    small = CharacterHyperModel(input_shape=(8, 8))  # 8 px allow at most 3 conv blocks
    with pytest.raises(ConfigError, match="preset 'model4' does not fit this search space: .*conv_blocks"):
        preset_hyperparameters("model4", small)
