"""`logitscope score`: per-token log-probabilities of a given continuation (teacher forcing)."""

from __future__ import annotations

import argparse

from engine.local import LocalBackend
from engine.types import Message, ScoreRequest

from . import options
from .jsonout import emit, provenance_record, step_record
from .recording import add_session_option, record_if_asked


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score", help="log-probabilities of a given continuation",
        description="Render --prompt as a user message with the chat template (or use it verbatim "
                    "with --raw) and score --continuation as the model's answer, token by token.",
    )
    parser.add_argument("--prompt", required=True, help="the user message (or raw text with --raw)")
    parser.add_argument("--continuation", required=True, help="the answer to score")
    parser.add_argument("--raw", action="store_true", help="use --prompt verbatim, no chat template")
    options.add_model_options(parser)
    options.add_system_options(parser)
    options.add_probability_options(parser)
    add_session_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    request = ScoreRequest(
        messages=(Message("user", args.prompt),),
        continuation=args.continuation,
        system=options.system_prompt(args),
        top_k_probs=options.top_k_probs(args),
        raw_prompt=args.prompt if args.raw else None,
    )
    with options.open_backend(args, LocalBackend) as backend:
        result = backend.score(request)
    record_if_asked(args, request, result)
    if args.json:
        for step in result.steps:
            emit(step_record(step))
        emit({"done": True, "total_logprob": result.total_logprob, "n_tokens": len(result.steps),
              "provenance": provenance_record(result.provenance)})
        return 0
    for step in result.steps:
        best = step.top[0] if step.top else None
        alt = f"  top: {best.text!r} {best.prob:.3f}" if best and best.id != step.id else ""
        print(f"{step.i:4d} {step.text!r:<20} logprob {step.logprob:8.4f}  p {step.prob:.4f}  "
              f"rank {step.rank}{alt}")
    print(f"total logprob {result.total_logprob:.4f} over {len(result.steps)} tokens")
    return 0
