"""Command-line options shared by ask, choose, score and tui, and their translation to engine types.

Flag names here are public interface (documented in the README); keep them stable.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from engine.default_model import default_model_path
from engine.errors import RequestError
from engine.seeds import MAX_SEED, check_seed
from engine.threads import default_thread_count
from engine.types import AdapterSpec, FlashAttention, ModelConfig, SamplingSettings, SystemPrompt


def add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", metavar="PATH|NAME",
                       help="GGUF model: a path, or a name `logitscope models` lists (ollama:NAME[:TAG], "
                            "hf:ORG/REPO/FILE.gguf, lmstudio:..., llamacpp:...; default: embedded "
                            "SmolLM2-135M-Instruct)")
    group.add_argument("--n-ctx", type=int, default=4096, help="context window in tokens (default 4096)")
    group.add_argument("--n-gpu-layers", type=int, default=0,
                       help="layers offloaded to the GPU by llama.cpp; -1 = all (default 0)")
    add_threads_option(group)
    group.add_argument("--flash-attn", choices=[mode.value for mode in FlashAttention],
                       default=FlashAttention.AUTO.value,
                       help="llama.cpp's flash-attention kernel: auto (llama.cpp turns it on "
                            "where every layer's device supports it), on or off (default auto); "
                            "on and off give slightly different numbers, and the provenance "
                            "records which was in effect")
    group.add_argument("--kv-sequences", type=kv_sequence_count, default=4, metavar="N",
                       help="KV caches kept at once, one per adapter set (or system prompt) recently "
                            "used (default 4); "
                            "the KV cache takes N times one context's memory, so 1 for a large "
                            "model that only just fits")
    group.add_argument("--adapter", action="append", default=[], metavar="FILE[:SCALE]",
                       help="GGUF LoRA adapter (a path, or a name in the adapter library) at a "
                            "scale (default 1.0; negative allowed); repeatable")
    add_engine_options(group)


API_KEY_ENV = "LOGITSCOPE_API_KEY"


def add_engine_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--engine URL` and its key: a remote server instead of the local engine (docs/remote.md)."""
    parser.add_argument("--engine", metavar="URL", default=None,
                        help="a remote engine instead of the local one: llama.cpp's server "
                             "(http://HOST:PORT, or llamacpp+http://...), docs/remote.md")
    parser.add_argument("--api-key-env", metavar="NAME", default=API_KEY_ENV,
                        help=f"the environment variable holding the remote engine's API key "
                             f"(default {API_KEY_ENV}); a key is never written to a journal or log")
    parser.add_argument("--remote-full-vocab", action="store_true",
                        help="ask the remote engine for the whole vocabulary at every position "
                             "(exact entropy and rank; large responses)")


def add_threads_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--threads", type=thread_count, default=None, metavar="N",
                        help="CPU threads llama.cpp computes with (default: all the CPUs this "
                             f"process may use, here {default_thread_count()}; the TUI on a CPU model "
                             "decodes tokens with one fewer, leaving its UI a core)")


