"""What a listed file says about itself, from its GGUF header: kind, architecture, quantisation,
context, template, name, an adapter's base; split models once; unreadable files listed with an error."""

from __future__ import annotations

from store_fixtures import write_adapter, write_model, write_projector

from engine.model_stores import discover_models
from engine.model_stores.file_types import quantization_name
from engine.model_stores.found import StoreEntry, describe


def test_llama_cpp_file_type_numbers_become_quantisation_names():
    assert [quantization_name(n) for n in (0, 1, 2, 3, 7, 15, 18, 30, 32)] == [
        "F32", "F16", "Q4_0", "Q4_1", "Q8_0", "Q4_K_M", "Q6_K", "IQ4_XS", "BF16"]
    assert quantization_name(999) == "type 999"
    assert quantization_name(None) is None and quantization_name("3") is None


def test_a_model_header_gives_every_listed_fact(tmp_path):
    path = write_model(tmp_path / "m.gguf", arch="qwen2", name="Tiny Qwen", file_type=7, context_length=32768)
    found = describe(StoreEntry("folder", str(path), str(path)))
    assert found is not None
    assert (found.kind, found.architecture, found.quantization, found.file_type, found.context_length,
            found.chat_template, found.model_name, found.error) == (
        "model", "qwen2", "Q8_0", 7, 32768, True, "Tiny Qwen", None)
    assert found.size == path.stat().st_size and found.lora_alpha is None and found.base_name is None


def test_no_template_reads_as_absent(tmp_path):
    path = write_model(tmp_path / "m.gguf", template=None)
    assert describe(StoreEntry("folder", str(path), str(path))).chat_template is False


def test_an_adapter_says_the_base_it_fits(tmp_path):
    converted = write_adapter(tmp_path / "a.gguf", alpha=32.0)  # as convert_lora_to_gguf.py writes it
    found = describe(StoreEntry("folder", str(converted), str(converted)))
    assert (found.kind, found.architecture, found.lora_alpha, found.base_name, found.base_organization,
            found.base_repo_url, found.quantization) == (
        "adapter", "llama", 32.0, "Tiny Base", "Org", "https://huggingface.co/org/tiny-base", None)
    ours = write_adapter(tmp_path / "b.gguf", base=None, logitscope_sha="ab" * 32)  # as adapters/convert.py does
    found = describe(StoreEntry("folder", str(ours), str(ours)))
    assert (found.base_name, found.base_sha256) == ("base.gguf", "ab" * 32)


def test_files_that_are_not_gguf_are_listed_with_an_error(stores):
    folder = stores.files
    folder.mkdir()
    (folder / "text.gguf").write_text("not a model at all")
    (folder / "empty.gguf").write_bytes(b"")
    truncated = write_model(folder / "cut.gguf")
    truncated.write_bytes(truncated.read_bytes()[:60])
    found = {m.name.rsplit("/", 1)[-1]: m for m in discover_models(["folder"], [str(folder)])}
    assert set(found) == {"text.gguf", "empty.gguf", "cut.gguf"}
    assert "not a GGUF file" in found["text.gguf"].error
    assert "not a GGUF file" in found["empty.gguf"].error
    assert "unreadable GGUF header" in found["cut.gguf"].error


def test_projectors_are_not_listed_and_kind_filters(stores):
    folder = stores.files
    write_model(folder / "model.gguf")
    write_adapter(folder / "lora.gguf")
    write_projector(folder / "mmproj-model-f16.gguf")
    assert [m.kind for m in discover_models(["folder"], [str(folder)])] == ["adapter", "model"]
    assert [m.name for m in discover_models(["folder"], [str(folder)], kind="adapter")] == [str(folder / "lora.gguf")]


def test_a_split_model_is_one_entry_its_first_part_with_every_part_counted(stores):
    folder = stores.files
    parts = [write_model(folder / f"big-{n:05d}-of-00003.gguf", split=(n, 3)) for n in (1, 2, 3)]
    write_model(folder / "half-00002-of-00002.gguf", split=(2, 2))
    found = discover_models(["folder"], [str(folder)])
    big = next(m for m in found if "big" in m.name)
    assert (big.path, big.parts, big.size, big.error) == (
        str(parts[0]), 3, sum(p.stat().st_size for p in parts), None)
    half = next(m for m in found if "half" in m.name)
    assert half.error == "part 1 of 2 missing"
    assert len(found) == 2
