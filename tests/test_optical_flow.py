"""Optical flow, warping, occlusion and the temporal blend, checked against motion made with a known answer."""
import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from clips import moving_patch, pan_zoom  # noqa: E402

from nst_core import load_image  # noqa: E402
from nst_core.video.flow import TemporalSmoother, blend, dis_flow, gray, occlusion_mask, warp  # noqa: E402


@pytest.fixture(scope="module")
def photo():
    return load_image(ROOT / "examples" / "coffee.jpg")


def test_dis_finds_a_known_pan_and_zoom(photo):
    frames, flows, masks = pan_zoom(photo, (96, 128), 8)
    found = dis_flow(gray(frames[4]), gray(frames[3]))
    error = np.linalg.norm(found - flows[4], axis=-1)[masks[4]]
    assert np.abs(flows[4]).max() > 1.5  # the frames do move
    assert np.median(error) < 0.3  # and DIS says by how much, to a fraction of a pixel


def test_warping_the_previous_frame_by_the_true_flow_gives_this_frame(photo):
    frames, flows, masks = pan_zoom(photo, (96, 128), 8)
    warped = warp(frames[3], flows[4])
    diff = np.abs(warped - frames[4].astype(np.float32))[masks[4]]
    unwarped = np.abs(frames[3].astype(np.float32) - frames[4])[masks[4]]
    assert diff.mean() < 0.25 * unwarped.mean()


def test_the_occlusion_mask_drops_what_the_moving_photo_uncovers(photo):
    cat = load_image(ROOT / "examples" / "chelsea.jpg")
    frames, flows, masks = moving_patch(photo, cat, (96, 128), 6, velocity=(4.0, 0.0))
    a, b = gray(frames[3]), gray(frames[2])
    kept = occlusion_mask(dis_flow(a, b), dis_flow(b, a)) > 0
    uncovered = ~masks[3]  # behind the cat's trailing edge, the rim and the frame's edge
    assert uncovered.sum() > 100
    assert kept[masks[3]].mean() > 0.8  # most of what is seen twice is kept ...
    assert kept[uncovered].mean() < 0.5  # ... most of what was hidden is not


def test_blend_keeps_the_fresh_frame_where_the_mask_is_off():
    current, prev = np.full((20, 20, 3), 200.0, np.float32), np.zeros((20, 20, 3), np.float32)
    mask = np.zeros((20, 20), np.float32)
    mask[:, :10] = 1
    out = blend(current, prev, mask, 0.7)
    assert np.allclose(out[:, 16:], 200)  # newly seen: this frame's picture alone
    assert np.allclose(out[:, :4], 0.3 * 200, atol=1)  # seen before: 70 % of the previous result


def test_a_still_clip_stays_still_even_when_the_model_flickers():
    rng = np.random.default_rng(0)
    frame = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    smoother = TemporalSmoother(0.7)
    outs = [smoother.smooth(frame, np.clip(128 + rng.normal(0, 30, frame.shape), 0, 255).astype(np.uint8))
            for _ in range(12)]
    raw = np.mean([np.abs(rng.normal(0, 30, frame.shape) - rng.normal(0, 30, frame.shape)).mean()])
    steps = np.mean([np.abs(a.astype(float) - b)[8:-8, 8:-8].mean() for a, b in zip(outs[6:], outs[7:])])
    assert steps < 0.5 * raw
