"""The picture at the defaults: every style layer counts, the border continues the picture."""
import numpy as np
import pytest

from conftest import SHARED_IMAGES, synthetic_photo, synthetic_swirls
from nst_core import Settings, load_image, stylize
from nst_core.engine.run import make_objective, size_images


def _pairs():
    if (SHARED_IMAGES / "tubingen.jpg").exists():
        return [(load_image(SHARED_IMAGES / "tubingen.jpg"), load_image(SHARED_IMAGES / "the_scream.jpg")),
                (load_image(SHARED_IMAGES / "golden_gate.jpg"), load_image(SHARED_IMAGES / "starry_night.jpg"))]
    return [(synthetic_photo(192, 256), synthetic_swirls(256, 256)),
            (synthetic_photo(256, 192)[:, ::-1].copy(), synthetic_swirls(200, 300)[::-1].copy())]


@pytest.mark.parametrize("pair", [0, 1])
def test_no_style_layer_dominates_at_the_photo(pair):
    """At the photo, the default objective's per-layer style terms are within 100x of each other.
    (The literal Gatys form spreads them over four orders of magnitude: block4_conv1 was 99 % of it,
    so the painting's colours, carried by blocks 1-2, had no say.)"""
    content, style = _pairs()[pair]
    for s, widest in ((Settings(), 100), (Settings(normalization="mean", padding="zero"), None)):
        c, (st,) = size_images(content, [style], 128, s)
        objective = make_objective(s)
        terms = objective.style_layer_terms(c.astype(np.float32), objective.targets(c, st))
        ratio = max(terms.values()) / min(terms.values())
        if widest:
            assert ratio < widest, terms
        else:  # the contrast that makes the test mean something
            assert ratio > 1000, terms


def border_ratio(image: np.ndarray) -> float:
    """The quality benchmark's border figure (mean |Laplacian| in the 4-px frame over the interior's)."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from quality import border_ratio as figure

    return figure(image)


def test_reflect_padding_leaves_no_band_along_the_border():
    """Zero padding is a grey frame to VGG, which the style loss paints over as a busy band along the
    edges; reflection continues the picture, so the border is no busier than the inside."""
    content, style = _pairs()[0]
    s = Settings(max_size=128, iterations=30, multiscale=False)
    ratios = {pad: border_ratio(list(stylize(content, style, s.replace(padding=pad)))[-1].image)
              for pad in ("reflect", "zero")}
    assert ratios["reflect"] <= 1.10 and ratios["reflect"] < ratios["zero"], ratios


def test_the_readme_states_the_defaults():
    """The README's defaults table is Settings' defaults, value for value (the app and CLI read them
    from Settings, so this is what a user gets)."""
    import re

    from conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- defaults -->")[1]
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", section, re.M))
    d = Settings()
    assert {"max_size", "multiscale", "iterations", "content_weight", "style_weight", "tv_weight",
            "normalization", "padding", "layers", "style_layer_weights"} <= set(rows)
    for name, shown in rows.items():
        value = getattr(d, name)
        assert shown == (",".join(map(str, value)) if isinstance(value, tuple) else str(value)), name
