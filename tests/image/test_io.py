"""Reading every kind of image a user has, and writing without ever losing work.

Files are generated here with Pillow, a few pixels each, to cover each class of
input beyond the case files in ``tests/data/cases`` (tested in ``tests/test_cases.py``).
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops

from stylegram.errors import ImageReadError, OptionError, OutputPathError
from stylegram.image import (
    MAX_PIXELS,
    check_output_path,
    pixel_limit,
    read_image,
    read_metadata,
    write_image,
)

RED_CMYK = (0, 255, 255, 0)


def _pixel(loaded, xy=(0, 0)) -> tuple[int, int, int]:
    return loaded.rgb.getpixel(xy)


def _saved(image: Image.Image, fmt: str, **options) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    buffer.seek(0)
    return Image.open(buffer)


# --- modes -----------------------------------------------------------------


def test_gray_L_becomes_rgb():
    loaded = read_image(Image.new("L", (4, 3), 77))
    assert loaded.rgb.mode == "RGB" and loaded.size == (4, 3)
    assert _pixel(loaded) == (77, 77, 77) and loaded.alpha is None


def test_LA_keeps_alpha():
    image = Image.merge("LA", (Image.new("L", (4, 2), 200), Image.new("L", (4, 2), 30)))
    loaded = read_image(_saved(image, "PNG"))
    assert _pixel(loaded) == (200, 200, 200)
    assert loaded.alpha.getpixel((0, 0)) == 30


def test_palette_with_transparency_keeps_alpha():
    image = Image.new("P", (4, 2), 1)
    image.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    image.putpixel((0, 0), 0)
    loaded = read_image(_saved(image, "PNG", transparency=0))
    assert loaded.alpha.getpixel((0, 0)) == 0 and loaded.alpha.getpixel((1, 0)) == 255
    assert _pixel(loaded, (1, 0)) == (10, 200, 30)


def test_opaque_alpha_is_dropped():
    loaded = read_image(Image.new("RGBA", (4, 4), (1, 2, 3, 255)))
    assert loaded.alpha is None and _pixel(loaded) == (1, 2, 3)


def test_premultiplied_modes_convert():
    image = Image.new("RGBA", (2, 2), (200, 100, 50, 255))
    assert _pixel(read_image(image.convert("RGBa"))) == (200, 100, 50)
    assert read_image(image.convert("LA").convert("La")).rgb.mode == "RGB"


def test_cmyk_jpeg_with_adobe_marker_is_not_inverted():
    jpeg = _saved(Image.new("CMYK", (8, 8), RED_CMYK), "JPEG")
    assert "adobe" in jpeg.info
    r, g, b = _pixel(read_image(jpeg))
    assert r > 200 and g < 60 and b < 60


def _strip_adobe(data: bytes) -> bytes:
    start = data.index(b"\xff\xee")  # APP14 "Adobe"
    length = int.from_bytes(data[start + 2 : start + 4], "big")
    return data[:start] + data[start + 2 + length :]


def test_cmyk_jpeg_without_adobe_marker_is_plain_cmyk():
    # Pillow writes Adobe's inverted CMYK; saving the inverse and dropping the marker
    # gives a file that stores plain CMYK, as some tools write it.
    buffer = io.BytesIO()
    ImageChops.invert(Image.new("CMYK", (8, 8), RED_CMYK)).save(buffer, "JPEG")
    plain = Image.open(io.BytesIO(_strip_adobe(buffer.getvalue())))
    assert "adobe" not in plain.info
    r, g, b = _pixel(read_image(plain))
    assert r > 200 and g < 60 and b < 60


def test_cmyk_tiff():
    r, g, b = _pixel(read_image(_saved(Image.new("CMYK", (4, 4), RED_CMYK), "TIFF")))
    assert r > 200 and g < 60 and b < 60


def test_16_bit_png_is_scaled_not_clipped():
    ramp = (np.arange(256, dtype=np.uint32) * 257).astype(np.uint16)[None].repeat(4, 0)
    image = _saved(Image.fromarray(ramp), "PNG")
    assert image.mode.startswith("I;16")
    row = np.asarray(read_image(image).rgb)[0, :, 0]
    assert np.array_equal(row, np.arange(256))  # v * 257 / 257 == v


def test_dark_16_bit_image_stays_dark():
    image = _saved(Image.fromarray(np.full((4, 4), 200, np.uint16)), "PNG")
    assert _pixel(read_image(image)) == (1, 1, 1)  # 200 / 257, not 200 taken as 8-bit


def test_big_endian_16_bit():
    image = Image.frombytes("I;16B", (2, 1), struct.pack(">HH", 0, 65535))
    assert np.asarray(read_image(image).rgb)[0, :, 0].tolist() == [0, 255]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.0, 0.5, 1.0], [0, 128, 255]),  # float 0-1
        ([0.0, 100.0, 255.0], [0, 100, 255]),  # float 0-255
        ([float("nan"), -5.0, 1.0], [0, 0, 255]),  # NaN and negatives to 0
    ],
)
def test_float_F(values, expected):
    image = Image.fromarray(np.array([values], np.float32), "F")
    assert np.asarray(read_image(image).rgb)[0, :, 0].tolist() == expected


def test_32_bit_I_ranges():
    sixteen = Image.fromarray(np.array([[0, 65535]], np.int32), "I")
    assert np.asarray(read_image(sixteen).rgb)[0, :, 0].tolist() == [0, 255]
    wide = Image.fromarray(np.array([[0, 2**31 - 1]], np.int32), "I")
    assert np.asarray(read_image(_saved(wide, "TIFF")).rgb)[0, :, 0].tolist() == [0, 255]


@pytest.mark.parametrize("mode", ["1", "HSV", "YCbCr", "LAB", "RGBX"])
def test_other_modes(mode):
    image = Image.new("RGB", (3, 3), (255, 255, 255)).convert(mode) if mode != "LAB" else Image.new("LAB", (3, 3), (255, 128, 128))
    r, g, b = _pixel(read_image(image))
    assert min(r, g, b) > 240  # white stays white


def _icc_swapping_red_and_green() -> bytes:
    """A minimal ICC v2 RGB matrix/TRC profile whose red and green colorants are
    sRGB's green and red (D50), so stored red means sRGB green."""

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + s15(x) + s15(y) + s15(z)

    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 0x0233) + b"\0\0"  # gamma 2.2
    text = b"swap\0"
    tags = [
        (b"desc", b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 79),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text" + b"\0" * 4 + b"none\0\0\0\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
    header += b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249)
    header += b"\0" * (128 - len(header))
    return header + table + data


