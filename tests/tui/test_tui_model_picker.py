"""The model panel (F5) also lists other tools' models (HF cache, Ollama, LM Studio, llama.cpp's
cache, the config's [models] folders), scanned on a worker thread; picking one loads its file."""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

import pytest
from pilot_helpers import settle

sys.path.insert(0, str(Path(__file__).parents[1] / "model_stores"))  # the GGUF writers and fake stores
from store_fixtures import hf_repo, ollama_model, write_adapter, write_model  # noqa: E402

import engine.model_stores.ollama as ollama_store  # noqa: E402
from tui.config import ConfigError, Settings, load_settings  # noqa: E402


@pytest.fixture
def stores(tmp_path, monkeypatch):
    """Fake stores only: HOME and every store variable point under tmp_path."""
    for name in ("HF_HOME", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "ollama"))
    monkeypatch.setenv("LLAMA_CACHE", str(tmp_path / "llamacpp"))
    monkeypatch.setattr(ollama_store, "LINUX_SERVICE_MODELS", tmp_path / "service")
    return tmp_path


def fill(root: Path) -> dict[str, Path]:
    model = write_model(root / "files" / "m.gguf", context_length=4096)
    wide = write_model(root / "files" / "w.gguf", arch="qwen2", file_type=15, context_length=32768, template=None)
    adapter = write_adapter(root / "files" / "a.gguf")
    ollama_model(root / "ollama", "llama3.2", "1b", model, adapters=(adapter,))
    hf_repo(root / "hf", "org/wide-GGUF", {"wide-Q4_K_M.gguf": wide})
    broken = root / "mine" / "broken.gguf"
    broken.parent.mkdir()
    broken.write_text("not gguf")
    return {"model": model, "wide": wide, "broken": broken}


def rows(app) -> list[tuple[str, str | None, bool]]:
    """(text, id, can be picked) of each line of the model list."""
    return [(str(o.prompt), o.id, not o.disabled) for o in app.screen.query_one("#model-list").options]


async def open_panel(pilot) -> None:
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)


async def test_other_tools_models_are_grouped_by_store_with_their_header_facts(make_app, stores):
    fill(stores)
    app = make_app(settings=Settings(model_folders=(str(stores / "mine"),)))
    async with app.run_test(size=(100, 40)) as pilot:
        await open_panel(pilot)
        texts = [text for text, _, _ in rows(app)]
        groups = [t for t in texts if t in ("Hugging Face cache", "Ollama", "Your folders ([models] folders)")]
        assert groups == ["Hugging Face cache", "Ollama", "Your folders ([models] folders)"]
        assert texts.index("Current") < texts.index("Hugging Face cache")  # the known models come first
        by_id = {option_id: (text, pickable) for text, option_id, pickable in rows(app)}
        size = (stores / "files" / "w.gguf").stat().st_size
        assert by_id["store:hf:org/wide-GGUF/wide-Q4_K_M.gguf"] == (
            f"org/wide-GGUF/wide-Q4_K_M.gguf\n{size} B · qwen2 · Q4_K_M · ctx 32768 · no template", True)
        assert by_id["store:ollama:llama3.2:1b"][0].split("\n")[0] == "llama3.2:1b"
        assert by_id["store:ollama:llama3.2:1b"][0].endswith(" · llama · Q4_1 · ctx 4096 · template")
        assert not any("@adapter" in (i or "") for i in by_id)  # adapters are not offered as models
        broken_text, pickable = by_id[f"store:{stores / 'mine' / 'broken.gguf'}"]
        assert broken_text.endswith("cannot be used: not a GGUF file (no GGUF magic)") and not pickable


