"""Exports for people and programs, and the one table both the CLI and the replay screen use.

`FORMATS` maps each format's name (`session export --format NAME`) to its file suffix and the
function producing its bytes; `export_session` and `write_export` are the only ways either caller
turns a session into a file, so a format added to the table is offered by both, written the same
way (bytes, UTF-8, the same on every platform). Markdown is for notes and issues; JSONL
re-encodes every readable turn in the current format, so it is itself a valid session (damaged
records left behind); the HTML export lives in sessions/html.py, the branch tree (JSON and HTML)
in sessions/tree.py and sessions/tree_html.py. Battery runs come after the
turns: in JSONL as their own lines, for people as a list of each run (`describe_battery_run`)
with its summary rows (`summary_cells`); so do comparisons (each configuration's answer and each
pair's summary, `describe_comparison`; in HTML one column per configuration). Steps from a remote
engine's top-k (distribution "top-k+rest") have their entropy, and a rank outside the top-k,
marked "≥", with a legend line; a remote comparison's pair lines "≈"; a turn from a remote engine
names it (sessions/distribution_marks.py). Local ("full") output is unchanged.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from engine.types import ChoiceResult, GenerationResult, RemoteOrigin, ScoreResult

from .batteries.summary import SummaryRow
from .battery_runs import BatteryRun, battery_line
from .comparison_text import answer_line, comparison_approximate, lane_configuration, pair_line
from .comparisons import ComparisonRecord, comparison_line
from .distribution_marks import COMPARE_LEGEND, LEGEND, any_approximate, entropy_text, rank_text
from .errors import SessionError
from .format import header_line, turn_line
from .journal import Session
from .model import Turn
from .partial import failed


def export_jsonl(session: Session) -> bytes:
    """The header, every readable turn, then every readable battery run and comparison."""
    return (header_line(session.header) + b"".join(turn_line(t) for t in session.turns)
            + b"".join(battery_line(r) for r in session.battery_runs)
            + b"".join(comparison_line(c) for c in session.comparisons))


def describe_config(turn: Turn) -> list[str]:
    """Provenance lines shared by the Markdown and HTML exports."""
    p = turn.provenance
    s = p.sampling
    adapters = ", ".join(f"{Path(a.path).name} ×{a.scale:g} (sha256 {a.sha256[:12] or 'missing'})"
                         for a in turn.adapters) or "none"
    sampling = ("greedy" if s.greedy else
                f"temperature {s.temperature:g}, top-p {s.top_p:g}, top-k {s.top_k}, min-p {s.min_p:g}")
    return [
        f"Model: {Path(p.model_path).name} (sha256 {p.model_sha256[:12]}), context {p.n_ctx}",
        f"Adapters: {adapters}",
        f"System prompt: {p.system.describe()}",
        f"Sampling: {sampling}, repeat penalty {s.repeat_penalty:g}, seed {s.seed}",
        f"Prompt: {len(p.prompt_token_ids)} tokens ({p.template_source} template)",
        f"Engine {p.engine_version}, llama-cpp-python {p.llama_cpp_python_version}",
        *([remote_line(p.remote)] if p.remote is not None else []),
    ]


def remote_line(origin: RemoteOrigin) -> str:
    """`Remote engine: http://host:port (llamacpp, model m, server b1234; prompt rendered by logitscope)`."""
    version = f", server {origin.server_version}" if origin.server_version else ""
    rendered = "logitscope" if origin.rendering == "ours" else "the server"
    return (f"Remote engine: {origin.url} ({origin.dialect}, model {origin.model_id}{version}; "
            f"prompt rendered by {rendered})")


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "\\n").replace("`", "'") or "∅"


RANK_NOTE = "rank: how many tokens were more likely than the chosen one (0 = top-1)."


def _token_table(turn: Turn) -> list[str]:
    rows = ["| # | token | p | rank | entropy | top alternatives |", "|---|---|---|---|---|---|"]
    for s in turn.steps:
        alts = ", ".join(f"`{_cell(a.text)}` {a.prob:.2f}" for a in s.top[:3])
        rows.append(f"| {s.i} | `{_cell(s.text or s.piece.decode('utf-8', 'replace'))}` | "
                    f"{s.prob:.3f} | {rank_text(s)} | {entropy_text(s)} | {alts} |")
    return rows


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.split("\n")]


def turn_markdown(number: int, turn: Turn) -> list[str]:
    out = [f"## Turn {number} · {turn.kind.value} · {turn.created}", ""]
    out += [f"- {line}" for line in describe_config(turn)]
    if turn.parent:
        out.append(f"- Branch of turn `{turn.parent}` at token {turn.branch_position}")
    if turn.origin:
        out.append(f"- Re-run of `{turn.origin.session}` turn `{turn.origin.turn}`")
    out += ["", "**User:**", ""] + _quote(turn.prompt) + [""]
    result = turn.result
    if isinstance(result, GenerationResult):
        out += [f"**Assistant** ({len(result.steps)} tokens, {result.finish_reason}):", ""]
        out += _quote(result.text) + [""]
        if failed(turn):  # the answer is what it said before the error (its note)
            out += [f"**Failed:** {turn.note or 'the generation failed'}", ""]
    elif isinstance(result, ChoiceResult):
        out += ["| option | p (normalised) | log-likelihood |", "|---|---|---|"]
        out += [f"| `{_cell(o.text)}` | {o.prob:.3f} | {o.logprob:.3f} |" for o in result.options]
        out += ["", f"Probability mass covered by the options: {result.mass:.3f}", ""]
    elif isinstance(result, ScoreResult):
        out += [f"**Scored continuation** (total log-probability {result.total_logprob:.3f}, "
                f"perplexity {math.exp(-result.total_logprob / max(1, len(result.steps))):.2f}):", ""]
        out += _quote(turn.answer) + [""]
    if turn.steps:
        out += ["<details><summary>Token steps</summary>", ""] + _token_table(turn)
        out += ["", RANK_NOTE, *([f"{LEGEND}."] if any_approximate(turn.steps) else []), "", "</details>", ""]
    return out


def describe_battery_run(run: BatteryRun) -> list[str]:
    """What a battery run was, for the Markdown and HTML exports: status, battery, model, folder."""
    sha = f" (sha256 {run.battery_sha256[:12]})" if run.battery_sha256 else ""
    model = Path(str(run.fingerprint.get("model_path") or "")).name or "unknown"
    configurations = ", ".join(run.configurations) or "none"
    return [
        f"Battery: {run.battery}{sha}",
        f"Configurations: {configurations}",
        f"Records: {len(run.records)}, summary rows: {len(run.summary)}",
        f"Status: {run.status}",
        f"Model: {model}",
        f"Ended: {run.created}",
        f"Run folder: {run.folder}",
    ]


SUMMARY_COLUMNS = ("question", "readout", "configuration", "measure", "mean", "95% interval", "n")


def _number(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.3f}"


def summary_cells(row: SummaryRow) -> tuple[str, ...]:
    """A summary row as SUMMARY_COLUMNS' cells ("–" where summary.csv has an empty cell)."""
    e = row.estimate
    interval = "–" if e.low is None or e.high is None else f"{_number(e.low)} – {_number(e.high)}"
    return (row.question, row.readout, row.configuration, row.measure, _number(e.mean), interval, str(e.n))


