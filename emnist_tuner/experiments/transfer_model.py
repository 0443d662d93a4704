"""The transfer model and the scratch model: the same layers, pretrained or fresh.

    image -> the backbone's input layers -> augmentation -> the backbone's feature layers
          -> Dense -> BatchNorm -> ReLU -> Dropout -> Dense softmax (the new head)

The backbone's own layers are applied again one by one (sharing their weights), without its
augmentation layers (the transfer recipe brings its own) and without its old head. Whether a
BatchNorm layer learns this data's statistics is set by its ``trainable`` flag alone (Keras 3: a
BatchNorm layer that is not trainable runs in inference mode, with its moving statistics), so each
training phase sets exactly which layers train and how BatchNorm behaves:

- ``head``: the backbone frozen (BatchNorm keeps the backbone's statistics), only the new head trains;
- ``fine-tune``: ``all`` backbone layers train (``top``: only its last conv block and its hidden dense
  layers); BatchNorm ``train`` learns this data's statistics, ``frozen`` keeps MNIST's.

Scratch is the same architecture built with fresh weights, every layer trainable from the start.
"""

from __future__ import annotations

import keras

HEAD_UNITS = 128
HEAD_DROPOUT = 0.3
AUGMENTATIONS = {  # rotation (fraction of a turn), translation and zoom (fractions of the size)
    "none": {},
    "gentle": {"rotation": 0.04, "translation": 0.08, "zoom": 0.08},
    "strong": {"rotation": 0.07, "translation": 0.12, "zoom": 0.12},
}
INPUT_LAYERS = ("add_channel", "rescale")  # every emnist-tuner model starts with these two


def feature_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """``model``'s layers from its input to (not including) its ``head``, without augmentation."""
    names = [layer.name for layer in model.layers]
    if "head" not in names or not set(INPUT_LAYERS) <= set(names):
        raise ValueError(
            f"model '{model.name}' is not an emnist-tuner model (it needs the layers "
            f"{', '.join(INPUT_LAYERS)} and head)"
        )
    layers = []
    for layer in model.layers[1:]:
        if layer.name == "head":
            break
        if not layer.name.startswith("augment_"):
            layers.append(layer)
    return layers


def build_transfer_model(
    backbone: keras.Model, num_classes: int, augmentation: str = "gentle", name: str = "transfer"
) -> keras.Model:
    """The new head on ``backbone``'s feature layers (their weights shared with ``backbone``)."""
    from ..searchspace.hypermodel import augmentation_layers

    height, width = backbone.input_shape[1:3]
    inputs = keras.Input(shape=(height, width), name="image")
    x = inputs
    for layer in feature_layers(backbone):
        x = layer(x)
        if layer.name == INPUT_LAYERS[-1]:
            x = augmentation_layers(x, AUGMENTATIONS[augmentation])
    x = keras.layers.Dense(HEAD_UNITS, use_bias=False, name="new_dense")(x)
    x = keras.layers.BatchNormalization(name="new_bn")(x)
    x = keras.layers.Activation("relu", name="new_act")(x)
    x = keras.layers.Dropout(HEAD_DROPOUT, name="new_dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="new_head")(x)
    return keras.Model(inputs, outputs, name=name)


def backbone_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The transfer model's layers that came from the backbone (and have weights)."""
    return [layer for layer in model.layers if layer.weights and not layer.name.startswith("new_")]


def top_layers(layers: list[keras.layers.Layer]) -> list[keras.layers.Layer]:
    """The last conv block's and the hidden dense layers (BatchNorm excluded): ``top`` fine-tuning;
    for a dense-only backbone, its dense layers."""
    weighted = [layer for layer in layers if not isinstance(layer, keras.layers.BatchNormalization)]
    blocks = sorted({layer.name.split("_")[0] for layer in weighted if layer.name.startswith("block")})
    last_block = blocks[-1] if blocks else None
    return [
        layer
        for layer in weighted
        if layer.name.startswith("dense") or (last_block and layer.name.split("_")[0] == last_block)
    ]


def set_phase(model: keras.Model, phase: str, fine_tune: str = "all", batchnorm: str = "train") -> list[str]:
    """Set which layers train in ``phase`` (``head`` or ``fine-tune``); returns the names of the
    backbone layers that train. The model must be compiled again afterwards (Keras reads
    ``trainable`` when it compiles)."""
    layers = backbone_layers(model)
    if phase == "head":
        chosen: set[int] = set()
    elif fine_tune == "top":
        chosen = {id(layer) for layer in top_layers(layers)}
    else:
        chosen = {
            id(layer)
            for layer in layers
            if batchnorm == "train" or not isinstance(layer, keras.layers.BatchNormalization)
        }
    for layer in layers:
        layer.trainable = id(layer) in chosen
    return [layer.name for layer in layers if layer.trainable]


def compile_for(model: keras.Model, learning_rate, label_smoothing: float = 0.0) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        metrics=["accuracy"],
    )
