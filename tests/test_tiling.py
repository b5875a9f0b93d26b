"""Print sizes by tiles: the grid and its windows, the tiled loss against the untiled one, and a tiled
run's frames, stop, masks, styles and recipes (tiny model; the real VGG19 in test_real_vgg19)."""
import json

import numpy as np
import pytest

from conftest import TINY_LAYERS, synthetic_painting, synthetic_photo, synthetic_swirls
from nst_core import RunControl, Settings, stylize
from nst_core.errors import SettingsError
from nst_core.vgg.objective import Targets, get_objective
from nst_core.tiles.tiled import TileInputs, tiled_objective
from nst_core.tiles.tiling import Windows, should_tile, tile_grid


@pytest.mark.parametrize("shape", [(768, 1024), (3072, 4096), (300, 1000), (200, 200)])
def test_windows_share_every_pixel_exactly_once(shape):
    tiles = tile_grid(shape, 512, 64, 32)
    total = np.zeros(shape)
    for t, w in zip(tiles, Windows(shape, tiles, 512, 64)):
        y0, y1, x0, x1 = t.crop
        total[y0:y1, x0:x1] += w
        sy0, sy1, sx0, sx1 = t.support
        assert sy1 - sy0 <= 512 and sx1 - sx0 <= 512
        assert w[:sy0 - y0].sum() == 0 and w[:, :sx0 - x0].sum() == 0  # the context is seen, never written
    assert np.allclose(total, 1.0, atol=1e-6)  # no pixel counted twice or left out: no seam, no gap


def test_tiles_shrink_to_keep_the_overlap_small():
    # 1024 px in 512 px tiles: three of 384 overlapping by 64, not three of 512 overlapping by 256
    tiles = tile_grid((512, 1024), 512, 64, 32)
    assert [t.support[2:] for t in tiles] == [(0, 384), (320, 704), (640, 1024)]


def test_only_scales_over_the_budget_are_tiled():
    assert not should_tile((384, 512), 512, 3000)
    assert should_tile((1536, 2048), 512, 3000)
    assert not should_tile((1536, 2048), 0, 3000)  # tile_size 0: never
    assert should_tile((192, 256), 128, 0)  # budget 0: every scale larger than a tile


def test_tiles_shrink_to_fit_the_memory_budget_beside_the_picture():
    # A larger picture holds more of its own copies, so its tiles must be smaller for the same budget;
    # an operator's lower budget gets smaller tiles rather than a process over it.
    from nst_core.tiles.sweeps import tile_size_at, tiles_of
    from nst_core.tiles.tiling import picture_mb, tile_mb

    def peak(shape, size):
        return max(tile_mb((t.crop[1] - t.crop[0]) * (t.crop[3] - t.crop[2])) for t in tiles_of(shape, size)) + picture_mb(shape)

    assert tile_size_at((3072, 4096), 768, 0) == 768  # no budget: the tile size asked
    small, large = tile_size_at((1536, 2048), 768, 3000), tile_size_at((4096, 4096), 768, 3000)
    assert large < small < 768
    for shape, size in (((1536, 2048), small), ((4096, 4096), large)):
        assert peak(shape, size) <= 3000 < peak(shape, size + 64)  # the largest that fits, give or take a step
    assert tile_size_at((3072, 4096), 512, 2000) < tile_size_at((3072, 4096), 512, 3000)
    assert tile_size_at((3072, 4096), 512, 100) == 128  # a floor, not 0


def _tiny_objective(extractor):
    return get_objective(extractor, TINY_LAYERS["content_layers"], TINY_LAYERS["style_layers"])


