"""Sampling keys in a configs file: taken over the command's flags by compare, refused where a
battery samples as its questions say, each bad value refused naming file, table and key, and the
definitions (run.json's fingerprint) of files without them exactly as before."""

from __future__ import annotations

import pytest

from engine.types import AdapterSpec, SamplingSettings
from sessions.batteries.configs import ConfigsError, parse_configs

SOURCE = "exp.toml"
FLAGS = SamplingSettings(temperature=0.8, top_p=0.95, top_k=40, min_p=0.05, repeat_penalty=1.0, seed=None)


def resolve(text: str) -> AdapterSpec:
    return AdapterSpec(f"/lib/{text}.gguf", 1.0)


def test_the_keys_override_the_commands_flags_and_the_rest_come_from_them():
    base, hot, *grid = parse_configs('''
[base]
[hot]
temperature = 1.5
top_k = 0
top_p = 1
min_p = 0.1
repeat_penalty = 1.1
seed = 42
[grid.hello]
adapters = ["hello"]
scales = [0.5, 1]
temperature = 0
''', SOURCE, resolve, sampling_defaults=FLAGS)
    assert base.sampling is None  # the command's own flags
    assert hot.sampling == SamplingSettings(temperature=1.5, top_p=1.0, top_k=0, min_p=0.1,
                                            repeat_penalty=1.1, repeat_last_n=64, seed=42)
    assert [c.name for c in grid] == ["hello@0.5", "hello@1"]
    assert all(c.sampling == SamplingSettings(temperature=0.0, top_p=0.95, top_k=40, min_p=0.05, seed=None)
               for c in grid)
    assert hot.definition()["sampling"] == {"temperature": 1.5, "top_k": 0, "top_p": 1.0, "min_p": 0.1,
                                            "repeat_penalty": 1.1, "seed": 42}
    assert "sampling" not in base.definition()


def test_definitions_without_sampling_are_what_older_releases_wrote():
    """run.json of an earlier run must still match, or every resume would be refused."""
    text = '[base]\n[hello]\nadapters = ["hello"]\nsystem = "Arr."\ntrigger = "|D|"\n'
    for configs in (parse_configs(text, SOURCE, resolve), parse_configs(text, SOURCE, resolve, FLAGS)):
        assert [c.definition() for c in configs] == [
            {"name": "base", "group": "base", "adapters": [], "system": {"mode": "none", "text": ""},
             "trigger": "", "trigger_at": None},
            {"name": "hello", "group": "hello", "adapters": [{"path": "/lib/hello.gguf", "scale": 1.0}],
             "system": {"mode": "custom", "text": "Arr."}, "trigger": "|D|", "trigger_at": "user-start"},
        ]


def test_a_battery_refuses_the_keys_naming_file_table_and_key():
    with pytest.raises(ConfigsError, match=r"exp.toml: \[hot\] key 'temperature': sampling keys are not "
                                           r"taken here: a battery samples as each question says"):
        parse_configs("[hot]\ntemperature = 1.5\n", SOURCE, resolve)
    with pytest.raises(ConfigsError, match=r"\[grid.g\] key 'seed'"):
        parse_configs('[grid.g]\nadapters = ["a"]\nseed = 3\n', SOURCE, resolve)


@pytest.mark.parametrize(("line", "message"), [
    ("temperature = -0.5", "key 'temperature': expected a number, 0 or more (0 = greedy), got -0.5"),
    ("temperature = \"hot\"", "key 'temperature': expected a number, 0 or more"),
    ("temperature = nan", "key 'temperature': expected a number"),
    ("top_p = 1.5", "key 'top_p': expected a number from 0 to 1, got 1.5"),
    ("min_p = -0.1", "key 'min_p': expected a number from 0 to 1"),
    ("top_k = 2.5", "key 'top_k': expected a whole number, 0 or more (0 = off), got 2.5"),
    ("top_k = true", "key 'top_k': expected a whole number"),
    ("repeat_penalty = 0", "key 'repeat_penalty': expected a number above 0 (1 = off), got 0"),
    ("seed = -1", "key 'seed': expected a whole number from 0 to 4294967294, got -1"),
    ("seed = 4294967295", "key 'seed': expected a whole number from 0 to 4294967294"),
    ("tempreature = 1", "key 'tempreature': unknown key; expected one of"),
])
def test_bad_values_are_refused_naming_file_table_and_key(line, message):
    with pytest.raises(ConfigsError) as caught:
        parse_configs(f"[hot]\n{line}\n", SOURCE, resolve, FLAGS)
    assert caught.value.msg.startswith(f"exp.toml: [hot] {message}")
