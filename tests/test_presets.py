"""Presets: every shipped file loads; a bad key or value is refused naming the file and the key."""
import pytest

from nst_core import Settings, SettingsError
from nst_core.presets import load_preset, load_presets


def test_the_shipped_presets_load_with_descriptions():
    presets = load_presets()
    assert {"default", "gatys-2015", "johnson-2016", "keras-io", "soft", "strong", "cpu-quick"} <= set(presets)
    assert list(presets)[0] == "default" and presets["default"].settings == Settings()
    assert all(p.description for p in presets.values())


def test_keras_io_preset_is_that_examples_objective():
    s = load_presets()["keras-io"].settings
    assert (s.content_weight, s.style_weight, s.tv_weight, s.tv_power) == (2.5e-8, 1e-6, 1e-6, 1.25)
    assert (s.normalization, s.optimizer, s.learning_rate, s.lr_decay, s.lr_decay_steps) == (
        "keras-io", "sgd", 100.0, 0.96, 100)
    assert s.layer_names == (("block5_conv2",), tuple(f"block{i}_conv1" for i in range(1, 6)))


@pytest.mark.parametrize("text, words", [
    ('colour = "blue"', "preset bad.toml: unknown key 'colour'"),
    ("style_weight = -3", "preset bad.toml: style_weight must be a finite number >= 0"),
    ("iterations = [", "preset bad.toml: cannot read it"),
])
def test_bad_presets_name_the_file_and_the_key(tmp_path, text, words):
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(SettingsError, match=words):
        load_preset(tmp_path / "bad.toml")