def _tile_loss(extractor, x, content, style_grams, tile_boxes, win_list, share=None):
    """The whole picture's loss from the tiles' sums, evaluated tile by tile as sweeps.py does."""
    from nst_core.vgg.features import tf

    tiled = tiled_objective(_tiny_objective(extractor))
    fns = tiled.fns(1)
    res = []
    for box, w in zip(tile_boxes, win_list):
        y0, y1, x0, x1 = box
        m = np.ones((y1 - y0, x1 - x0, 1), np.float32)
        res.append(fns.stats(tf.constant(x[y0:y1, x0:x1]), tf.constant(content[y0:y1, x0:x1], tf.float32),
                         tf.constant(w), tf.constant(m), tf.constant(np.ones_like(w)), tf.constant(1.0)))
    grams = [sum(r[1][i].numpy() for r in res) for i in range(2)]
    denom = sum(r[2].numpy() for r in res)
    norm = sum(r[3].numpy() for r in res)
    cs = sum(r[4].numpy() for r in res)
    tv_n, tvs = sum(float(r[5]) for r in res), sum(float(r[6]) for r in res)
    # evaluate the loss at the first tile, the others as rest
    y0, y1, x0, x1 = tile_boxes[0]
    r0 = res[0]
    rest = tuple(tf.constant(g - r0[1][i].numpy()) for i, g in enumerate(grams))
    m = np.ones((y1 - y0, x1 - x0, 1), np.float32)
    r = fns.step(TileInputs(
        pixels=tf.constant(x[y0:y1, x0:x1]), window=tf.constant(win_list[0]), masks=tf.constant(m),
        content_weights=tf.constant(np.ones_like(win_list[0])), content=r0[0],
        rest_grams=rest, denom=tf.constant(denom), style=style_grams, rest_content=tf.constant(cs - r0[4].numpy()),
        norm=tf.constant(norm), rest_tv=tf.constant(tvs - float(r0[6])), tv_norm=tf.constant(tv_n),
        share=tf.constant(np.ones(1, np.float32)), weights=tf.constant([1.0, 1.0, 1.0]),
        layer_weights=tf.constant([0.5, 0.5]), tv_power=tf.constant(1.0)))
    return float(r.total), r.parts.numpy(), r.grad.numpy()


def test_one_tile_is_exactly_the_untiled_loss_and_gradient(tiny_extractor):
    objective = _tiny_objective(tiny_extractor)
    content, style = synthetic_photo(96, 128), synthetic_painting(96, 96)
    x = np.random.default_rng(0).uniform(0, 255, content.shape).astype(np.float32)
    grams = objective.style_targets(style)
    targets = Targets(objective.content_targets(content), grams)
    total, parts, grad = objective(x, targets, (1.0, 1.0, 1.0), (0.5, 0.5), 1.0)
    t_total, t_parts, t_grad = _tile_loss(tiny_extractor, x, content, grams, [(0, 96, 0, 128)],
                                          [np.ones((96, 128), np.float32)])
    assert t_total == pytest.approx(total, rel=1e-4)
    assert t_parts == pytest.approx([parts["content"], parts["style"], parts["tv"]], rel=1e-4)
    assert np.allclose(t_grad, grad, rtol=1e-3, atol=1e-3 * np.abs(grad).max())


def test_tiles_add_up_to_the_whole_pictures_loss(tiny_extractor):
    # the tiles' Gram, content and TV sums make the untiled loss (to the few edge positions that see
    # the crop's padding instead of the neighbours' pixels)
    objective = _tiny_objective(tiny_extractor)
    content, style = synthetic_photo(192, 256), synthetic_painting(96, 96)
    x = np.random.default_rng(1).uniform(0, 255, content.shape).astype(np.float32)
    grams = objective.style_targets(style)
    total, parts, _ = objective(x, Targets(objective.content_targets(content), grams), (1.0, 1.0, 1.0), (0.5, 0.5), 1.0)
    tiles = tile_grid(content.shape[:2], 128, 32, 16)
    assert len(tiles) == 6
    t_total, t_parts, _ = _tile_loss(tiny_extractor, x, content, grams, [t.crop for t in tiles],
                                     Windows(content.shape[:2], tiles, 128, 32))
    assert t_total == pytest.approx(total, rel=0.01)
    assert t_parts == pytest.approx([parts["content"], parts["style"], parts["tv"]], rel=0.02)


def tiled(**kw):
    base = dict(iterations=6, max_size=256, preview_every=2, style_weight=1.0, tile_size=128, tile_sweeps=2,
                tile_mode="sweeps", memory_budget_mb=0, multiscale=False, **TINY_LAYERS)
    return Settings(**{**base, **kw})


def run(settings, extractor, **kw):
    return list(stylize(synthetic_photo(192, 256), synthetic_swirls(128, 128), settings, extractor=extractor, **kw))