def test_icc_profile_is_converted_to_srgb():
    image = _saved(Image.new("RGB", (4, 4), (255, 0, 0)), "PNG", icc_profile=_icc_swapping_red_and_green())
    assert image.info.get("icc_profile")
    r, g, b = _pixel(read_image(image))
    assert g > 200 and r < 60 and b < 60  # the profile says "red" is sRGB green


def test_broken_icc_profile_falls_back_to_plain_conversion():
    image = _saved(Image.new("RGB", (4, 4), (255, 0, 0)), "PNG", icc_profile=b"not a profile")
    assert _pixel(read_image(image)) == (255, 0, 0)


# --- orientation, animation, limits -----------------------------------------


@pytest.mark.parametrize(("orientation", "size"), [(1, (6, 4)), (3, (6, 4)), (6, (4, 6)), (8, (4, 6))])
def test_exif_orientation_is_applied(tmp_path, orientation, size):
    # Stored 6x4 with a red top row; every orientation must come out with red on top
    # of the upright image: for 3 (180 degrees) the stored red row is the bottom one.
    array = np.zeros((4, 6, 3), np.uint8)
    stored_row = {1: 0, 3: 3}.get(orientation)
    if stored_row is not None:
        array[stored_row] = (255, 0, 0)
    elif orientation == 6:  # displayed = stored rotated 90 degrees clockwise
        array[:, 0] = (255, 0, 0)
    else:  # 8: rotated 90 degrees counter-clockwise
        array[:, -1] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.png"
    Image.fromarray(array).save(path, exif=exif.tobytes())
    loaded = read_image(path)
    assert loaded.size == size
    top = np.asarray(loaded.rgb)[0]
    assert (top[:, 0] > 200).all() and (top[:, 1] < 50).all()


def _frames() -> list[Image.Image]:
    return [Image.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 0, 255))]


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_animated_image_gives_first_frame_with_a_warning(tmp_path, fmt):
    path = tmp_path / f"anim.{fmt.lower()}"
    first, *rest = _frames()
    first.save(path, fmt, save_all=True, append_images=rest, duration=100, **({"lossless": True} if fmt == "WEBP" else {}))
    with pytest.warns(UserWarning, match="animated image, using its first frame"):
        loaded = read_image(path)
    r, g, b = _pixel(loaded, (4, 4))
    assert r > 200 and b < 50


