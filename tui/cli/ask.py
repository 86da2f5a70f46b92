"""`logitscope ask`: generate an answer, as text or as JSON Lines with per-token distributions."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from engine.chat_template import FALLBACK_FORMAT
from engine.errors import EngineError
from engine.local import LocalBackend
from engine.seeds import random_seed
from engine.types import GenerationRequest, Message

from . import options
from .jsonout import emit, provenance_record, step_record
from .recording import add_session_option, record_failure_if_asked, record_if_asked


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ask", help="ask the model one question",
        description="Generate an answer. With --json, one JSON object per token, then a 'done' record.",
    )
    parser.add_argument("prompt", help="the user message")
    parser.add_argument("--show-prompt", action="store_true",
                        help="print the exact rendered prompt (special tokens included) and exit")
    options.add_model_options(parser)
    options.add_system_options(parser)
    options.add_sampling_options(parser)
    options.add_probability_options(parser)
    add_session_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    system = options.system_prompt(args)
    messages = (Message("user", args.prompt),)
    with options.open_backend(args, LocalBackend) as backend:
        if args.show_prompt:
            rendered = backend.render(system, messages)
            if args.json:
                emit({"rendered_prompt": rendered.text, "prompt_token_ids": list(rendered.token_ids),
                      "template_source": rendered.template_source})
            else:
                sys.stdout.write(rendered.text)
                if not rendered.text.endswith("\n"):
                    sys.stdout.write("\n")
                print(f"[{len(rendered.token_ids)} tokens; template: {rendered.template_source}]",
                      file=sys.stderr)
                if rendered.template_source == "fallback":
                    print(f"[note: {FALLBACK_FORMAT}]", file=sys.stderr)
            return 0
        sampling = options.sampling(args)
        if sampling.seed is None:  # drawn here, so even an answer an error cuts short knows it
            sampling = replace(sampling, seed=random_seed())
        request = GenerationRequest(
            messages=messages,
            system=system,
            sampling=sampling,
            max_tokens=args.max_tokens,
            top_k_probs=options.top_k_probs(args),
        )
        model = backend.start()  # loaded already (render) or now; kept for a failure's record
        stream = backend.generate(request)
        try:
            for step in stream:
                if args.json:
                    emit(step_record(step))
                else:
                    sys.stdout.write(step.text)
                    sys.stdout.flush()
        except KeyboardInterrupt:
            backend.cancel()
            raise
        except EngineError as exc:  # what it said before the error is data: keep it if asked to
            record_failure_if_asked(args, request, stream.steps, model, backend.config.adapters, exc)
            raise
        result = stream.result
        assert result is not None
        if result.provenance.template_source == "fallback":
            print(f"[note: {FALLBACK_FORMAT}]", file=sys.stderr)
        record_if_asked(args, request, result)
        if args.json:
            emit({
                "done": True,
                "text": result.text,
                "finish_reason": result.finish_reason,
                "n_tokens": len(result.steps),
                "tokens_per_s": result.tokens_per_s,
                "prompt_eval_s": result.prompt_eval_s,
                "provenance": provenance_record(result.provenance),
            })
        else:
            sys.stdout.write("\n")
            print(f"[{len(result.steps)} tokens, {result.tokens_per_s:.1f} tok/s, "
                  f"finish: {result.finish_reason}, seed {result.provenance.sampling.seed}]",
                  file=sys.stderr)
    return 0