def test_a_tiled_run_paints_the_whole_picture_tile_by_tile(tiny_extractor):
    frames = run(tiled(), tiny_extractor)
    last = frames[-1]
    assert last.final and last.image.shape == (192, 256, 3)
    tiles = {f.tile[0] for f in frames if f.tile}
    assert tiles == set(range(1, 7))  # every tile of the 2 x 3 grid painted, each marked in its frames
    assert all(f.tile[1] == 6 and f.tile[3] == 2 for f in frames if f.tile)
    assert last.total == 6 * 6  # the count and the ETA cover every tile's iterations
    assert last.iteration == last.total
    assert frames[0].eta_s > 0
    start = synthetic_photo(192, 256).astype(float)
    assert np.abs(last.image - start).mean() > 2  # painted everywhere, not one tile only
    for (y0, y1, x0, x1) in [(0, 96, 0, 128), (96, 192, 128, 256)]:
        assert np.abs(last.image[y0:y1, x0:x1] - start[y0:y1, x0:x1]).mean() > 2


def test_tiling_lowers_the_loss_like_the_untiled_run(tiny_extractor):
    untiled = run(tiled(tile_size=0, iterations=12), tiny_extractor)[-1]
    tiled_run = run(tiled(iterations=12, tile_sweeps=3), tiny_extractor)[-1]
    start = run(tiled(tile_size=0, iterations=1), tiny_extractor)[-1]
    assert tiled_run.losses["total"] < 0.6 * start.losses["total"]
    assert tiled_run.losses["total"] < 1.5 * untiled.losses["total"]


def test_stop_keeps_the_picture_painted_so_far(tiny_extractor):
    control = RunControl()
    frames = []
    for f in stylize(synthetic_photo(192, 256), synthetic_swirls(128, 128), tiled(iterations=40, preview_every=1),
                     extractor=tiny_extractor, control=control):
        frames.append(f)
        if f.tile and f.tile[0] == 3:
            control.stop()
    last = frames[-1]
    assert last.final and last.stopped and last.image.shape == (192, 256, 3)
    assert last.iteration < last.total
    # tiles 1 and 2 were painted and kept; the stopped tile's best so far is in too
    assert np.abs(last.image[:96, :96].astype(float) - synthetic_photo(192, 256)[:96, :96]).mean() > 2


def test_masks_two_styles_and_colours_work_tiled(tiny_extractor):
    mask = np.zeros((192, 256), np.uint8)
    mask[:, 128:] = 255  # style on the right half only
    frames = list(stylize(synthetic_photo(192, 256), synthetic_swirls(128, 128), tiled(), extractor=tiny_extractor,
                          mask=mask))
    out, photo = frames[-1].image.astype(float), synthetic_photo(192, 256).astype(float)
    assert np.abs(out[:, 160:] - photo[:, 160:]).mean() > 2 * np.abs(out[:, :96] - photo[:, :96]).mean()
    two = list(stylize(synthetic_photo(192, 256), [synthetic_swirls(128, 128), synthetic_painting(96, 96)],
                       tiled(style_blend=(0.5, 0.5), preserve_colors="luminance"), extractor=tiny_extractor))
    assert two[-1].final and two[-1].image.shape == (192, 256, 3)


@pytest.mark.parametrize("history", [False, True])
def test_a_tiled_recipe_replays_byte_for_byte(tiny_extractor, history):
    from nst_core.recipe import read_recipe, recipe_json

    s = tiled(init="noise", seed=7, tile_history=history)
    first = run(s, tiny_extractor)[-1].image
    again = run(read_recipe(json.loads(recipe_json(s))), tiny_extractor)[-1].image
    assert np.array_equal(first, again)


def test_an_old_recipe_runs_untiled_as_it_was_made():
    from nst_core.recipe import read_recipe

    old = {"format": "nst-recipe/1", "settings": {**Settings().to_dict(), "max_size": 1024}}
    del old["settings"]["tile_size"]
    assert read_recipe(old).tile_size == 0


def test_tiling_settings_are_checked():
    with pytest.raises(SettingsError, match="tile_size"):
        Settings(tile_size=64)
    with pytest.raises(SettingsError, match="NST_MAX_MEMORY_MB"):
        Settings(memory_budget_mb=10**6)