def test_decompression_bomb_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("L", (100, 100)).save(path)
    with pytest.raises(ImageReadError, match="more than 9,999 pixels .*STYLEGRAM_MAX_PIXELS"):
        read_image(path, max_pixels=9_999)
    monkeypatch.setenv("STYLEGRAM_MAX_PIXELS", "5000")
    assert pixel_limit() == 5000
    with pytest.raises(ImageReadError, match=r"big\.png: image has more than 5,000 pixels"):
        read_image(path)
    monkeypatch.setenv("STYLEGRAM_MAX_PIXELS", "lots")
    with pytest.raises(OptionError, match="STYLEGRAM_MAX_PIXELS: 'lots'"):
        read_image(path)
    monkeypatch.delenv("STYLEGRAM_MAX_PIXELS")
    assert pixel_limit() == MAX_PIXELS and read_image(path).size == (100, 100)


def test_limit_above_pillows_own_guard(tmp_path):
    # Pillow refuses more than 2 x Image.MAX_IMAGE_PIXELS by itself; a raised limit wins.
    path = tmp_path / "wide.png"
    Image.new("L", (300, 200)).save(path)
    saved = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = 1000
        assert read_image(path, max_pixels=100_000).size == (300, 200)
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def test_an_image_under_our_limit_reads_without_pillows_nameless_warning(tmp_path, monkeypatch):
    # Pillow warns (DecompressionBombWarning, no file name) from MAX_IMAGE_PIXELS up to
    # twice that; under our own limit the image is simply read.
    path = tmp_path / "large.png"
    Image.new("RGB", (40, 40)).save(path)  # 1,600 pixels: between 1,000 and 2,000
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_image(path, max_pixels=1900).size == (40, 40)
    with pytest.raises(ImageReadError, match=r"large\.png: image has more than 1,500 pixels"):
        read_image(path, max_pixels=1500)


# --- bad files and arrays ----------------------------------------------------


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageReadError, match=r"^file not found: .*nope\.png$") as info:
        read_image(tmp_path / "nope.png")
    assert isinstance(info.value, OSError) and info.value.path.endswith("nope.png")
    with pytest.raises(ImageReadError, match="is a folder"):
        read_image(tmp_path)


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("hello")
    with pytest.raises(ImageReadError, match="notes.png: not an image file"):
        read_image(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "TIFF"])
def test_truncated_file_is_rejected_not_filled(tmp_path, fmt):
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).convert("P" if fmt == "GIF" else "RGB").save(buffer, fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageReadError, match=r"cut\.\w+: .*(truncated|corrupt|not an image)") as info:
        read_image(path)
    assert "\n" not in str(info.value)


