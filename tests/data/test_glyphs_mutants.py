"""The numbers of a user's image on its way to the model: gray levels of each bit depth and channel
layout, the inversion and background rule, the ink's box, and where the MNIST and EMNIST recipes put
the glyph on the 28x28 canvas (solid shapes, so every pixel is known)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from emnist_tuner.data import glyphs
from emnist_tuner.data.glyphs import grayscale, ink_box, ink_on_black, to_dataset_format
from emnist_tuner.errors import DataError


def test_gray_levels_of_every_depth_come_out_in_0_to_255():
    assert grayscale(np.array([[0, 65535, 257]], dtype=np.uint16)).tolist() == [[0.0, 255.0, 1.0]]
    assert grayscale(np.array([[0, 514]], dtype=np.int32)).tolist() == [[0.0, 2.0]]  # above 255: 16-bit
    assert grayscale(np.array([[0, 255]], dtype=np.int32)).tolist() == [[0.0, 255.0]]  # 8-bit in a wide type
    assert grayscale(np.array([[0.0, 0.5, 1.0]])).tolist() == [[0.0, 127.5, 255.0]]  # floats in 0..1
    assert grayscale(np.array([[0.0, 2.0, 300.0, -5.0]])).tolist() == [[0.0, 2.0, 255.0, 0.0]]  # 0..255, clipped
    assert grayscale(np.array([[True, False]])).tolist() == [[255.0, 0.0]]
    assert grayscale(np.array([[7, 200]], dtype=np.uint8)).tolist() == [[7.0, 200.0]]


def test_colour_is_weighted_and_transparency_is_paper():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], dtype=np.uint8)
    assert grayscale(rgb)[0] == pytest.approx([0.299 * 255, 0.587 * 255, 0.114 * 255])
    assert grayscale(np.array([[[9], [200]]], dtype=np.uint8)).tolist() == [[9.0, 200.0]]
    gray_alpha = np.array([[[0, 255], [0, 0], [100, 51]]], dtype=np.uint8)  # opaque, transparent, 20 %
    assert grayscale(gray_alpha)[0] == pytest.approx([0.0, 255.0, 100 * 0.2 + 255 * 0.8])
    rgba = np.array([[[0, 0, 0, 255], [0, 0, 0, 0]]], dtype=np.uint8)
    assert grayscale(rgba).tolist() == [[0.0, 255.0]]


@pytest.mark.parametrize("shape", [(4, 4, 5), (4,), (2, 2, 2, 2)])
def test_shapes_that_are_not_images_are_refused(shape):
    with pytest.raises(DataError) as error:
        grayscale(np.zeros(shape, dtype=np.uint8))
    assert str(error.value) == f"an image must be 2-D (height x width) or have 1-4 channels, got shape {shape}"


def test_light_paper_is_inverted_and_the_background_becomes_0():
    paper = np.full((5, 5), 200.0)
    paper[2, 2] = 50.0  # dark ink
    ink = ink_on_black(paper)
    assert ink[2, 2] == pytest.approx(255.0) and ink[0, 0] == 0.0 and ink.sum() == pytest.approx(255.0)
    dark = np.full((5, 5), 40.0)
    dark[1, 1] = 140.0  # light ink on a dark, not black, background: only the background is removed
    assert ink_on_black(dark)[1, 1] == pytest.approx(255.0) and ink_on_black(dark)[0, 0] == 0.0
    assert ink_on_black(dark, "yes")[1, 1] == 0.0  # forced: the ink becomes the background
    assert ink_on_black(paper, "no")[2, 2] == 0.0
    assert ink_on_black(np.full((3, 3), 90.0)).tolist() == np.zeros((3, 3)).tolist()  # no ink: no division by 0


def test_a_median_of_exactly_half_is_not_inverted():
    half = np.full((3, 3), 127.5)
    half[0, 0] = 255.0
    assert ink_on_black(half)[0, 0] == 255.0


def test_the_ink_box_ignores_specks_up_to_a_fifth_of_the_peak():
    ink = np.zeros((10, 12))
    ink[2:5, 3:9] = 100.0
    ink[8, 11] = 20.0  # exactly a fifth: a speck
    assert ink_box(ink) == (slice(2, 5), slice(3, 9))
    ink[0, 0] = 20.5
    assert ink_box(ink) == (slice(0, 5), slice(0, 9))
    assert ink_box(ink, threshold=0.1) == (slice(0, 9), slice(0, 12))
    with pytest.raises(DataError, match="no ink found"):
        ink_box(np.zeros((4, 4)))


def test_mnist_scales_the_longer_side_to_20_and_centres_the_mass():
    out = glyphs._mnist(np.ones((40, 10)))  # -> 20 x 5, centre of mass (9.5, 2)
    expected = np.zeros((28, 28))
    expected[4:24, 12:17] = 1.0  # top round(14 - 9.5) = 4, left 14 - 2 = 12
    np.testing.assert_allclose(out, expected, atol=1e-6)
    wide = glyphs._mnist(np.ones((5, 40)))  # -> round(2.5) = 2 x 20; top round(13.5) = 14, left round(4.5) = 4
    rows, cols = np.nonzero(wide > 0.5)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (14, 15, 4, 23)


def test_mnist_keeps_a_glyph_whole_when_its_mass_is_off_centre():
    glyph = np.zeros((20, 20))
    glyph[0, 0] = 1.0
    glyph[19, 19] = 1e-6  # the box is 20x20, but the mass sits in its top-left corner
    out = glyphs._mnist(glyph)
    assert out[8, 8] == pytest.approx(1.0)  # pushed as far as the canvas allows: 28 - 20 = 8
    glyph = np.zeros((20, 20))
    glyph[19, 19] = 1.0
    glyph[0, 0] = 1e-6
    assert glyphs._mnist(glyph)[19, 19] == pytest.approx(1.0)  # clamped at 0 the other way
    thin = glyphs._mnist(np.ones((200, 1)))  # 20 x round(0.1) -> at least one pixel wide
    assert np.count_nonzero(thin > 0.5) == 20


def test_emnist_centres_the_glyph_in_a_square_blurs_it_and_adds_a_border():
    glyph = np.ones((24, 12))
    square = np.zeros((24, 24))
    square[:, 6:18] = 1.0  # centred: (24 - 12) // 2 = 6 columns each side
    expected = np.pad(gaussian_filter(square, sigma=1.0), 2)  # 24 * 2 / 24 = 2 pixels
    np.testing.assert_allclose(glyphs._emnist(glyph), expected, atol=1e-5)
    tall = np.zeros((24, 24))
    tall[6:18, :] = 1.0
    np.testing.assert_allclose(glyphs._emnist(np.ones((12, 24))), np.pad(gaussian_filter(tall, 1.0), 2), atol=1e-5)


def test_emnist_border_grows_with_the_glyph():
    out = glyphs._emnist(np.ones((48, 48)))  # pad round(48 * 2 / 24) = 4, then 56 -> 28
    assert out.shape == (28, 28)
    assert out[0, 0] < 0.01 and out[14, 14] > 0.99 and out[1, 14] < 0.3


def test_the_result_is_uint8_with_its_peak_at_255():
    image = np.full((40, 40), 255, dtype=np.uint8)
    image[10:30, 18:22] = 128  # grey ink
    out = to_dataset_format(image)
    assert out.dtype == np.uint8 and out.max() == 255 and out.shape == (28, 28)
    assert to_dataset_format(image, "emnist").max() == 255


def test_four_pixels_are_enough_three_are_not():
    image = np.zeros((4, 4), dtype=np.uint8)
    image[1:3, 1:3] = 255
    assert to_dataset_format(image).max() == 255
    with pytest.raises(DataError) as error:
        to_dataset_format(np.zeros((3, 9), dtype=np.uint8))
    assert str(error.value) == "the image is 9x3 pixels: too small to hold a character"


def test_an_unknown_invert_value_is_refused():
    with pytest.raises(DataError) as error:
        to_dataset_format(np.zeros((8, 8)), invert="maybe")
    assert str(error.value) == "invert must be one of auto, yes, no, got 'maybe'"


def test_gray_levels_at_the_edges_of_each_rule():
    assert grayscale(np.array([[0, 256]], dtype=np.int32))[0] == pytest.approx([0.0, 256 / 257])  # 16-bit
    assert grayscale(np.array([[0.0, 2.0]])).tolist() == [[0.0, 2.0]]  # above 1: already 0..255
    rgba = np.array([[[255, 0, 0, 255]]], dtype=np.uint8)  # opaque red: its weighted gray, not its red
    assert grayscale(rgba)[0, 0] == pytest.approx(0.299 * 255)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_an_empty_image_is_too_small_not_a_crash(dtype):
    with pytest.raises(DataError, match="the image is 0x0 pixels: too small"):
        to_dataset_format(np.zeros((0, 0), dtype=dtype))


def test_a_median_of_128_is_light_paper():
    gray = np.full((3, 3), 128.0)
    gray[0, 0] = 0.0  # dark ink
    assert ink_on_black(gray)[0, 0] == pytest.approx(255.0)


def test_faint_ink_is_stretched_to_255():
    gray = np.full((3, 3), 100.0)
    gray[1, 1] = 100.5  # half a gray level of contrast
    assert ink_on_black(gray)[1, 1] == pytest.approx(255.0)
    faint = np.zeros((4, 4))
    faint[1, 1], faint[2, 2] = 0.5, 0.15  # above a fifth of this peak (0.1): ink
    assert ink_box(faint) == (slice(1, 3), slice(1, 3))


def test_the_no_ink_message():
    with pytest.raises(DataError) as error:
        ink_box(np.zeros((4, 4)))
    assert str(error.value) == "no ink found (a blank image)"


def test_a_thin_horizontal_stroke_keeps_one_pixel_of_height():
    out = glyphs._mnist(np.ones((1, 200)))
    assert np.count_nonzero(out > 0.5) == 20


def test_the_emnist_border_is_2_pixels_of_24(monkeypatch):
    framed = []
    resize = glyphs._resize

    def spy(image, shape, resample):
        framed.append((image.shape, resample))
        return resize(image, shape, resample)

    monkeypatch.setattr(glyphs, "_resize", spy)
    glyphs._emnist(np.ones((30, 10)))  # 30 * 2 / 24 = 2.5 -> 2
    glyphs._emnist(np.ones((42, 42)))  # 42 * 2 / 24 = 3.5 -> 4
    assert framed == [((34, 34), "bicubic"), ((50, 50), "bicubic")]


def test_mnist_resizes_with_lanczos_and_never_overshoots_255():
    from PIL import Image

    step = np.zeros((6, 6))
    step[:, 3:] = 255.0  # a small glyph is enlarged to fit the 20-pixel box
    ours = glyphs._resize(step, (20, 20), "lanczos")
    theirs = np.asarray(
        Image.fromarray(step.astype(np.float32), mode="F").resize((20, 20), Image.Resampling.LANCZOS), dtype=float
    )
    assert theirs.max() > 255.0  # lanczos rings above the input's range ...
    np.testing.assert_allclose(ours, np.clip(theirs, 0, 255), atol=1e-4)  # ... and the result is clipped
    assert ours.max() == 255.0 and ours.dtype == np.float64


def test_the_emnist_style_is_the_emnist_recipe():
    image = np.full((60, 60), 255, dtype=np.uint8)
    image[10:50, 25:35] = 0
    emnist, mnist = to_dataset_format(image, "emnist"), to_dataset_format(image)
    assert not np.array_equal(emnist, mnist)
    assert np.array_equal(mnist, to_dataset_format(image, "mnist"))


def test_a_thin_stroke_still_peaks_at_255():
    image = np.full((100, 100), 255, dtype=np.uint8)
    image[np.arange(10, 90), np.arange(10, 90)] = 0  # a one-pixel diagonal, scaled down fourfold
    assert to_dataset_format(image).max() == 255


def test_a_glyph_that_fades_when_scaled_down_is_stretched_back_to_255():
    image = np.full((400, 400), 255, dtype=np.uint8)
    image[0, 0] = image[399, 399] = 0  # two specks: the box is the whole image, scaled down twentyfold
    assert to_dataset_format(image).max() == 255


@pytest.mark.parametrize(
    "dataset, style",
    [
        ("emnist-letters", "emnist"),
        ("emnist-letters-sample", "emnist"),
        ("mnist", "mnist"),
        ("synthetic", "mnist"),
        ("binary-alphadigits", "alphadigits"),
    ],
)
def test_each_dataset_has_its_preparation(dataset, style):
    assert glyphs.style_of(dataset) == style


def test_a_binary_alphadigits_glyph_fills_its_20x16_frame_and_is_binary():
    glyph = np.zeros((40, 32))  # a cropped glyph: strong ink on the left, faint on the right
    glyph[:, :16], glyph[:, 16:] = 200.0, 90.0
    out = glyphs._alphadigits(glyph)
    assert out.shape == glyphs.STYLE_SHAPES["alphadigits"] == (20, 16)
    assert (out[:, :7] == 255).all() and (out[:, 9:] == 0).all()  # half the peak (100) decides
    glyph[:, 16:] = 101.0
    assert (glyphs._alphadigits(glyph)[:, 10:] == 255).all()  # just over half the peak is ink (away from the edge)
    wide = np.zeros((10, 60), np.uint8)
    wide[2:8, 5:55] = 255  # a wide glyph is stretched to the frame, not letterboxed
    prepared = to_dataset_format(wide, "alphadigits", invert="no")
    assert prepared.shape == (20, 16) and prepared.dtype == np.uint8 and (prepared == 255).all()
