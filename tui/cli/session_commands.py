"""`logitscope session ...`: list, show, rerun, rescore, compare, export and delete sessions.

A thin layer over the `sessions` package: parse arguments, call it, print text or JSON. Every
handler returns 0; a refusal or failure is an EngineError (SessionError is one) left to the CLI's
one handler in `tui/cli/main.py`, which prints its title, message and llama.cpp's details.
Only `rerun` and `rescore` start a model; everything else is replay.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from engine.errors import EngineError
from engine.types import AdapterSpec, SystemPrompt
from sessions import Session, SessionError, SessionOrigin, SessionStore
from sessions.comparison_text import answer_line, comparison_approximate, lane_header, pair_line
from sessions.distribution_marks import BOUND, COMPARE_LEGEND, LEGEND, any_approximate
from sessions.export import FORMATS, one_of, remote_line, write_export
from sessions.partial import FAILED, failed

from .compare_output import comparison_json
from .jsonout import print_json, to_jsonable
from .options import adapter_specs, add_threads_option


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `session` command group to the CLI."""
    group = subparsers.add_parser("session", help="list, replay, re-run, compare and export sessions")
    sub = group.add_subparsers(dest="session_command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="list saved sessions, newest first")
    p.add_argument("--search", metavar="TEXT", help="only sessions whose name or turns contain TEXT")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print a session (no model needed)")
    p.add_argument("session", metavar="FILE-or-ID")
    p.add_argument("--json", action="store_true", help="every turn with token steps and provenance")
    p.set_defaults(func=cmd_show)

    for name, func, text in (("rerun", cmd_rerun, "ask every turn again under another configuration"),
                             ("rescore", cmd_rescore, "teacher-force the saved answers under "
                                                      "another configuration")):
        p = sub.add_parser(name, help=text)
        p.add_argument("session", metavar="ID")
        _add_config_options(p)
        p.add_argument("--name", help="name of the new session (default: derived from the original)")
        p.add_argument("--json", action="store_true", help="print JSON")
        if name == "rescore":
            p.add_argument("--no-save", action="store_true", help="report only; save no session")
        p.set_defaults(func=func)

    p = sub.add_parser("compare", help="per-token KL/JS divergence between two sessions or turns")
    p.add_argument("a", metavar="A", help="session (or SESSION@TURN: turn number or id)")
    p.add_argument("b", metavar="B", help="session (or SESSION@TURN)")
    p.add_argument("--json", action="store_true", help="print JSON, every position")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("export", help="write a session as "
                       + one_of([f.label for f in FORMATS.values()]))
    p.add_argument("session", metavar="ID")
    p.add_argument("--format", required=True, choices=tuple(FORMATS))
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("delete", help="delete a session file")
    p.add_argument("session", metavar="ID")
    p.set_defaults(func=cmd_delete)


def _add_config_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", help="model to use (default: each turn's own)")
    p.add_argument("--adapter", action="append", metavar="FILE[:SCALE]", default=None,
                   help="LoRA adapter at a scale (repeatable; replaces the recorded adapters)")
    p.add_argument("--no-adapters", action="store_true", help="run without any adapter")
    system = p.add_mutually_exclusive_group()
    system.add_argument("--system", metavar="TEXT", help="custom system prompt")
    system.add_argument("--no-system", action="store_true", help="no system message at all")
    system.add_argument("--empty-system", action="store_true", help="an empty system message")
    p.add_argument("--n-ctx", type=int, default=None, help="context size (default: as recorded)")
    add_threads_option(p)


# ----- helpers ---------------------------------------------------------------------------------

def _warn(session: Session) -> None:
    for problem in session.problems:
        print(f"warning: {session.path} {problem}", file=sys.stderr)


def _open(store: SessionStore, ref: str) -> Session:
    session = store.open(ref)
    _warn(session)
    return session


def _run_config(args: argparse.Namespace):  # -> RunConfig
    from sessions.rerun import RunConfig

    adapters: tuple[AdapterSpec, ...] | None = None
    if args.no_adapters:
        adapters = ()
    elif args.adapter:
        adapters = adapter_specs(args.adapter)
    system = None
    if args.system is not None:
        system = SystemPrompt.custom(args.system)
    elif args.no_system:
        system = SystemPrompt.none()
    elif args.empty_system:
        system = SystemPrompt.empty()
    return RunConfig(model_path=args.model, adapters=adapters, system=system)


def _backend(session: Session, config, n_ctx: int | None, n_threads: int | None = None):
    from engine import LocalBackend
    from engine.types import ModelConfig
    from sessions.rerun import preflight, resolve

    preflight(session, config)
    if not len(session.turns):
        raise SessionError(f"Session {session.id!r} has no turns to run.")
    first = session.turns[0]
    model, adapters, _ = resolve(first, config)
    return LocalBackend(ModelConfig(model, n_ctx=n_ctx or first.provenance.n_ctx, n_threads=n_threads,
                                    adapters=adapters))


def _discard_if_empty(store: SessionStore, target: Session | None) -> str:
    """After a failed run: remove the new session if it got no turn, else say what was kept."""
    if target is None:
        return ""
    if not len(target.turns):
        store.delete(str(target.path))
        return ""
    return f" (the {len(target.turns)} turns done are kept in session {target.id})"


def _progress(total: int, verb: str):
    def report(number: int, _item: object) -> None:
        print(f"{verb} turn {number}/{total}", file=sys.stderr)
    return report


# ----- handlers --------------------------------------------------------------------------------

def cmd_list(args: argparse.Namespace) -> int:
    store = SessionStore()
    infos = store.search(args.search) if args.search else store.list()
    if args.json:
        print_json(infos)
        return 0
    if not infos:
        print(f"No sessions in {store.root}.")
        return 0
    for i in infos:
        if i.error:
            print(f"{i.id:<28} (unreadable: {i.error})")
            continue
        note = f"  [{i.problems} damaged record(s) skipped]" if i.problems else ""
        origin = f"  ({i.origin.relation} of {i.origin.session})" if i.origin else ""
        runs = f" + {i.battery_runs} battery run{'' if i.battery_runs == 1 else 's'}" if i.battery_runs else ""
        runs += f" + {i.comparisons} comparison{'' if i.comparisons == 1 else 's'}" if i.comparisons else ""
        print(f"{i.id:<28} {i.created[:19]:<20} {i.turns:>5} turns{runs}  {i.model or '-'}  "
              f"{i.name if i.name != i.id else ''}{origin}{note}  {Path(i.path).name}")
    return 0


def session_json(session: Session) -> dict[str, Any]:
    """`session show --json`: the header, every turn (steps as in `ask --json`), every battery run
    (with its summary rows and results records, and its `status`), every comparison (as
    `compare --json` prints it, with its id and time), the problems."""
    return {
        "path": str(session.path),
        "header": session.header,
        "problems": session.problems,
        "turns": session.turns,
        "battery_runs": [{**to_jsonable(run), "status": run.status} for run in session.battery_runs],
        "comparisons": [{"id": c.id, "created": c.created, "note": c.note,
                         **comparison_json(c.request, c.steps, c.result)} for c in session.comparisons],
    }


def _show_comparisons(session: Session) -> None:
    for n, record in enumerate(session.comparisons, 1):
        print(f"\n[comparison {n}] {record.id} {record.created}  {record.describe()}")
        if record.request.messages:
            print(f"    user: {record.request.messages[-1].content}")
        for lane, answer in zip(record.request.lanes, record.result.lanes, strict=True):
            print(f"    {lane_header(lane)}")
            print(f"      {answer.text}  {answer_line(answer)}")
        approximate = comparison_approximate(record.steps)
        for summary in record.result.pairs:
            print(f"    {pair_line(record.names, summary, approximate)}")
        if approximate:
            print(f"    {COMPARE_LEGEND}")


def _show_battery_runs(session: Session) -> None:
    for n, run in enumerate(session.battery_runs, 1):
        sha = f" sha256 {run.battery_sha256[:12]}" if run.battery_sha256 else ""
        model = Path(str(run.fingerprint.get("model_path") or "-")).name
        print(f"\n[battery {n}] {run.id} {run.created}  {run.describe()}")
        print(f"    battery{sha}  model {model}  {len(run.summary)} summary rows  folder {run.folder}")


def cmd_show(args: argparse.Namespace) -> int:
    session = _open(SessionStore(), args.session)
    if args.json:
        print_json(session_json(session))
        return 0
    h = session.header
    runs, comparisons = len(session.battery_runs), len(session.comparisons)
    print(f"{h.name}  ({h.id}, created {h.created}, {len(session.turns)} turns"
          + (f", {runs} battery run{'s' if runs != 1 else ''}" if runs else "")
          + (f", {comparisons} comparison{'s' if comparisons != 1 else ''}" if comparisons else "")
          + f")  {session.path}")
    if h.origin:
        print(f"derived from {h.origin.session} by {h.origin.relation}: {h.origin.config}")
    for n, turn in enumerate(session.turns, 1):
        p = turn.provenance
        branch = ("" if not turn.parent else f" regeneration of {turn.parent}"
                  if turn.branch_position is None else f" branch of {turn.parent}@{turn.branch_position}")
        print(f"\n[{n}] {turn.kind.value} {turn.id} {turn.created}{branch}")
        print(f"    model {Path(p.model_path).name} sha256 {p.model_sha256[:12]}  system "
              f"{p.system.describe()}  seed {p.sampling.seed}"
              + "".join(f"  adapter {Path(a.path).name}:{a.scale:g}" for a in turn.adapters))
        if p.remote is not None:
            print(f"    {remote_line(p.remote)}")
        print(f"    user: {turn.prompt}")
        if turn.steps:
            mean = sum(s.prob for s in turn.steps) / len(turn.steps)
            print(f"    answer ({len(turn.steps)} tokens, mean p {mean:.2f}): {turn.answer}")
            if any_approximate(turn.steps):
                known = [s.entropy for s in turn.steps if math.isfinite(s.entropy)]
                entropy = f"{BOUND}{math.fsum(known) / len(known):.2f}" if known else "–"
                print(f"    mean entropy {entropy} nats ({LEGEND})")
        else:
            print(f"    answer: {turn.answer}")
        if failed(turn):  # the answer is what it said before the error (its note)
            print(f"    failed (finish reason {FAILED}): {turn.note or 'the generation failed'}")
    _show_battery_runs(session)
    _show_comparisons(session)
    return 0


def _run_under_new_config(args: argparse.Namespace, relation: str, save: bool, job: Any) -> Any:
    """The shared frame of rerun and rescore: open the source session, start a backend for the
    new configuration, create the linked target session when saving, run
    `job(source, target, backend, config)`. On failure an empty target is removed, the error
    says what was kept, and it goes on to the CLI's handler; returns (source, target, config,
    job's result)."""
    store = SessionStore()
    backend = target = None
    try:
        source = _open(store, args.session)
        config = _run_config(args)
        backend = _backend(source, config, args.n_ctx, args.threads)
        if save:
            target = store.create(args.name or f"{source.id}-{relation}",
                                  SessionOrigin(source.id, relation, config.describe()))
        result = job(source, target, backend, config)
        if target is not None and not len(target.turns):  # nothing it could save (a rescore of
            store.delete(str(target.path))                  # choices only): leave no empty session
            target = None
    except EngineError as exc:  # SessionError is one too
        exc.msg += _discard_if_empty(store, target)
        raise
    except KeyboardInterrupt:  # Ctrl-C: what was done is kept, an empty target is not
        kept = _discard_if_empty(store, target)
        if kept:
            print(f"logitscope: interrupted{kept}", file=sys.stderr)
        raise
    finally:
        if backend is not None:
            backend.close()
    return source, target, config, result


def cmd_rerun(args: argparse.Namespace) -> int:
    from sessions.rerun import rerun

    source, target, config, turns = _run_under_new_config(
        args, "rerun", True,
        lambda source, target, backend, config: rerun(
            source, target, backend, config, _progress(len(source.turns), "re-ran")))
    if target is None:  # not reached while rerun journals every turn it runs; kept honest
        print(f"Nothing was re-run from {source.id}; no session was saved.")
        return 0
    if args.json:
        print_json({"session": target.id, "path": str(target.path), "origin": source.id,
                     "config": config.describe(), "turns": len(turns)})
    else:
        print(f"Saved {len(turns)} turns as session {target.id} ({target.path}); compare with: "
              f"logitscope session compare {source.id} {target.id}")
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    from sessions.rerun import rescore

    _, _, _, report = _run_under_new_config(
        args, "rescore", not args.no_save,
        lambda source, target, backend, config: rescore(
            source, backend, config, target, _progress(len(source.turns), "re-scored")))
    if args.json:
        print_json(report)
        return 0
    print(f"Re-scored {len(report.turns)} turns of {report.session} under: {report.config}")
    for item in report.turns:
        print(f"\nturn {item.turn}: {item.prompt!r}")
        if item.retokenized:  # another tokenizer: no token pairs to compare
            print(f"  log-probability as recorded {item.original_logprob:.3f}, re-scored "
                  f"{item.rescored_logprob:.3f} (re-tokenised: this model splits the text "
                  f"into other tokens)")
        else:
            print(f"  log-probability as recorded {item.original_logprob:.3f}, re-scored "
                  f"{item.rescored_logprob:.3f} (mean change per token {item.mean_delta:+.3f})")
        # no recorded logprob: a re-tokenised answer's token is new, else a branch's forced prefix
        missing = "      new" if item.retokenized else "   forced"
        for t in item.tokens:
            before = missing if t.original_logprob is None else f"{t.original_logprob:9.3f}"
            print(f"  {t.i:>4} {t.text!r:<18} {before} -> {t.logprob:8.3f}  rank {t.rank}")
    for line in report.skipped:
        print(f"skipped {line}")
    if report.target:
        print(f"\nSaved as session {report.target}.")
    return 0


def _side(store: SessionStore, ref: str):
    """A session, or one turn of it for SESSION@TURN."""
    try:
        return _open(store, ref), None
    except SessionError:
        if "@" not in ref:
            raise
    name, _, turn = ref.rpartition("@")
    session = _open(store, name)
    return session, session.turn(turn)


def cmd_compare(args: argparse.Namespace) -> int:
    from sessions.compare import compare_sessions, compare_turns

    store = SessionStore()
    a, turn_a = _side(store, args.a)
    b, turn_b = _side(store, args.b)
    if (turn_a is None) != (turn_b is None):
        raise SessionError("Compare two sessions, or two turns (SESSION@TURN), not one of each.")
    if turn_a is not None and turn_b is not None:
        data: dict[str, Any] = {"a": a.id, "b": b.id, "paired_by": "turn",
                                "turns": [asdict(compare_turns(turn_a, turn_b))], "unpaired": 0}
    else:
        data = asdict(compare_sessions(a, b))
    if args.json:
        print_json(data)
        return 0
    print(f"{data['a']} vs {data['b']} (paired by {data['paired_by']})")
    for t in data["turns"]:
        first = "identical tokens" if t["first_divergence"] is None else \
            f"first different token at position {t['first_divergence']}"
        print(f"  {t['a_turn']} / {t['b_turn']} ({t['kind']}): {first}; mean JS {t['mean_js']:.4f}"
              f", max JS {t['max_js']:.4f} at {t['max_js_position']}"
              + ("" if t["same_prompt"] else "; prompts differ"))
    if data["unpaired"]:
        print(f"  {data['unpaired']} turn(s) had no partner")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    session = _open(SessionStore(), args.session)
    size = write_export(session, args.out, args.format)
    print(f"Wrote {args.out} ({size:,} bytes, {len(session.turns)} turns).")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    try:
        path = SessionStore().delete(args.session)
    except OSError as exc:
        raise SessionError(f"{exc.filename or args.session}: {exc.strerror or exc}",
                           title="Delete failed") from exc
    print(f"Deleted {path}.")
    return 0
