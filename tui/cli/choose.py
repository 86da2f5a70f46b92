"""`logitscope choose`: the probability of each option as the assistant's answer (teacher forcing).

Designed so a later `--permute` (option-order permutations in the prompt) wraps the same call:
one ChoiceRequest per ordering, results aggregated per option text.
"""

from __future__ import annotations

import argparse

from engine.local import LocalBackend
from engine.types import ChoiceRequest, Message

from . import options
from .jsonout import emit, provenance_record
from .recording import add_session_option, record_if_asked


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "choose", help="probability of each option as the answer",
        description="Teacher-force each option's tokens after the rendered chat prompt and report "
                    "its total log-likelihood, its probability normalised over the options, and "
                    "the probability mass the options cover.",
    )
    parser.add_argument("prompt", help="the user message")
    parser.add_argument("--option", action="append", required=True, metavar="TEXT",
                        help="an answer to score; repeat for each option")
    options.add_model_options(parser)
    options.add_system_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object with every number")
    add_session_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    request = ChoiceRequest(
        messages=(Message("user", args.prompt),),
        options=tuple(args.option),
        system=options.system_prompt(args),
    )
    with LocalBackend(options.model_config(args)) as backend:
        result = backend.choose(request)
    record_if_asked(args, request, result)
    if args.json:
        emit({
            "options": [
                {"text": o.text, "token_ids": list(o.token_ids), "token_logprobs": list(o.token_logprobs),
                 "logprob": o.logprob, "raw_prob": o.raw_prob, "prob": o.prob}
                for o in result.options
            ],
            "mass": result.mass,
            "prompt_token_ids": list(result.provenance.prompt_token_ids),
            "provenance": provenance_record(result.provenance),
        })
        return 0
    width = max(len(o.text) for o in result.options)
    for o in result.options:
        bar = "#" * round(o.prob * 40)
        print(f"{o.text:<{width}}  P={o.prob:7.4f}  logL={o.logprob:9.4f}  "
              f"({len(o.token_ids)} tok)  {bar}")
    print(f"options cover {result.mass:.4%} of the model's probability for the answer's start")
    return 0