def test_streams_and_unloaded_images_get_the_same_checks(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (9, 8, 7)).save(buffer, "PNG")
    data = buffer.getvalue()
    assert _pixel(read_image(io.BytesIO(data))) == (9, 8, 7)
    with pytest.raises(ImageReadError, match=r"^<stream>: image file is truncated or corrupt"):
        read_image(io.BytesIO(data[: len(data) // 2]))
    with pytest.raises(ImageReadError, match=r"^<stream>: not an image file"):
        read_image(io.BytesIO(b"hello"))
    path = tmp_path / "upload.png"
    path.write_bytes(data[: len(data) // 2])
    with open(path, "rb") as upload:
        with pytest.raises(ImageReadError, match=r"upload\.png: image file is truncated"):
            read_image(upload)
    with pytest.raises(ImageReadError, match=r"^<image>: image file is truncated"):
        read_image(Image.open(path))  # opened by the caller, decoded here


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.full((2, 3), 9, np.uint8), (9, 9, 9)),
        (np.full((2, 3, 3), (1, 2, 3), np.uint8), (1, 2, 3)),
        (np.full((2, 3, 3), 65535, np.uint16), (255, 255, 255)),
        (np.full((2, 3, 3), 0.5, np.float32), (128, 128, 128)),
    ],
)
def test_arrays(array, expected):
    loaded = read_image(array)
    assert loaded.size == (3, 2) and _pixel(loaded) == expected and loaded.name == "<array>"


def test_rgba_array_keeps_alpha():
    array = np.zeros((2, 2, 4), np.uint8)
    array[..., 3] = 128
    assert read_image(array).alpha.getpixel((0, 0)) == 128


@pytest.mark.parametrize(
    "array",
    [np.zeros((2, 2, 2), np.uint8), np.zeros((2, 2), np.complex64), np.full((2, 2), np.nan), np.zeros(5, np.uint8)],
)
def test_bad_arrays(array):
    with pytest.raises(ImageReadError, match="<array>"):
        read_image(array)


# --- output paths and atomic writes ------------------------------------------


def test_check_output_path(tmp_path):
    assert check_output_path(tmp_path / "a.PNG") == tmp_path / "a.PNG"
    with pytest.raises(OutputPathError, match=r"does not exist"):
        check_output_path(tmp_path / "missing" / "a.png")
    with pytest.raises(OutputPathError, match=r"unknown output format '\.pgn'.*did you mean '\.png'"):
        check_output_path(tmp_path / "a.pgn")
    (tmp_path / "d.png").mkdir()
    with pytest.raises(OutputPathError, match="is a folder"):
        check_output_path(tmp_path / "d.png")
    assert list(tmp_path.iterdir()) == [tmp_path / "d.png"]  # the write test left nothing


def test_write_is_atomic_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    path.write_bytes(b"old result")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", fail)
    with pytest.raises(OutputPathError, match="out.png: could not write the image .disk full"):
        write_image(path, Image.new("RGB", (4, 4)))
    assert path.read_bytes() == b"old result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]  # no temp file left


def test_write_interrupted_leaves_no_temp_file(tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_image(tmp_path / "out.png", Image.new("RGB", (4, 4)))
    assert list(tmp_path.iterdir()) == []


def test_jpeg_output_flattens_alpha_with_warning(tmp_path):
    image = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    with pytest.warns(UserWarning, match="JPEG has no alpha; transparent areas flattened onto RGB .255, 255, 255."):
        write_image(tmp_path / "out.jpg", image)
    assert Image.open(tmp_path / "out.jpg").getpixel((4, 4)) == (255, 255, 255)


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_png_and_webp_keep_alpha(tmp_path, suffix):
    image = Image.new("RGBA", (8, 8), (10, 20, 30, 0))
    image.putpixel((0, 0), (10, 20, 30, 255))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_image(tmp_path / f"out{suffix}", image)
    back = Image.open(tmp_path / f"out{suffix}")
    assert back.mode == "RGBA" and back.getchannel("A").getextrema() == (0, 255)


def test_metadata_round_trip(tmp_path):
    path = tmp_path / "out.png"
    write_image(path, Image.new("RGB", (4, 4)), metadata={"stylegram": {"steps_done": 7}})
    assert read_metadata(path) == {"steps_done": 7}
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", (4, 4)).save(plain)
    assert read_metadata(plain) == {}
    with pytest.raises(ImageReadError, match="file not found"):
        read_metadata(tmp_path / "none.png")


def test_non_ascii_paths(tmp_path):
    folder = tmp_path / "ünïcødé 路径"
    folder.mkdir()
    path = write_image(folder / "出力 ☃.png", Image.new("RGB", (4, 4), (5, 6, 7)))
    assert os.path.basename(path) == "出力 ☃.png"
    assert _pixel(read_image(str(path))) == (5, 6, 7)
    assert _pixel(read_image(Path(path))) == (5, 6, 7)


def test_written_file_gets_the_usual_mode_not_the_temporary_files(tmp_path):
    from stylegram.image import write_image

    umask = os.umask(0o022)
    try:
        path = write_image(tmp_path / "new.png", Image.new("RGB", (4, 4)))
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o600)
        write_image(path, Image.new("RGB", (4, 4)))  # replacing keeps the file's own mode
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


def test_writing_never_changes_the_process_umask(tmp_path, monkeypatch):
    """A web server's other threads must never see a changed umask: writing an image
    computes the file mode without touching it (the kernel applies the umask)."""
    from stylegram.image import write_image

    umask = os.umask(0o027)
    try:

        def forbidden(mask: int) -> int:
            raise AssertionError("os.umask called while writing an image")

        monkeypatch.setattr(os, "umask", forbidden)
        path = write_image(tmp_path / "private.png", Image.new("RGB", (4, 4)))
        assert path.stat().st_mode & 0o777 == 0o640
        assert [p.name for p in tmp_path.iterdir()] == ["private.png"]  # no temporary file left
    finally:
        monkeypatch.undo()
        os.umask(umask)


def test_reading_leaves_pillows_process_wide_limit_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("STYLEGRAM_MAX_PIXELS", raising=False)
    path = tmp_path / "small.png"
    Image.new("RGB", (40, 40)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 89_478_485)  # Pillow's default
    read_image(path)
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # a web server's other decoders keep Pillow's guard
