"""Settings: one source of defaults, and bad values refused with a message that says what to do."""
import math

import pytest

from nst_core import Settings, SettingsError


@pytest.mark.parametrize("changes, words", [
    ({"style_weight": -1}, "style_weight must be a finite number >= 0, got -1"),
    ({"content_weight": math.nan}, "content_weight must be a finite number"),
    ({"tv_weight": math.inf}, "tv_weight must be a finite number"),
    ({"iterations": 0}, "iterations must be a whole number from 1"),
    ({"iterations": 10**7}, "raise it with NST_MAX_ITERATIONS"),
    ({"max_size": 10**6}, "raise it with NST_MAX_SIZE"),
    ({"max_size": 8}, "max_size must be a whole number from 32"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of lbfgs, adam, sgd"),
    ({"layers": "picasso"}, "layers must be one of gatys, keras-io, johnson"),
    ({"conv": "fft"}, "conv must be one of auto, winograd, direct"),
    ({"style_layers": ("block9_conv1",)}, "unknown VGG19 layer 'block9_conv1'"),
    ({"style_layer_weights": (1.0, 2.0)}, "style_layer_weights needs 5 finite numbers"),
    ({"content_weight": 0, "style_weight": 0, "tv_weight": 0}, "all 0"),
])
def test_bad_values_are_refused_with_a_clear_message(changes, words):
    with pytest.raises(SettingsError, match=".*".join(map(__import__("re").escape, [words]))):
        Settings(**changes)


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NST_MAX_SIZE", "4096")
    assert Settings(max_size=3000).max_size == 3000
    monkeypatch.setenv("NST_MAX_SIZE", "256")
    with pytest.raises(SettingsError, match="from 32 to 256"):
        Settings(max_size=384)


def test_layer_presets_and_custom_layers():
    gatys_style = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
    assert Settings().layer_names == (("block4_conv2",), gatys_style)  # Gatys et al.'s conv4_2
    assert Settings(layers="keras-io").layer_names == (("block5_conv2",), gatys_style)
    j = Settings(layers="johnson")
    assert j.layer_names[0] == ("block2_conv2",) and j.layer_names[1][-1] == "block5_conv3"
    custom = Settings(style_layers=("block1_conv1", "block3_conv1"), style_layer_weights=(3.0, 1.0))
    assert custom.normalized_style_layer_weights == (0.75, 0.25)


def test_the_shallow_style_layers_weigh_more_by_default_and_the_published_forms_stay_equal():
    """The default's colours come from blocks 1-2 weighing 4 and 2 against 1 for the deeper layers;
    the literal Gatys and keras.io forms keep their equal weights, and given weights win."""
    assert Settings().normalized_style_layer_weights == tuple(w / 9 for w in (4, 2, 1, 1, 1))
    assert Settings(normalization="mean").normalized_style_layer_weights == (0.2,) * 5
    assert Settings(normalization="keras-io").normalized_style_layer_weights == (0.2,) * 5
    # custom layers in any order: the weight goes by depth, not by position in the list
    shuffled = Settings(style_layers=("block3_conv1", "block1_conv1", "block5_conv1"))
    assert shuffled.normalized_style_layer_weights == (2 / 7, 4 / 7, 1 / 7)
    assert Settings(style_layer_weights=(1, 1, 1, 1, 1)).normalized_style_layer_weights == (0.2,) * 5


def test_replace_validates_and_rejects_unknown_names():
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        Settings().replace(colour=1)
    with pytest.raises(SettingsError):
        Settings().replace(iterations=-5)
    assert Settings().replace(iterations=7).iterations == 7


def test_a_recipe_from_before_padding_existed_still_gives_its_own_picture():
    """Such a recipe ran zero padding and, under the layer preset "gatys", content at block5_conv2."""
    from nst_core.recipe import make_recipe, read_recipe

    old = make_recipe(Settings())
    old["settings"] = {k: v for k, v in old["settings"].items() if k != "padding"}
    old["settings"].update(normalization="mean", layers="gatys", content_layers=[])
    s = read_recipe(old)
    assert (s.padding, s.normalization, s.layer_names[0]) == ("zero", "mean", ("block5_conv2",))
    assert read_recipe(make_recipe(Settings())) == Settings()  # today's recipes are read as written


def test_a_recipe_keeps_the_style_layer_weights_its_run_used():
    """The default layer weights changed on 2026-12-02 (equal -> 4:2:1:1:1): a recipe written before
    still replays with equal weights, one written since with the weights it records."""
    from nst_core.recipe import make_recipe, read_recipe

    old = make_recipe(Settings())
    del old["style_layer_weights_used"]  # what a recipe of before 2026-12-02 looks like
    assert read_recipe(old).normalized_style_layer_weights == (0.2,) * 5
    assert read_recipe(make_recipe(Settings())) == Settings()  # today's rule: read as written
    made_under_another_rule = {**make_recipe(Settings()), "style_layer_weights_used": [0.5, 0.5, 0, 0, 0]}
    assert read_recipe(made_under_another_rule).normalized_style_layer_weights == (0.5, 0.5, 0, 0, 0)
    mean = make_recipe(Settings(normalization="mean"))
    del mean["style_layer_weights_used"]
    assert read_recipe(mean) == Settings(normalization="mean")  # equal then and now: nothing pinned
    damaged = {**make_recipe(Settings()), "style_layer_weights_used": [0, 0, 0, 0, 0]}
    with pytest.raises(SettingsError, match="^recipe: style_layer_weights needs 5"):
        read_recipe(damaged)  # one plain line, not a ZeroDivisionError
