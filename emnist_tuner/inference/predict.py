"""`predict`: a model's top classes for a user's own images, prepared as its training images were."""

from __future__ import annotations

import numpy as np

from ..data.glyphs import STYLE_SHAPES, to_dataset_format
from ..data.images import CharacterImage, read_inputs
from ..errors import ConfigError, DataError
from .source import ModelSource

FORMATS = ("table", "json", "csv")
BATCH = 256


def check_options(top: int, invert: str, fmt: str = "table", tta: int = 1) -> None:
    """ConfigError (exit 2) for a bad --top, --invert, --format (the CLI's output format) or --tta."""
    from ..data.glyphs import INVERT

    if top < 1:
        raise ConfigError(f"--top must be at least 1, got {top}")
    if tta < 1:
        raise ConfigError(f"--tta must be at least 1 (1: no test-time augmentation), got {tta}")
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    if invert not in INVERT:
        raise ConfigError(f"--invert must be one of {', '.join(INVERT)}, got '{invert}'")


def smoothing_note(source: ModelSource) -> str | None:
    """Why a sure answer shows less than 100 %: the model was trained with label smoothing ε, so its softmax
    tops out near 1 - ε + ε/K (K classes); None for a model trained without it (or not known)."""
    epsilon = source.label_smoothing
    if not epsilon:
        return None
    classes = len(source.class_names)
    sure = 1 - epsilon + epsilon / classes
    return (
        f"probabilities are the model's own: it was trained with label smoothing {epsilon:g}, so a sure answer "
        f"shows about {100 * sure:.1f} % (1 - {epsilon:g} + {epsilon:g}/{classes}), not 100 %"
    )


def prepare(images: list[CharacterImage], style: str, invert: str, shape: tuple[int, int] | None = None) -> None:
    """Each readable image in its dataset's format (in place), on a ``shape`` canvas (default: the style's);
    a failure becomes the image's error."""
    canvas: tuple[int, int] = (int(shape[0]), int(shape[1])) if shape is not None else STYLE_SHAPES[style]
    for image in images:
        if image.error:
            continue
        if image.ready:  # already in a dataset's format (IDX, .npy): it must be the model's
            assert image.pixels is not None  # a ready image has its pixels
            if image.pixels.shape != canvas:
                height, width = image.pixels.shape[:2]
                image.error = f"{image.name}: a {height}x{width} array, the model reads {canvas[0]}x{canvas[1]} images"
            continue
        assert image.pixels is not None  # read_inputs gives pixels to every image without an error
        try:
            image.pixels = to_dataset_format(image.pixels, style, invert, canvas)
            image.ready = True
        except DataError as exc:
            image.error = f"{image.name}: {exc}"


def predict(source: ModelSource, inputs, top: int = 3, invert: str = "auto", on_batch=None, tta: int = 1) -> list[dict]:
    """One row per character image: ``{"input", "top": [{"class", "probability"}, …]}``, or ``{"input",
    "error"}`` for one that could not be read or prepared. Inference runs in batches; ``on_batch(n)`` is
    told how many images each batch held. ``tta`` > 1: the mean over the image and ``tta`` - 1 transformed
    copies (``training.tta``)."""
    return predict_images(source, read_inputs(inputs), top, invert, on_batch, tta)


def predict_images(
    source: ModelSource, images: list[CharacterImage], top: int = 3, invert: str = "auto", on_batch=None, tta: int = 1
) -> list[dict]:
    """`predict` on images already read (``data.images``: from files, or from memory with
    ``read_image_bytes``); each image is prepared in place, so its ``pixels`` are then what the model saw."""
    prepare(images, source.style, invert, source.input_shape)
    good = [image for image in images if not image.error]
    probabilities = np.zeros((0, len(source.class_names)))
    if good:
        from ..training.tta import test_time_transform, tta_predict

        model = source.load()
        transform = test_time_transform(model) if tta > 1 else None
        if tta > 1 and transform is None:
            raise ConfigError(
                f"--tta {tta}: {source.label} was trained without augmentation, so there is nothing "
                "to vary at test time; leave --tta out"
            )
        chunks = []
        for start in range(0, len(good), BATCH):
            # every image without an error has pixels (read_inputs)
            batch = np.stack([image.pixels for image in good[start : start + BATCH]])  # type: ignore[misc]
            chunks.append(tta_predict(model, batch, tta, batch_size=BATCH, transform=transform))
            if on_batch:
                on_batch(len(batch))
        probabilities = np.concatenate(chunks)
    names = source.class_names
    rows: list[dict] = []
    found = iter(probabilities)
    for image in images:
        if image.error:
            rows.append({"input": image.name, "error": image.error})
            continue
        p = next(found)
        best = np.argsort(-p)[:top]
        rows.append({"input": image.name, "top": [{"class": names[i], "probability": float(p[i])} for i in best]})
    return rows
