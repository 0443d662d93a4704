"""The preprocessing of a user's character images (``data.glyphs``): inversion, crop, aspect, centring
by mass, bit depths and alpha, and its one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from emnist_tuner.data.glyphs import INVERT, grayscale, to_dataset_format
from emnist_tuner.errors import DataError


def _bar(height=60, width=20, size=(200, 150), at=(30, 40), ink=0, paper=255, dtype=np.uint8):
    """A dark vertical bar on light paper (a scan of an 'l'), off-centre."""
    image = np.full(size, paper, dtype=dtype)
    image[at[0] : at[0] + height, at[1] : at[1] + width] = ink
    return image


def _centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return (rows * image).sum() / total, (cols * image).sum() / total


def test_dark_ink_on_paper_becomes_white_on_black_in_a_20_pixel_box_centred_by_mass():
    out = to_dataset_format(_bar(), "mnist")
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out[0, 0] == 0 and out.max() == 255  # inverted: black background, white ink
    rows, cols = np.nonzero(out > 127)
    assert rows.max() - rows.min() + 1 in (19, 20, 21)  # the longer side fills the 20-pixel box
    assert 5 <= cols.max() - cols.min() + 1 <= 8  # aspect kept: 60x20 -> 20x~7
    centre = _centre_of_mass(out.astype(float))
    assert abs(centre[0] - 14) <= 1 and abs(centre[1] - 14) <= 1


def test_white_ink_on_black_is_not_inverted_and_invert_can_be_forced():
    light_on_dark = _bar(ink=255, paper=0)
    expected = to_dataset_format(_bar())
    assert np.array_equal(to_dataset_format(light_on_dark), expected)
    assert np.array_equal(to_dataset_format(light_on_dark, invert="no"), expected)
    assert np.array_equal(to_dataset_format(_bar(), invert="yes"), expected)
    # forced the wrong way, the paper is the background: the message says what the image looks like
    with pytest.raises(DataError) as error:
        to_dataset_format(_bar(), invert="no")
    assert str(error.value) == (
        "no ink found with --invert no: the image looks like dark ink on a light background; "
        "use --invert auto (or --invert yes)"
    )
    with pytest.raises(DataError) as error:
        to_dataset_format(light_on_dark, invert="yes")
    assert str(error.value) == (
        "no ink found with --invert yes: the image looks like light ink on a dark background; "
        "use --invert auto (or --invert no)"
    )
    for invert in INVERT:  # a blank image is blank whichever way it is read
        with pytest.raises(DataError, match=r"^no ink found \(a blank image\)$"):
            to_dataset_format(np.full((30, 30), 255, np.uint8), invert=invert)


def test_emnist_style_keeps_a_two_pixel_border_around_a_blurred_square():
    out = to_dataset_format(_bar(height=40, width=40), "emnist")
    rows, cols = np.nonzero(out > 20)
    assert rows.min() >= 1 and rows.max() <= 26 and cols.min() >= 1 and cols.max() <= 26
    assert 20 <= rows.max() - rows.min() + 1 <= 26


def test_bit_depths_and_alpha():
    eight = to_dataset_format(_bar())
    sixteen = to_dataset_format(_bar(ink=0, paper=65535, dtype=np.uint16))
    assert np.abs(eight.astype(int) - sixteen.astype(int)).max() <= 1
    rgba = np.zeros((200, 150, 4), dtype=np.uint8)  # transparent paper, opaque black ink
    rgba[30:90, 40:60] = (0, 0, 0, 255)
    assert np.abs(to_dataset_format(rgba).astype(int) - eight.astype(int)).max() <= 1
    rgb = np.repeat(_bar()[..., None], 3, axis=2)
    assert np.array_equal(to_dataset_format(rgb), eight)
    assert grayscale(_bar().astype(np.float32) / 255).max() == pytest.approx(255)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.full((50, 50), 255, np.uint8), "no ink found"),
        (np.zeros((1, 1), np.uint8), "too small to hold a character"),
        (np.zeros((5, 5, 7), np.uint8), "1-4 channels"),
    ],
)
def test_unusable_images_are_one_line_errors(image, message):
    with pytest.raises(DataError, match=message):
        to_dataset_format(image)


@pytest.mark.parametrize(
    "dataset, style",
    [
        ("mnist", "mnist"),
        ("synthetic", "mnist"),
        ("emnist-letters", "emnist"),
        ("emnist-letters-sample", "emnist"),
        ("emnist-balanced", "emnist"),  # every EMNIST split was prepared by Cohen et al.'s recipe
        ("binary-alphadigits", "alphadigits"),
        ("csv:/data/emnist-letters-train.csv", "mnist"),  # a user's source: the documented default
        ("folder:/data/scans", "mnist"),
        ("npz:/data/emnist-digits.npz", "mnist"),  # its name does not make it EMNIST
    ],
)
def test_every_dataset_has_a_glyph_style(dataset, style):
    from emnist_tuner.data.glyphs import style_of

    assert style_of(dataset) == style == style_of(dataset, (28, 28))


def test_a_source_of_binary_alphadigits_size_is_prepared_as_binary_alphadigits():
    from emnist_tuner.data.glyphs import style_of

    assert style_of("folder:/data/alphadigits-pngs", (20, 16)) == "alphadigits"
    assert style_of("npz:/data/small.npz", (16, 20)) == "mnist"
    assert style_of("mnist", (20, 16)) == "mnist"  # a built-in dataset keeps its own style


def test_the_mnist_style_on_a_canvas_of_another_size_scales_its_box_with_it():
    from emnist_tuner.data.glyphs import style_recipe

    assert np.array_equal(to_dataset_format(_bar(), "mnist", shape=(28, 28)), to_dataset_format(_bar(), "mnist"))
    out = to_dataset_format(_bar(), "mnist", shape=(32, 40))
    assert out.shape == (32, 40) and out[0, 0] == 0 and out.max() == 255
    rows, cols = np.nonzero(out > 127)
    assert rows.max() - rows.min() + 1 in (22, 23, 24)  # 20 of 28 -> 23 of 32 (the shorter side)
    centre = _centre_of_mass(out.astype(float))
    assert abs(centre[0] - 16) <= 1 and abs(centre[1] - 20) <= 1
    assert "23x23 box" in style_recipe("mnist", (32, 40)) and "32x40 black canvas" in style_recipe("mnist", (32, 40))
    assert style_recipe("mnist", (28, 28)) == style_recipe("mnist") and "20x20 box" in style_recipe("mnist")