def battery_run_markdown(number: int, run: BatteryRun) -> list[str]:
    out = [f"## Battery run {number} · {run.battery} · {run.created}", ""]
    out += [f"- {line}" for line in describe_battery_run(run)] + [""]
    if run.summary:
        out += ["| " + " | ".join(SUMMARY_COLUMNS) + " |", "|" + "---|" * len(SUMMARY_COLUMNS)]
        out += ["| " + " | ".join(_cell(c) for c in summary_cells(row)) + " |" for row in run.summary]
        out.append("")
    return out


def describe_comparison(record: ComparisonRecord) -> list[str]:
    """What a comparison was, for the Markdown and HTML exports: the prompt, how it was decoded,
    and each pair's summary line."""
    prompt = record.request.messages[-1].content if record.request.messages else ""
    forced = (f"teacher-forced on {record.request.forced_from}'s answer" if record.request.forced_from
              else "teacher-forced on a given text" if record.request.forced_ids else "each configuration sampled")
    model = Path(record.result.lanes[0].provenance.model_path).name if record.result.lanes else "unknown"
    approximate = comparison_approximate(record.steps)
    return [f"Prompt: {prompt}", f"Decoding: {forced}, {len(record.steps)} positions"
            + ("; stopped" if record.stopped else ""), f"Model: {model}", f"Ended: {record.created}",
            *(pair_line(record.names, p, approximate) for p in record.result.pairs),
            *([COMPARE_LEGEND] if approximate else [])]


def comparison_markdown(number: int, record: ComparisonRecord) -> list[str]:
    out = [f"## Comparison {number} · {', '.join(record.names)} · {record.created}", ""]
    out += [f"- {line}" for line in describe_comparison(record)] + [""]
    for lane, answer in zip(record.request.lanes, record.result.lanes, strict=True):
        out += [f"**{lane.name}** ({lane_configuration(lane)}) {answer_line(answer)}:", ""]
        out += _quote(answer.text) + [""]
    return out


