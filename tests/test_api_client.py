"""The launched app through gradio_client, as a script or another service would use it."""
from gradio_client import Client, handle_file
from PIL import Image


def test_stylize_endpoint_streams_previews_and_returns_a_png(app_server, image_pair):
    client = Client(app_server, verbose=False)
    job = client.submit(content=handle_file(str(image_pair[0])), style=handle_file(str(image_pair[1])),
                        iterations=12, max_size=128, api_name="/stylize")
    outputs = list(job)
    previews = [o for o in outputs if o[0]]
    assert len(previews) >= 3
    final = job.outputs()[-1]
    assert "Done" in final[1]
    with Image.open(final[3]) as im:
        assert im.format == "PNG" and im.size == (128, 96)


def test_steer_and_stop_reach_the_running_stylize_in_the_same_session(app_server, image_pair):
    """A script steers its own run through /steer, as the page's sliders do, then stops it."""
    import json

    client = Client(app_server, verbose=False)
    job = client.submit(content=handle_file(str(image_pair[0])), style=handle_file(str(image_pair[1])),
                        iterations=400, max_size=96, multiscale=False, api_name="/stylize")
    steered = None
    for out in job:
        if steered is None and out[0]:  # the first preview: the run is painting
            client.predict(content_weight=0.0, style_weight=2.0, tv_weight=1.0, api_name="/steer")
            steered = True
        elif steered and "steered at iteration" in out[1]:
            client.predict(api_name="/stop")
            steered = False
    final = job.outputs()[-1]
    assert "Stopped" in final[1] and "style 20 → 100" in final[1]
    with Image.open(final[3]) as im:
        recipe = json.loads(im.text["nst-recipe"])
    assert recipe["settings"]["style_weight"] == 20 and recipe["settings"]["steering"][0][2:] == [100.0, 10.0]
    assert recipe["stopped_at"] < 400


def test_uploaded_files_are_removed_from_the_server_after_use(app_server, image_pair, tmp_path):
    import os
    import shutil
    import tempfile
    import uuid
    from pathlib import Path

    photo = tmp_path / f"photo-{uuid.uuid4().hex}.png"
    shutil.copy(image_pair[0], photo)
    client = Client(app_server, verbose=False)
    out = client.predict(handle_file(str(photo)), handle_file(str(image_pair[1])), "default", 0.0, -4.7, 2.0,
                         2, 64, "lbfgs", "gatys", api_name="/stylize")
    assert "Done" in out[1]
    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    assert cache.is_dir() and not list(cache.rglob(photo.name))  # the server's copy of the upload is gone


def result_folders() -> set:
    import os
    import tempfile
    from pathlib import Path

    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    return set((cache / "nst-results").glob("run-*"))


def test_results_are_per_client_and_an_earlier_one_goes_when_the_next_arrives(app_server, image_pair):
    """Two clients with the same inputs and seed get the same bytes in files of their own; a client's
    earlier result is removed from the server once its next one has been delivered, not the other's."""
    args = (handle_file(str(image_pair[0])), handle_file(str(image_pair[1])), "default", 0.0, -4.7, 2.0, 2, 64,
            "lbfgs", "gatys")
    alice, bob = Client(app_server, verbose=False), Client(app_server, verbose=False)
    seen = result_folders()
    first = alice.predict(*args, api_name="/stylize")
    alices_first, seen = result_folders() - seen, result_folders()
    theirs = bob.predict(*args, api_name="/stylize")
    bobs, seen = result_folders() - seen, result_folders()
    alice.predict(*args, api_name="/stylize")
    alices_second = result_folders() - seen
    assert len(alices_first) == len(bobs) == len(alices_second) == 1
    with open(first[3], "rb") as a, open(theirs[3], "rb") as b:
        assert a.read() == b.read()
    assert not any(f.exists() for f in alices_first)
    assert all(f.exists() for f in bobs | alices_second)


