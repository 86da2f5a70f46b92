"""Small GGUF files written with gguf-py's GGUFWriter, and fake stores laid out as each tool does."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import gguf
import numpy as np

TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"


def write_model(path: Path, arch: str = "llama", name: str = "Tiny", file_type: int = 3,
                context_length: int = 2048, template: str | None = TEMPLATE, split: tuple[int, int] | None = None,
                extra: dict[str, str] | None = None) -> Path:
    """A few-KB GGUF model: metadata plus one tiny tensor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(name)
    writer.add_file_type(file_type)
    writer.add_context_length(context_length)
    if template is not None:
        writer.add_chat_template(template)
    writer.add_token_list(["<s>", "a", "b"])  # an array: the reader must skip it
    if split is not None:
        writer.add_uint16("split.no", split[0] - 1)
        writer.add_uint16("split.count", split[1])
    for key, value in (extra or {}).items():
        writer.add_string(key, value)
    writer.add_tensor("token_embd.weight", np.zeros((3, 4), dtype=np.float32))
    _finish(writer)
    return path


def write_adapter(path: Path, arch: str = "llama", alpha: float = 16.0, base: str | None = "Tiny Base",
                  organization: str | None = "Org", logitscope_sha: str | None = None) -> Path:
    """A GGUF LoRA adapter as llama.cpp's convert_lora_to_gguf.py writes one (general.type adapter,
    adapter.type lora, adapter.lora.alpha, general.base_model.0.*), optionally with logitscope's keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_name(path.stem)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    if base is not None:
        writer.add_base_model_count(1)
        writer.add_base_model_name(0, base)
        if organization:
            writer.add_base_model_organization(0, organization)
        writer.add_base_model_repo_url(0, "https://huggingface.co/org/tiny-base")
    if logitscope_sha is not None:
        writer.add_string("logitscope.base_sha256", logitscope_sha)
        writer.add_string("logitscope.base_name", "base.gguf")
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((4, 2), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight.lora_b", np.zeros((2, 4), dtype=np.float32))
    _finish(writer)
    return path


def write_projector(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_type("mmproj")
    writer.add_tensor("v.patch_embd.weight", np.zeros((2, 2), dtype=np.float32))
    _finish(writer)
    return path


def _finish(writer: gguf.GGUFWriter) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def hf_repo(cache: Path, repo: str, files: dict[str, Path], revision: str = "a" * 40, main: bool = True,
            link: bool = False) -> Path:
    """`models--ORG--REPO` with each file as a blob and a snapshot symlink, refs/main if `main`."""
    folder = cache / ("models--" + repo.replace("/", "--"))
    snapshot = folder / "snapshots" / revision
    for relative, source in files.items():
        blob = folder / "blobs" / hashlib.sha256(source.read_bytes()).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        if not blob.exists():
            place(source, blob, link)
        link = snapshot / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    if main:
        (folder / "refs").mkdir(parents=True, exist_ok=True)
        (folder / "refs" / "main").write_text(revision)
    return folder


def blob(root: Path, source: Path, link: bool = False) -> str:
    """Put `source` in Ollama's blobs/ as sha256-HEX (a hard link when `link`); the digest."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    target = root / "blobs" / f"sha256-{digest}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        place(source, target, link)
    return f"sha256:{digest}"


def place(source: Path, target: Path, link: bool = True) -> None:
    """`target` as a hard link to `source` where the filesystem allows one, else a copy."""
    if link:
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copyfile(source, target)


def ollama_model(root: Path, model: str, tag: str, gguf_file: Path | None, adapters: tuple[Path, ...] = (),
                 host: str = "registry.ollama.ai", namespace: str = "library", link: bool = False,
                 digest: str | None = None) -> Path:
    """A manifest at manifests/HOST/NAMESPACE/MODEL/TAG as `ollama pull` / `ollama create` writes it."""
    config = {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:" + "0" * 64,
              "size": 2}
    layers = []
    if gguf_file is not None or digest is not None:
        layers.append({"mediaType": "application/vnd.ollama.image.model",
                       "digest": digest or blob(root, gguf_file, link), "size": 1})
    layers.append({"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "1" * 64, "size": 3})
    for adapter in adapters:
        layers.append({"mediaType": "application/vnd.ollama.image.adapter", "digest": blob(root, adapter), "size": 1})
    manifest = root / "manifests" / host / namespace / model / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"schemaVersion": 2,
                                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                                    "config": config, "layers": layers}))
    return manifest
