"""Settings from the TOML config: defaults, keymap, validation errors that name the problem."""

import pytest

from tui.config import ConfigError, load_settings


def test_missing_file_gives_defaults(isolated_dirs):
    settings = load_settings()
    assert settings.keymap == {} and settings.tint == "probability"


def test_keymap_and_ui_are_read_from_logitscope_config(isolated_dirs):
    (isolated_dirs / "config.toml").write_text(
        '[keymap]\ncycle_tint = "ctrl+t"\n[ui]\ntint = "rank"\ntop_k_probs = 5\n')
    settings = load_settings()
    assert settings.key_for("cycle_tint", "f7") == "ctrl+t"
    assert settings.key_for("help", "f1") == "f1"
    assert (settings.tint, settings.top_k_probs) == ("rank", 5)


@pytest.mark.parametrize("text, words", [
    ("[ui]\ntint = 'rainbow'\n", "ui.tint"),
    ("[keymap]\nhelp = 3\n", "[keymap]"),
    ("not toml = = =", "Cannot read"),
])
def test_bad_config_is_reported(isolated_dirs, text, words):
    (isolated_dirs / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_settings()
