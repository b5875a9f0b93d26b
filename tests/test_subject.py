"""The subject mask (nst_core/imaging/subject.py): GrabCut seeded by faces, strokes or the middle of
the photo, against hand-drawn references (tests/data/README.md) and pictures with a known subject."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_core.errors import ImageError
from nst_core.imaging.subject import (HINT_SUBJECT, NO_HINT, Box, edits_as_hints, fit_box, iou, parse_box,
                                      subject_mask)

ROOT = Path(__file__).resolve().parents[1]


def photo(name: str) -> np.ndarray:
    with Image.open(ROOT / "examples" / f"{name}.jpg") as im:
        return np.asarray(im.convert("RGB"))


def reference(name: str) -> np.ndarray:
    with Image.open(ROOT / "tests" / "data" / f"subject_{name}.png") as im:
        return np.asarray(im.convert("L"))


def textured(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A busy green and blue background: leaves, not a flat wall."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / 9.0
    g = 110 + 40 * np.sin(x + np.sin(y)) + rng.normal(0, 10, (h, w))
    b = 90 + 40 * np.cos(y - x / 2) + rng.normal(0, 10, (h, w))
    return np.clip(np.stack([0.4 * g, g, b], -1), 0, 255).astype(np.uint8)


def disc(h: int, w: int, cy: float, cx: float, r: float) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return (y - cy) ** 2 + (x - cx) ** 2 <= r * r


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper", "coffee"])
def test_the_subject_of_a_shipped_photo_matches_the_hand_drawn_outline(name):
    """Two portraits (seeded by the face found) and a cup with no face (the middle of the photo)."""
    mask = subject_mask(photo(name))
    assert mask.shape == reference(name).shape and set(np.unique(mask)) <= {0, 255}
    assert iou(mask, reference(name)) >= 0.85


def test_a_clear_subject_is_cut_along_its_own_edge_at_full_size():
    """An orange disc on leaves, 900 px wide: the cut is made at the working size, then its edge is
    fitted to the photo's; a blocky or blurred upsampling would lose the outline's pixels."""
    h, w = 600, 900
    subject = disc(h, w, 300, 450, 190)
    rgb = textured(h, w)
    rgb[subject] = (235, 120, 30)
    mask = subject_mask(rgb)
    assert iou(mask, subject.astype(np.uint8) * 255) >= 0.98
    edge = disc(h, w, 300, 450, 194) & ~disc(h, w, 300, 450, 186)  # 4 px either side of the outline
    assert ((mask > 127) == subject)[edge].mean() >= 0.85


def test_a_stroke_picks_which_of_two_things_is_the_subject():
    h, w = 300, 480
    left, right = disc(h, w, 150, 130, 70), disc(h, w, 150, 350, 70)
    rgb = textured(h, w, seed=1)
    rgb[left], rgb[right] = (220, 60, 60), (240, 220, 60)
    both = subject_mask(rgb)  # no hint: what the middle holds, both things
    assert (both[left] > 127).mean() > 0.9 and (both[right] > 127).mean() > 0.9
    hints = np.full((h, w), NO_HINT, np.uint8)
    hints[140:160, 320:380] = HINT_SUBJECT  # a stroke across the yellow one
    one = subject_mask(rgb, hints=hints)
    assert (one[right] > 127).mean() > 0.95 and (one[left] > 127).mean() < 0.05


def test_a_correction_adds_what_was_missed_and_drops_what_was_taken():
    h, w = 300, 480
    left, right = disc(h, w, 150, 130, 70), disc(h, w, 150, 350, 70)
    rgb = textured(h, w, seed=2)
    rgb[left], rgb[right] = (220, 60, 60), (240, 220, 60)
    before = (left * 255).astype(np.uint8)  # an earlier mask: the red one only
    after = before.copy()
    after[disc(h, w, 150, 350, 30)] = 255  # painted into the yellow one
    after[disc(h, w, 150, 130, 25)] = 0  # and erased the red one's middle
    hints = edits_as_hints(before, after)
    mask = subject_mask(rgb, hints=hints, prior=before)
    assert (mask[right] > 127).mean() > 0.9  # the stroke grew to the whole yellow disc
    assert (mask[disc(h, w, 150, 130, 20)] > 127).mean() < 0.05  # the erased part stays out


def test_the_same_photo_gives_the_same_mask():
    rgb = photo("coffee")
    assert np.array_equal(subject_mask(rgb), subject_mask(rgb))


def test_a_photo_that_is_not_colour_is_one_plain_message():
    with pytest.raises(ImageError, match="colour photo"):
        subject_mask(np.zeros((50, 50), np.uint8))
    with pytest.raises(ImageError, match="hints are 10x10 but the photo is 50x50"):
        subject_mask(np.zeros((50, 50, 3), np.uint8), hints=np.zeros((10, 10), np.uint8))


def test_a_box_given_as_text_is_read_in_the_photo_s_pixels_and_a_bad_one_is_one_plain_message():
    assert parse_box("30,20,100,60", (240, 320)) == Box(30, 20, 100, 60)
    assert parse_box(" 0, 0, 320, 240 ", (240, 320)) == Box(0, 0, 320, 240)  # the whole photo
    assert parse_box("", (240, 320)) is None and parse_box(None, (240, 320)) is None and parse_box("  ", (9, 9)) is None
    for bad, said in (("30,20,100", "four whole numbers"), ("a,b,c,d", "four whole numbers"),
                      ("1.5,2,30,40", "four whole numbers"), ("nan,0,10,10", "four whole numbers"),
                      ("300,20,100,60", "not a box of at least 8 px a side inside the 320x240 photo"),
                      ("-1,0,50,50", "inside the 320x240"), ("10,10,4,50", "at least 8 px")):
        with pytest.raises(ImageError, match=said) as e:
            parse_box(bad, (240, 320))
        assert "\n" not in str(e.value) and len(str(e.value)) < 160


def test_a_box_on_a_resized_photo_covers_the_same_part_of_it():
    assert fit_box(Box(100, 50, 200, 100), (400, 800), (200, 400)) == Box(50, 25, 100, 50)
    # odd sizes: rounded outwards, never past the edge, never empty
    assert fit_box(Box(1, 1, 7, 7), (9, 9), (4, 4)) == Box(0, 0, 4, 4)
    assert fit_box(Box(0, 0, 8, 8), (1000, 1000), (10, 10)) == Box(0, 0, 1, 1)


def test_a_box_picks_one_of_two_things_the_middle_holds():
    """Two discs in the middle of the photo: without a hint both are the subject; a box around one
    makes that one the subject and nothing outside the box."""
    h, w = 240, 400
    rgb = textured(h, w)
    left, right = disc(h, w, 120, 120, 55), disc(h, w, 120, 280, 55)
    rgb[left], rgb[right] = (220, 60, 60), (240, 220, 60)
    both = subject_mask(rgb)
    assert (both[left] > 127).mean() > 0.97 and (both[right] > 127).mean() > 0.97
    mask = subject_mask(rgb, box=Box(205, 45, 150, 150))
    assert (mask[right] > 127).mean() > 0.97 and (mask[left] > 127).mean() < 0.01
    outside = np.ones((h, w), bool)
    outside[45:195, 205:355] = False
    assert (mask[outside] > 127).mean() < 0.002
