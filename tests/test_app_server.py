"""The launched app through gradio_client, as a script or another service would use it."""
from gradio_client import Client, handle_file
from PIL import Image


def test_stylize_endpoint_streams_previews_and_returns_a_png(app_server, image_pair):
    client = Client(app_server, verbose=False)
    job = client.submit(handle_file(str(image_pair[0])), handle_file(str(image_pair[1])),
                        "default", 0.0, -4.7, 2.0, 12, 128, "lbfgs", "gatys", api_name="/stylize")
    outputs = list(job)
    previews = [o for o in outputs if o[0]]
    assert len(previews) >= 3
    final = job.outputs()[-1]
    assert "Done" in final[1]
    with Image.open(final[3]) as im:
        assert im.format == "PNG" and im.size == (128, 96)


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