def test_a_painting_as_large_as_the_print_gets_its_grams_by_tiles(tiny_extractor):
    # at a tiled scale the painting is as large as the picture: its Grams are summed over tiles too
    from nst_core.engine.run import GramsByTiles

    objective = _tiny_objective(tiny_extractor)
    painting = synthetic_swirls(192, 256)
    whole = objective.style_targets(painting)
    by_tiles = GramsByTiles(objective, tiled().tile_size).style_targets(painting)
    for a, b in zip(whole, by_tiles):
        assert np.linalg.norm(a.numpy() - b.numpy()) < 0.02 * np.linalg.norm(a.numpy())


@pytest.fixture
def pairs_seen(monkeypatch):
    """How many pairs each KeptLBFGS a run makes starts with, in order."""
    from nst_core.tiles import kept_lbfgs

    seen = []

    class Recording(kept_lbfgs.KeptLBFGS):
        def __init__(self, x0, pairs=None, history=10):
            seen.append(len(pairs or []))
            super().__init__(x0, pairs, history)

    monkeypatch.setattr(kept_lbfgs, "KeptLBFGS", Recording)
    return seen


def test_a_tile_visited_again_can_keep_its_lbfgs_history(tiny_extractor, pairs_seen):
    # three visits a tile: the first starts afresh, the later ones with the pairs the previous left
    seen = pairs_seen
    run(tiled(iterations=9, tile_sweeps=3), tiny_extractor)
    assert seen == []  # off by default: each visit starts afresh (scipy's L-BFGS-B)
    run(tiled(iterations=9, tile_sweeps=3, tile_history=True), tiny_extractor)
    assert len(seen) == 6 * 3
    assert seen[:6] == [0] * 6 and min(seen[6:]) > 0
    seen.clear()
    # one visit: scipy's L-BFGS-B, nothing to carry
    run(tiled(iterations=9, tile_sweeps=1, tile_history=True), tiny_extractor)
    assert seen == []


def test_steered_weights_drop_every_tiles_kept_history(tiny_extractor, pairs_seen):
    # pairs measured under the old weights would bend the new loss's steps: after a steer, each tile
    # starts its next visit afresh
    seen = pairs_seen
    ctl = RunControl()
    s = tiled(iterations=9, tile_sweeps=3, tile_history=True)
    for f in stylize(synthetic_photo(192, 256), synthetic_swirls(128, 128), s, extractor=tiny_extractor, control=ctl):
        if f.iteration == 20:  # sweep 2 (backwards), on tile 6's second visit
            ctl.steer(style_weight=5.0)
    assert seen[6] > 0 and seen[7] == 0  # tile 6 had its pairs, then restarted afresh at the steer
    assert seen[8:13] == [0] * 5  # the other tiles' pairs were of the old weights
    assert len(seen) == 6 * 3 + 1 and max(seen[13:]) > 0  # the third sweep has the new weights' pairs


# --- joint: one optimiser over the whole picture, loss and gradient summed over the tiles ---------------

def test_a_joint_tiled_run_gives_the_untiled_picture(tiny_extractor):
    # the tiny model sees a few px around a position, well inside the tiles' context: the summed
    # gradient is the untiled one, so L-BFGS takes the same path
    untiled = run(tiled(tile_size=0, iterations=12), tiny_extractor)[-1]
    sweeps = run(tiled(iterations=12, tile_sweeps=3), tiny_extractor)[-1]
    frames = run(tiled(iterations=12, tile_mode="joint"), tiny_extractor)
    joint = frames[-1]
    assert joint.total == 12 and joint.iteration == 12  # iterations of the whole picture, as untiled
    assert all(f.image.shape == (192, 256, 3) for f in frames)
    assert joint.losses["total"] == pytest.approx(untiled.losses["total"], rel=0.01)
    diff = np.abs(joint.image.astype(float) - untiled.image).mean()
    assert diff < 1.0 < np.abs(sweeps.image.astype(float) - untiled.image).mean()