def whole_number(minimum: int, maximum: int | None, refusal: str) -> Callable[[str], int]:
    """An argparse `type` for a whole number in [minimum, maximum] (no maximum: None); a value
    out of range, or not a number, is refused with `refusal` and the text given."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"{refusal} (got {text!r})")
        return value
    return parse


kv_sequence_count = whole_number(1, 16, "expected a whole number from 1 to 16")
thread_count = whole_number(1, None, "must be a whole number of threads, 1 or more")


def add_system_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("system prompt (default: --no-system)")
    mode = group.add_mutually_exclusive_group()
    mode.add_argument("--system", metavar="TEXT", help="a system message with this text")
    mode.add_argument("--no-system", action="store_true",
                      help="no system message at all (the chat template may inject its own default)")
    mode.add_argument("--empty-system", action="store_true", help='a system message whose content is ""')


def add_sampling_options(parser: argparse.ArgumentParser) -> None:
    defaults = SamplingSettings()
    group = parser.add_argument_group("sampling")
    group.add_argument("--max-tokens", type=int, default=256, help="tokens to generate at most (default 256)")
    group.add_argument("--temperature", type=float, default=defaults.temperature,
                       help=f"0 = greedy (default {defaults.temperature})")
    group.add_argument("--top-p", type=float, default=defaults.top_p, help=f"default {defaults.top_p}")
    group.add_argument("--top-k", type=int, default=defaults.top_k, help=f"0 = off (default {defaults.top_k})")
    group.add_argument("--min-p", type=float, default=defaults.min_p, help=f"default {defaults.min_p}")
    group.add_argument("--repeat-penalty", type=float, default=defaults.repeat_penalty,
                       help=f"1.0 = off (default {defaults.repeat_penalty})")
    group.add_argument("--seed", type=_seed, default=None, metavar="N",
                       help=f"sampler seed, 0 to {MAX_SEED} (default: random, recorded)")


def _seed(text: str) -> int:
    try:
        return check_seed(int(text))
    except (ValueError, RequestError):
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_SEED}") from None


def add_probability_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--top-k-probs", type=int, default=10, metavar="K",
                        help="alternatives reported per position, 0-100 (default 10)")
    parser.add_argument("--json", action="store_true", help="machine-readable JSON Lines output")


def model_config(args: argparse.Namespace) -> ModelConfig:
    """The model options as the engine's ModelConfig; `--model` is a path or a store name
    (`ollama:NAME[:TAG]`, `hf:ORG/REPO/FILE.gguf`, ...: engine/model_stores/, docs/models.md)."""
    from engine.model_stores import resolve_model

    path = resolve_model(args.model) if args.model else str(default_model_path())
    return ModelConfig(
        model_path=path,
        n_ctx=args.n_ctx,
        n_gpu_layers=args.n_gpu_layers,
        n_threads=args.threads,  # None: the engine's default_thread_count()
        adapters=adapter_specs(args.adapter),
        kv_sequences=args.kv_sequences,
        flash_attn=FlashAttention(args.flash_attn),
    )


def api_key(args: argparse.Namespace) -> str | None:
    """The remote engine's API key, from the environment variable `--api-key-env` names."""
    return os.environ.get(getattr(args, "api_key_env", None) or API_KEY_ENV) or None


def open_backend(args: argparse.Namespace, local: Callable[[ModelConfig], Any],
                 config: ModelConfig | None = None) -> Any:
    """The backend a command runs on: RemoteBackend for `--engine URL`, else `local` (the
    command's LocalBackend) on `config` (default: the model options' ModelConfig)."""
    config = config or model_config(args)
    url = getattr(args, "engine", None)
    if url:
        from engine.remote import RemoteBackend

        # An explicit --model beside --engine is a local GGUF of the server's model: its chat
        # template lets an OpenAI-compatible server score forced tokens (engine/remote/openai_scoring.py).
        template_model = config.model_path if getattr(args, "model", None) else None
        return RemoteBackend(url, api_key=api_key(args), adapters=config.adapters,
                             full_vocab=bool(getattr(args, "remote_full_vocab", False)),
                             template_model=template_model)
    return local(config)


def adapter_specs(typed: list[str]) -> tuple[AdapterSpec, ...]:
    """`--adapter NAME|FILE[:SCALE]`, resolved as F3 and `adapter inspect` resolve them."""
    from adapters.library import parse_adapter

    return tuple(parse_adapter(text) for text in typed)


def system_prompt(args: argparse.Namespace) -> SystemPrompt:
    if args.system is not None:
        return SystemPrompt.custom(args.system)
    if args.empty_system:
        return SystemPrompt.empty()
    return SystemPrompt.none()


def sampling(args: argparse.Namespace) -> SamplingSettings:
    return SamplingSettings(
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        min_p=args.min_p,
        repeat_penalty=args.repeat_penalty,
        seed=args.seed,
    )


def top_k_probs(args: argparse.Namespace) -> int:
    if not 0 <= args.top_k_probs <= 100:
        raise SystemExit("logitscope: --top-k-probs must be between 0 and 100")
    return args.top_k_probs
