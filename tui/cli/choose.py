"""`logitscope choose`: the probability of each option as the assistant's answer (teacher forcing).

Designed so a later `--permute` (option-order permutations in the prompt) wraps the same call:
one ChoiceRequest per ordering, results aggregated per option text.
"""

from __future__ import annotations

import argparse

from engine.local import LocalBackend
from engine.types import ChoiceMode, ChoiceRequest, Message

from . import options
from .jsonout import emit, provenance_record
from .recording import add_session_option, record_if_asked


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "choose", help="probability of each option as the answer",
        description="Teacher-force each option's tokens after the rendered chat prompt and report "
                    "its total log-likelihood, its probability normalised over the options, and "
                    "the probability mass the options cover. By default an option is scored as the "
                    "complete answer (its tokens, then the end of the turn).",
    )
    parser.add_argument("prompt", help="the user message")
    parser.add_argument("--option", action="append", required=True, metavar="TEXT",
                        help="an answer to score; repeat for each option")
    parser.add_argument("--mode", choices=[m.value for m in ChoiceMode], default=ChoiceMode.COMPLETE.value,
                        help="complete (default): the option as the whole answer, end of turn "
                             "included; prefix: the answer starts with the option's tokens")
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
        mode=ChoiceMode(args.mode),
    )
    with options.open_backend(args, LocalBackend) as backend:
        result = backend.choose(request)
    record_if_asked(args, request, result)
    if args.json:
        emit({
            "mode": result.mode.value,
            "options": [
                {"text": o.text, "token_ids": list(o.token_ids), "token_texts": list(o.token_texts),
                 "token_logprobs": list(o.token_logprobs), "end_token_ids": list(o.end_token_ids),
                 "end_token_texts": list(o.end_token_texts), "end_token_logprobs": list(o.end_token_logprobs),
                 "text_logprob": o.text_logprob, "complete_logprob": o.complete_logprob,
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
              f"({len(o.token_ids)} tok{' + end' if o.end_token_ids else ''})  {bar}")
    what = "answers" if result.mode is ChoiceMode.COMPLETE else "answer's start"
    print(f"options cover {result.mass:.4%} of the model's probability for the {what} ({result.mode.value} mode)")
    return 0