def test_auto_takes_joint_where_the_whole_pictures_optimiser_fits_the_budget():
    from nst_core.engine.schedule import plan

    def finest(size, budget):
        return plan((3 * size // 4, size), Settings(max_size=size, memory_budget_mb=budget))[-1]

    assert finest(1024, 3000).tiles and finest(1024, 3000).joint  # ~0.5 GB of L-BFGS-B state fits
    assert finest(2048, 3000).tiles and not finest(2048, 3000).joint  # ~2 GB would not: sweeps
    assert finest(2048, 0).joint  # no budget
    assert not plan((768, 1024), Settings(max_size=1024, tile_mode="sweeps"))[-1].joint


def test_stop_during_a_joint_iteration_keeps_the_best_picture(tiny_extractor):
    control = RunControl()
    frames = []
    for f in stylize(synthetic_photo(192, 256), synthetic_swirls(128, 128),
                     tiled(iterations=40, preview_every=1, tile_mode="joint"), extractor=tiny_extractor,
                     control=control):
        frames.append(f)
        if f.iteration == 3:
            control.stop()
    last = frames[-1]
    assert last.final and last.stopped and 3 <= last.iteration < last.total
    assert np.abs(last.image.astype(float) - synthetic_photo(192, 256)).mean() > 2


def test_masks_and_two_styles_work_joint(tiny_extractor):
    mask = np.zeros((192, 256), np.uint8)
    mask[:, 128:] = 255
    frames = list(stylize(synthetic_photo(192, 256), synthetic_swirls(128, 128), tiled(tile_mode="joint"),
                          extractor=tiny_extractor, mask=mask))
    out, photo = frames[-1].image.astype(float), synthetic_photo(192, 256).astype(float)
    assert np.abs(out[:, 160:] - photo[:, 160:]).mean() > 2 * np.abs(out[:, :96] - photo[:, :96]).mean()
    untiled = list(stylize(synthetic_photo(192, 256), synthetic_swirls(128, 128), tiled(tile_size=0),
                           extractor=tiny_extractor, mask=mask))[-1].image
    assert np.abs(out - untiled).mean() < 1.0
    # two paintings blended, the photo's colours kept: the untiled picture again
    styles = [synthetic_swirls(128, 128), synthetic_painting(96, 96)]
    both = dict(style_blend=(0.5, 0.5), preserve_colors="luminance")
    two = [list(stylize(synthetic_photo(192, 256), styles, tiled(tile_mode=mode, tile_size=size, **both),
                        extractor=tiny_extractor))[-1].image.astype(float) for mode, size in (("joint", 128), ("joint", 0))]
    assert np.abs(two[0] - two[1]).mean() < 1.0 and np.abs(two[0] - synthetic_photo(192, 256)).mean() > 2


def test_a_joint_recipe_replays_byte_for_byte_and_old_tiled_recipes_keep_sweeps(tiny_extractor):
    from nst_core.recipe import read_recipe, recipe_json

    s = tiled(init="noise", seed=7, tile_mode="auto")
    first = run(s, tiny_extractor)[-1].image
    again = run(read_recipe(json.loads(recipe_json(s))), tiny_extractor)[-1].image
    assert np.array_equal(first, again)
    old = {"format": "nst-recipe/1", "settings": Settings(max_size=1024).to_dict()}
    del old["settings"]["tile_mode"]
    assert read_recipe(old).tile_mode == "sweeps"  # as such a recipe's run tiled


def test_bf16_activations_let_the_3_gb_budget_hold_a_1024_px_picture_whole_and_larger_print_tiles():
    """direct-bf16 holds the activations and their gradients in half the bytes (measured peaks at
    1024x768 untiled: 2272 MiB against Winograd float32's 3549): the memory model counts that, and a
    plan that does not know the path yet assumes float32's, the larger."""
    from nst_core.engine.schedule import plan

    photo = (768, 1024)
    s = Settings(max_size=1024)
    assert [sc.tiles for sc in plan(photo, s, "winograd")][-1] > 0
    assert [sc.tiles for sc in plan(photo, s, "direct-bf16")][-1] == 0
    assert plan(photo, s) == plan(photo, s, "winograd")
    big = Settings(max_size=4096, enlarge=True, tile_size=640)
    fp32, bf16 = plan(photo, big, "direct")[-1], plan(photo, big, "direct-bf16")[-1]
    assert bf16.tile_size > fp32.tile_size and bf16.tiles < fp32.tiles
