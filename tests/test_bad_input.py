"""The bad-input matrix: every kind of file a public Space meets, through the library, the CLI and
the app's API. Each ends in correct handling or one clear message, and the server keeps serving."""
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from nst_core import ImageError, load_image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def declared_png(width: int, height: int) -> bytes:
    """A tiny PNG file that declares a huge greyscale image (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + _chunk(b"IEND", b""))


def make_bad(kind: str, folder):
    path = folder / {"truncated": "cut.jpg", "headonly": "head.jpg", "bomb": "bomb.png",
                     "big": "big.png"}.get(kind, f"{kind}.jpg")
    if kind == "text":
        path.write_text("GIF89a? no, just text")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300, 3), dtype=np.uint8)).save(path)
        path.write_bytes(path.read_bytes()[:4000])
    elif kind == "headonly":  # a JPEG cut inside its header: PIL fails while opening, not decoding
        Image.new("RGB", (64, 64)).save(path)
        path.write_bytes(path.read_bytes()[:30])
    elif kind == "tiny":
        Image.new("RGB", (1, 1), (9, 9, 9)).save(path, format="PNG")
    elif kind == "sliver":
        Image.new("RGB", (8000, 20), (9, 9, 9)).save(path, format="PNG")
    elif kind == "bomb":
        path.write_bytes(declared_png(30000, 30000))
    elif kind == "big":
        path.write_bytes(declared_png(9000, 9000))
    return path


BAD = {  # kind -> words the one-line message must hold
    "text": "is not an image", "empty": "empty file", "truncated": "damaged", "headonly": "damaged",
    "tiny": "at least 32 px", "sliver": "at least 32 px",
    "bomb": "too many pixels", "big": "megapixels; the limit",
}


def load_and_fit(path):
    """What a run does first: decode with limits, then size for VGG19."""
    from nst_core import Settings
    from nst_core.engine.run import size_images

    return size_images(load_image(path), [load_image(path)], 256, Settings())


@pytest.mark.parametrize("kind", list(BAD))
def test_library_refuses_with_one_clear_message(kind, tmp_path):
    bad = make_bad(kind, tmp_path)
    with pytest.raises(ImageError, match=BAD[kind]) as info:
        load_and_fit(bad)
    message = str(info.value)
    # one line, in plain words, said once: what is wrong and what to do
    assert "\n" not in message and message.count(bad.name) <= 1 and message.count("(") <= 1
    assert not any(word in message for word in ("PIL", "VGG", "TensorFlow", "NST_", "decode", "bytes not processed"))
    assert any(word in message for word in ("use ", "choose ", "save ")), message


@pytest.mark.parametrize("kind", ["text", "truncated", "headonly", "bomb", "sliver"])
def test_cli_exits_2_with_one_line(kind, tmp_path):
    bad = make_bad(kind, tmp_path)
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 64), (200, 100, 50)).save(good)
    r = subprocess.run([sys.executable, "-m", "nst_core", bad, good, "-o", tmp_path / "o.png", "--iterations", "1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and BAD[kind] in r.stderr and r.stderr.count("\n") == 1


def _save(mode_maker, path):
    mode_maker().save(path)
    return path


@pytest.mark.parametrize("name, make, check", [
    ("16bit.png", lambda: Image.fromarray(np.tile(np.linspace(0, 65535, 64, dtype=np.uint16), (48, 1))),
     lambda a: a[..., 0].max() >= 250 and a[..., 0].min() <= 5),
    ("cmyk.jpg", lambda: Image.new("CMYK", (64, 48), (0, 255, 255, 0)), lambda a: a[..., 0].mean() > 200 > a[..., 1].mean()),
    ("grey.png", lambda: Image.new("L", (64, 48), 77), lambda a: (a == 77).all()),
    ("palette.png", lambda: Image.new("RGB", (64, 48), (10, 200, 30)).convert("P", palette=Image.ADAPTIVE),
     lambda a: abs(int(a[0, 0, 1]) - 200) < 8),
    ("rgba.png", lambda: Image.new("RGBA", (64, 48), (0, 0, 0, 0)), lambda a: (a == 255).all()),
])
def test_unusual_but_valid_files_decode_to_rgb(tmp_path, name, make, check):
    a = load_image(_save(make, tmp_path / name))
    assert a.dtype == np.uint8 and a.shape == (48, 64, 3) and check(a)


def test_animated_gif_gives_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (40, 40), c) for c in ((250, 0, 0), (0, 0, 250))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    a = load_image(tmp_path / "a.gif")
    assert a[..., 0].mean() > 200 and a[..., 2].mean() < 50


def test_app_api_answers_bad_files_clearly_and_keeps_serving(app_server, image_pair, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(app_server, verbose=False)
    for kind in ("text", "empty", "truncated", "headonly", "tiny", "bomb"):
        bad = make_bad(kind, tmp_path)
        with pytest.raises(Exception, match=BAD[kind]):
            client.predict(handle_file(str(bad)), handle_file(str(image_pair[1])), "default", 0.0, -4.7, 2.0,
                           2, 64, "lbfgs", "gatys", api_name="/stylize")
    out = client.predict(handle_file(str(image_pair[0])), handle_file(str(image_pair[1])), "default", 0.0, -4.7,
                         2.0, 2, 64, "lbfgs", "gatys", api_name="/stylize")
    assert "Done" in out[1]  # still serving


def test_api_weights_out_of_range_are_refused(app_server, image_pair):
    from gradio_client import Client, handle_file

    client = Client(app_server, verbose=False)
    with pytest.raises(Exception, match="greater than maximum value"):  # Gradio checks slider ranges
        client.predict(handle_file(str(image_pair[0])), handle_file(str(image_pair[1])), "default", 0.0, -4.7,
                       2.0, 10**9, 64, "lbfgs", "gatys", api_name="/stylize")


@pytest.mark.parametrize("kind", ["text", "empty", "truncated", "headonly", "bomb"])
def test_file_bytes_are_checked_like_files(kind, tmp_path):
    """The app keeps uploads as bytes once their files are removed: same checks, same messages."""
    with pytest.raises(ImageError, match=BAD[kind]):
        load_image(make_bad(kind, tmp_path).read_bytes())
