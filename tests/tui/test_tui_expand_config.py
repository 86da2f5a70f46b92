"""The [explore] table's expand keys: expand_top and expand_depth, defaults and validation."""

from __future__ import annotations

import pytest

from tui.config import ConfigError, load_settings, parse_expand


def test_expand_defaults_and_values(isolated_dirs):
    settings = load_settings()
    assert (settings.expand_top, settings.expand_depth) == (3, 8)
    assert parse_expand({}) == (3, 8)
    (isolated_dirs / "config.toml").write_text("[explore]\nexpand_top = 5\nexpand_depth = 20\nprob_below = 0.1\n")
    settings = load_settings()
    assert (settings.expand_top, settings.expand_depth, settings.explore.prob_below) == (5, 20, 0.1)


@pytest.mark.parametrize("text, words", [
    ("[explore]\nexpand_top = 0\n", "explore.expand_top must be an integer from 1 to 20, not 0"),
    ("[explore]\nexpand_top = 2.5\n", "explore.expand_top must be an integer from 1 to 20, not 2.5"),
    ("[explore]\nexpand_top = true\n", "explore.expand_top must be an integer from 1 to 20, not True"),
    ("[explore]\nexpand_depth = 1000\n", "explore.expand_depth must be an integer from 1 to 256, not 1000"),
    ("[explore]\nexpand_depth = '8'\n", "explore.expand_depth must be an integer from 1 to 256"),
    ("[explore]\nexpand_width = 3\n", "unknown key 'expand_width'"),
])
def test_bad_expand_keys_are_refused_naming_the_key(isolated_dirs, text, words):
    (isolated_dirs / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_settings()