def export_markdown(session: Session) -> str:
    h = session.header
    out = [f"# Session: {h.name}", "", f"- Id: `{h.id}`", f"- Created: {h.created}",
           f"- Turns: {len(session.turns)}"]
    if session.battery_runs:
        out.append(f"- Battery runs: {len(session.battery_runs)}")
    if session.comparisons:
        out.append(f"- Comparisons: {len(session.comparisons)}")
    if h.origin:
        out.append(f"- Derived from `{h.origin.session}` ({h.origin.relation}: {h.origin.config})")
    out.append("")
    for number, turn in enumerate(session.turns, 1):
        out += turn_markdown(number, turn)
    for number, run in enumerate(session.battery_runs, 1):
        out += battery_run_markdown(number, run)
    for number, record in enumerate(session.comparisons, 1):
        out += comparison_markdown(number, record)
    return "\n".join(out) + "\n"


# ----- the dispatch -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportFormat:
    name: str  # as `--format` takes it
    suffix: str  # with the dot; the replay screen picks the format by it
    label: str  # for people: "Markdown"
    render: Callable[[Session], bytes]


def _markdown_bytes(session: Session) -> bytes:
    return export_markdown(session).encode("utf-8")


def _html_bytes(session: Session) -> bytes:
    from .html import export_html  # sessions.html imports describe_config from here

    return export_html(session).encode("utf-8")


def _tree_bytes(session: Session) -> bytes:
    from .tree import export_tree

    return export_tree(session)


def _tree_html_bytes(session: Session) -> bytes:
    from .tree_html import export_tree_html  # sessions.tree_html imports sessions.html

    return export_tree_html(session).encode("utf-8")


FORMATS: Mapping[str, ExportFormat] = MappingProxyType({f.name: f for f in (
    ExportFormat("md", ".md", "Markdown", _markdown_bytes),
    ExportFormat("html", ".html", "self-contained HTML", _html_bytes),
    ExportFormat("jsonl", ".jsonl", "JSONL", export_jsonl),
    ExportFormat("tree", ".json", "a JSON branch tree", _tree_bytes),
    ExportFormat("tree-html", ".tree.html", "an HTML branch tree", _tree_html_bytes),
)})


def one_of(words: Sequence[str]) -> str:
    """'a, b or c', for help texts and messages naming the formats."""
    return f"{', '.join(words[:-1])} or {words[-1]}" if len(words) > 1 else "".join(words)


def export_session(session: Session, fmt: str) -> bytes:
    """`session` as the bytes of the format named `fmt` (a key of FORMATS)."""
    try:
        render = FORMATS[fmt].render
    except KeyError:
        raise SessionError(f"Unknown export format {fmt!r}: use {', '.join(FORMATS)}.",
                           title="Export failed") from None
    return render(session)


def format_for_path(path: Path) -> ExportFormat:
    """The format a file name asks for by its suffix (any case); the longest one that matches,
    so `x.tree.html` is the HTML branch tree and `x.html` the HTML export."""
    suffix = path.suffix.lower()
    name = path.name.lower()
    for fmt in sorted(FORMATS.values(), key=lambda f: -len(f.suffix)):
        if name.endswith(fmt.suffix) and len(name) > len(fmt.suffix):
            return fmt
    known = one_of([f.suffix for f in FORMATS.values()])
    raise SessionError(f"Unknown export format {suffix or '(none)'!r}: use {known}.",
                       title="Export failed")


def write_export(session: Session, path: str | os.PathLike[str], fmt: str | None = None) -> int:
    """Write `session` to `path` in `fmt` (default: the one its suffix names), creating missing
    folders; an existing file is replaced. Returns the number of bytes written. A write that
    fails is a SessionError naming the file as given and saying why."""
    target = Path(path)
    data = export_session(session, fmt or format_for_path(target).name)
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # a file where a folder should be: the write below says so
            pass
        target.write_bytes(data)
    except OSError as exc:
        raise SessionError(f"cannot write {os.fspath(path)}: {exc.strerror or exc}",
                           title="Export failed") from exc
    return len(data)


def default_export_path(session: Session, folder: Path, fmt: str = "html") -> Path:
    """`folder/<session id><suffix>`, or with -2, -3… added: a path no file has yet."""
    suffix = FORMATS[fmt].suffix
    path = folder / f"{session.id}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{session.id}-{n}{suffix}"
    return path
