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