def test_a_mask_file_places_the_style_through_the_api(app_server, image_pair, tmp_path):
    """A script passes a greyscale mask as `mask`: the style lands on its white half only, and the
    result's recipe carries the mask."""
    import json

    import numpy as np

    with Image.open(image_pair[0]) as im:
        w, h = im.size
        photo = np.asarray(im.convert("RGB").resize((128, round(128 * h / w)), Image.LANCZOS), float)
    mask = np.zeros((h, w), np.uint8)
    mask[:, : w // 2] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    client = Client(app_server, verbose=False)
    final = client.predict(content=handle_file(str(image_pair[0])), style=handle_file(str(image_pair[1])),
                           iterations=10, max_size=128, multiscale=False, mask=handle_file(str(tmp_path / "mask.png")),
                           api_name="/stylize")
    assert "Done" in final[1]
    with Image.open(final[3]) as im:
        out = np.asarray(im.convert("RGB"), float)
        assert json.loads(im.text["nst-recipe"])["mask"].startswith("data:image/png")
    diff = np.abs(out - photo).mean(axis=2)
    assert diff[:, :50].mean() > 3 * diff[:, 78:].mean() and diff[:, 78:].mean() < 6


def test_stop_video_reaches_the_clip_that_stylize_video_runs_in_the_same_session(app_server, tmp_path):
    """A script's clip is a job under its session's key, as a page's is: /stop_video ends it, and the
    frames done come back as an MP4."""
    import sys

    import numpy as np

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "tools"))
    from clips import write_clip

    from nst_core import load_image

    cat = load_image(ROOT / "examples" / "chelsea.jpg", None)[:72, :96]
    clip = write_clip(tmp_path / "cat.mp4", [np.roll(cat, 2 * t, axis=1) for t in range(48)])
    client = Client(app_server, verbose=False)
    job = client.submit(clip=handle_file(str(clip)), style=handle_file(str(ROOT / "examples" / "the_scream.jpg")),
                        size=128, strength=1.0, smoothing=0.7, refine=10, api_name="/stylize_video")  # seconds a frame
    for out in job:
        if "Frame" in str(out[1]):  # the clip is being stylised
            client.predict(api_name="/stop_video")
            break
    preview, status, video = job.result(timeout=300)
    assert "Stopped" in status and str(video).endswith(".mp4")
    assert int(status.split("— ")[1].split(" frames")[0]) < 48


def test_palette_endpoint_takes_its_parameters_by_name_and_keeps_a_cut_outs_alpha(app_server, image_pair, tmp_path):
    import numpy as np

    with Image.open(image_pair[0]) as im:
        photo = np.asarray(im.convert("RGB").resize((128, 96)))
    alpha = np.full((96, 128), 255, np.uint8)
    alpha[:, :32] = 0  # the left quarter cut away
    Image.fromarray(np.dstack([photo, alpha])).save(tmp_path / "cut.png")
    client = Client(app_server, verbose=False)
    preview, status, png = client.predict(content=handle_file(str(tmp_path / "cut.png")),
                                          style=handle_file(str(image_pair[1])), max_size=64, api_name="/palette")
    assert "Palette only" in status
    with Image.open(png) as im:
        assert im.mode == "RGBA" and im.size == (64, 48)
        a = np.asarray(im)[:, :, 3]  # the cut at x = 16 of 64, softened by the resize over a pixel or two
        assert a[:, :12].max() == 0 and a[:, 20:].min() == 255


def test_subject_mask_endpoint_gives_the_mask_a_run_takes(app_server, tmp_path):
    """As docs/api.md shows it: /subject_mask's file goes to /stylize's mask."""
    import numpy as np

    y, x = np.mgrid[0:96, 0:128]
    disc = (y - 48) ** 2 + (x - 64) ** 2 <= 30 ** 2
    photo = np.where(disc[..., None], (235, 120, 30), (60, 110, 70)).astype(np.uint8)
    photo = np.clip(photo + np.random.default_rng(0).normal(0, 6, photo.shape), 0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    painting = np.where(((x[:64, :64] + y[:64, :64]) // 6 % 2)[..., None] == 1, (30, 60, 160), (240, 200, 40))
    Image.fromarray(painting.astype(np.uint8)).save(tmp_path / "painting.png")
    client = Client(app_server, verbose=False)
    path = client.predict(content=handle_file(str(tmp_path / "photo.png")), part="background",
                          api_name="/subject_mask")
    mask = np.asarray(Image.open(path).convert("L"))
    assert mask.shape == (96, 128) and (mask[disc] < 128).mean() > 0.97 and (mask[~disc] > 127).mean() > 0.97
    final = client.predict(content=handle_file(str(tmp_path / "photo.png")),
                           style=handle_file(str(tmp_path / "painting.png")), mask=handle_file(path), iterations=4,
                           max_size=128, multiscale=False, api_name="/stylize")
    assert "Done" in final[1]