async def test_picking_another_tools_model_loads_its_file(make_app, backend, stores):
    fill(stores)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_panel(pilot)
        options = app.screen.query_one("#model-list")
        options.focus()
        options.highlighted = next(n for n, o in enumerate(options.options) if o.id == "store:ollama:llama3.2:1b")
        await pilot.press("enter")
        await settle(pilot)
        loaded = backend.loaded[-1].model_path
        assert loaded.startswith(str(stores / "ollama" / "blobs" / "sha256-"))
        assert Path(loaded).read_bytes() == (stores / "files" / "m.gguf").read_bytes()
        assert "store:ollama:llama3.2:1b" in [option_id for _, option_id, _ in rows(app)]  # still listed


async def test_the_stores_are_scanned_off_the_ui_thread(make_app, stores, monkeypatch):
    import tui.widgets.panels.model as model_panel

    fill(stores)
    on_main: list[bool] = []
    real = model_panel.discover_models

    def spying(*args, **kwargs):
        on_main.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(model_panel, "discover_models", spying)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_panel(pilot)
        assert "store:hf:org/wide-GGUF/wide-Q4_K_M.gguf" in [option_id for _, option_id, _ in rows(app)]
    assert on_main == [False]


async def test_while_scanning_a_line_says_so_and_empty_stores_show_nothing(make_app, stores, monkeypatch):
    import tui.widgets.panels.model as model_panel

    release = threading.Event()
    real = model_panel.discover_models

    def slow(*args, **kwargs):
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(model_panel, "discover_models", slow)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert any(text.startswith("Looking in the HF cache, Ollama") for text, _, _ in rows(app))
        release.set()
        await settle(pilot)
        texts = [text for text, _, _ in rows(app)]
        assert not any(text.startswith("Looking in") for text in texts)
        assert not any(option_id and option_id.startswith("store:") for _, option_id, _ in rows(app))


def test_config_models_folders(isolated_dirs):
    config = isolated_dirs / "config.toml"
    config.write_text('[models]\nfolders = ["~/models", "/srv/gguf"]\n')
    assert load_settings().model_folders == ("~/models", "/srv/gguf")
    config.write_text("[ui]\ntint = \"rank\"\n")
    assert load_settings().model_folders == ()
    for text, words in (('[models]\nfolders = "~/models"\n', "models.folders must be a list of folder paths"),
                        ('[models]\nfolders = [1]\n', "models.folders must be a list of folder paths"),
                        ('[models]\nfolder = ["x"]\n', "[models] has an unknown key 'folder' (folders)"),
                        ('models = 3\n', "[models] must be a table")):
        config.write_text(text)
        with pytest.raises(ConfigError, match=re.escape(words)):
            load_settings()


async def test_the_config_folders_reach_the_picker(make_app, stores, isolated_dirs):
    mine = write_model(stores / "mine" / "deep" / "x.gguf")
    (isolated_dirs / "config.toml").write_text(f'[models]\nfolders = ["{stores / "mine"}"]\n')
    app = make_app(settings=load_settings())
    async with app.run_test(size=(100, 40)) as pilot:
        await open_panel(pilot)
        assert f"store:{mine}" in [option_id for _, option_id, _ in rows(app)]


async def test_a_store_name_typed_in_loads_its_file_and_an_unknown_one_says_what_is_close(make_app, backend,
                                                                                          stores):
    fill(stores)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_panel(pilot)
        app.screen.query_one("#model-path").focus()
        await pilot.press(*"ollama:llama3.2:1b", "enter")
        await settle(pilot)
        assert backend.loaded[-1].model_path.startswith(str(stores / "ollama" / "blobs" / "sha256-"))
        loads = len(backend.loaded)
        field = app.screen.query_one("#model-path")
        field.value = ""
        await pilot.press(*"ollama:llama3.1:1b", "enter")
        await settle(pilot)
        assert len(backend.loaded) == loads  # nothing loaded
        said = [n.message for n in app._notifications]
        assert any(m.startswith("No Ollama model named 'ollama:llama3.1:1b'. Close matches: ollama:llama3.2:1b")
                   for m in said), said
