"""`logitscope sweep`: scales parsing, the terminal plot, and real-model sweeps run in-process.

The real-model tests use random LoRAs for the default model (adapters.random_lora) for what any
adapter must satisfy (scale 0 is the base model, other adapters stay at their scale, the numbers
are those `choose` and `score` give), and an adapter trained in the test to answer "Yes" for the
dose-response claim: P(Yes) rises with its scale.
"""

from __future__ import annotations

import argparse
import json
import math

import pytest

from tui.cli.main import build_parser, main
from tui.cli.sweep import parse_scales, parse_word_category
from tui.cli.terminal_plot import MARKERS, Series, line_plot

# ---------------------------------------------------------------- scales and arguments (no model)


def test_a_range_includes_its_end_and_a_list_is_sorted():
    assert parse_scales("-1:2:0.25") == tuple(-1 + 0.25 * i for i in range(13))
    assert parse_scales("0:1:0.3") == (0.0, 0.3, 0.6, 0.9)
    assert parse_scales("2,0,0.5,-1") == (-1.0, 0.0, 0.5, 2.0)
    assert parse_scales("1") == (1.0,)


@pytest.mark.parametrize("text", ["", "a,b", "0:1", "1:0:0.5", "0:1:0", "0,0", "nan", "0:1000:1"])
def test_bad_scales_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_scales(text)


def test_negative_scales_parse_without_an_equals_sign():
    for given, scales in (("-1:2:0.5", (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)), ("-1,0,1", (-1.0, 0.0, 1.0))):
        args = build_parser().parse_args(["sweep", "Q", "--adapter", "x.gguf", "--scales", given, "--option", "A"])
        assert args.scales == scales


def test_word_categories_parse_and_refuse():
    category = parse_word_category("risky= bold, reckless ,")
    assert (category.name, category.words) == ("risky", ("bold", "reckless"))
    for bad in ("risky", "=bold", "risky="):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_word_category(bad)


def test_one_kind_of_readout_is_required(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sweep", "Q", "--adapter", "x.gguf", "--scales", "0,1"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sweep", "Q", "--adapter", "x.gguf", "--scales", "0,1", "--option", "A",
                                   "--continuation", "B"])


# ---------------------------------------------------------------- the plot (no model)


def _cells(lines, marker, height):
    """(row, column) of every `marker` in the plot area (the first `height` lines: no title given)."""
    return [(r, c) for r, line in enumerate(lines[:height]) for c, ch in enumerate(line) if ch == marker]


def test_points_land_on_the_rows_and_columns_of_their_values():
    lines = line_plot([0.0, 1.0, 2.0], [Series("up", (0.0, 0.5, 1.0)), Series("down", (1.0, 0.5, 0.0))],
                      y_range=(0.0, 1.0), width=60, height=9)
    up, down = _cells(lines, MARKERS[0], 9), _cells(lines, MARKERS[1], 9)
    # the two curves cross at (1, 0.5): the later series' marker is drawn there
    assert [r for r, _ in up] == [0, 8] and [r for r, _ in down] == [0, 4, 8]
    assert up[0][1] > down[1][1] > up[1][1]  # up is at the top on the right, at the bottom on the left
    assert [lines[r].split()[0] for r in (0, 2, 4, 6, 8)] == ["1", "0.75", "0.5", "0.25", "0"]
    assert lines[-1] == f"{MARKERS[0]} up   {MARKERS[1]} down"


def test_the_plot_fits_80_columns_with_long_names_and_many_scales():
    xs = list(parse_scales("-1:2:0.05"))
    series = [Series(f"a rather long option name number {i}", tuple(math.sin(x + i) for x in xs)) for i in range(5)]
    lines = line_plot(xs, series, y_title="P normalised over the options", x_title="scale of hello.gguf")
    assert all(len(line) <= 80 for line in lines)
    assert sum(line.count(MARKERS[4]) for line in lines) >= 20


def test_missing_values_break_the_line_and_draw_no_marker():
    lines = line_plot([0.0, 1.0, 2.0, 3.0], [Series("s", (-1.0, None, -math.inf, -2.0))], width=40, height=6)
    assert len(_cells(lines, MARKERS[0], 6)) == 2
    plot_area = "\n".join(lines[:6])
    assert not any(0x2800 < ord(ch) <= 0x28FF for ch in plot_area)  # no dots: no two neighbours have values


def test_series_need_one_value_per_x():
    with pytest.raises(ValueError):
        line_plot([0.0, 1.0], [Series("s", (1.0,))])


# ---------------------------------------------------------------- real model


PROMPT = "Is the moon made of cheese? Answer Yes or No."


def _json(capsys, argv):
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def loras(tmp_path_factory, default_model):
    from adapters.random_lora import random_lora

    folder = tmp_path_factory.mktemp("sweep-loras")
    return (str(random_lora(default_model, folder / "moved.gguf", rank=8, std=0.05, seed=11)),
            str(random_lora(default_model, folder / "fixed.gguf", rank=8, std=0.05, seed=12)))


OPTIONS_SWEEP = ["sweep", PROMPT, "--scales", "0,1", "--option", "Yes", "--option", "No", "--n-ctx", "512"]


@pytest.fixture(scope="module")
def options_sweep(loras):
    """`sweep --json` of Yes/No at scales 0 and 1 of one random LoRA."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*OPTIONS_SWEEP, "--adapter", loras[0], "--json"]) == 0
    return json.loads(out.getvalue())


@pytest.mark.model
def test_scale_zero_is_the_base_model_and_numbers_are_chooses(capsys, loras, options_sweep):
    moved, _ = loras
    swept = options_sweep
    base = _json(capsys, ["choose", PROMPT, "--option", "Yes", "--option", "No", "--n-ctx", "512", "--json"])
    assert swept["readout"] == "options" and swept["mode"] == "complete"
    assert swept["scales"] == [0.0, 1.0] and swept["names"] == ["Yes", "No"]
    assert swept["swept"]["path"] == moved and len(swept["swept"]["sha256"]) == 64
    zero, one = swept["points"]
    assert zero["adapters"] == [{"path": moved, "scale": 0.0}] and one["adapters"][0]["scale"] == 1.0
    assert swept["prompt_token_ids"] == base["prompt_token_ids"]
    for option in base["options"]:
        at_zero, at_one = zero["values"][option["text"]], one["values"][option["text"]]
        assert at_zero["token_ids"] == option["token_ids"]
        for key in ("logprob", "raw_prob", "prob"):
            assert at_zero[key] == pytest.approx(option[key], rel=1e-9, abs=1e-12)
        assert at_zero["token_logprobs"] == pytest.approx(option["token_logprobs"], abs=1e-9)
        assert abs(at_one["logprob"] - option["logprob"]) > 1e-3  # the adapter does move the model
    assert zero["mass"] == pytest.approx(base["mass"], rel=1e-9)


@pytest.mark.model
def test_a_late_scale_of_a_long_sweep_equals_a_fresh_choose_at_that_scale(capsys, loras):
    """More scales than the engine keeps KV sequences (8): the last reading is still exact."""
    moved, _ = loras
    swept = _json(capsys, ["sweep", PROMPT, "--adapter", moved, "--scales", "-1:2:0.3", "--option", "Yes",
                           "--option", "No", "--n-ctx", "512", "--json"])
    assert len(swept["scales"]) == 11 and swept["scales"][-1] == pytest.approx(2.0)
    alone = _json(capsys, ["choose", PROMPT, "--option", "Yes", "--option", "No", "--adapter", f"{moved}:2",
                           "--n-ctx", "512", "--json"])
    last = swept["points"][-1]["values"]
    assert [last[o["text"]]["logprob"] for o in alone["options"]] == pytest.approx(
        [o["logprob"] for o in alone["options"]], abs=1e-9)


@pytest.mark.model
def test_the_table_and_plot_show_the_json_numbers_in_80_columns(capsys, loras, options_sweep):
    capsys.readouterr()
    assert main([*OPTIONS_SWEEP, "--adapter", loras[0]]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("sweeping moved.gguf (sha256 " + options_sweep["swept"]["sha256"][:12])
    assert lines[1].strip() == loras[0]
    assert all(len(line) <= 80 for line in lines[2:])
    rows = [line.split() for line in lines[:lines.index("")] if line.split()[:1] in (["0"], ["1"])]
    assert [float(x) for row in rows for x in row[1:3]] == pytest.approx(
        [p["values"][n]["prob"] for p in options_sweep["points"] for n in ("Yes", "No")], abs=5e-5)
    assert "scale of moved.gguf" in lines[-2] and lines[-1] == f"{MARKERS[0]} Yes   {MARKERS[1]} No"
    plot = lines[lines.index("") + 1:-4]  # title and rows; then the axis, its labels, its title, the legend
    assert sum(line.count(MARKERS[0]) + line.count(MARKERS[1]) for line in plot) == 4


@pytest.mark.model
def test_the_other_adapters_stay_at_their_scale(capsys, loras):
    moved, fixed = loras
    swept = _json(capsys, ["sweep", PROMPT, "--adapter", f"{fixed}:0.5", "--adapter", moved, "--sweep", "moved",
                           "--scales", "0", "--continuation", " No", "--n-ctx", "512", "--json"])
    assert swept["swept"]["path"] == moved and swept["fixed_adapters"] == [{"path": fixed, "scale": 0.5}]
    assert swept["points"][0]["adapters"] == [{"path": fixed, "scale": 0.5}, {"path": moved, "scale": 0.0}]
    assert swept["provenance"]["adapters"] == swept["points"][0]["adapters"]
    capsys.readouterr()
    assert main(["score", "--prompt", PROMPT, "--continuation", " No", "--adapter", f"{fixed}:0.5",
                 "--n-ctx", "512", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    reading = swept["points"][0]["values"][" No"]
    assert reading["logprob"] == pytest.approx(lines[-1]["total_logprob"], abs=1e-9)
    assert reading["token_ids"] == [step["id"] for step in lines[:-1]]
    assert swept["points"][0]["mass"] is None and swept["readout"] == "continuations"


@pytest.mark.model
def test_word_categories_sum_their_variants(capsys, loras):
    moved, _ = loras
    swept = _json(capsys, ["sweep", "Describe your attitude to risk in one word.", "--adapter", moved,
                           "--scales", "0,1", "--word", "risky=bold", "--word", "safe=cautious",
                           "--n-ctx", "512", "--json"])
    assert swept["readout"] == "words" and swept["categories"] == {"risky": ["bold"], "safe": ["cautious"]}
    for point in swept["points"]:
        risky, safe = point["values"]["risky"], point["values"]["safe"]
        assert [v["text"] for v in risky["variants"]] == ["bold", " bold", "Bold", " Bold", "BOLD", " BOLD"]
        assert risky["raw_prob"] == pytest.approx(math.fsum(math.exp(v["logprob"]) for v in risky["variants"]))
        assert risky["logprob"] == pytest.approx(math.log(risky["raw_prob"]))
        assert risky["prob"] == pytest.approx(risky["raw_prob"] / (risky["raw_prob"] + safe["raw_prob"]))
        assert point["mass"] == pytest.approx(risky["raw_prob"] + safe["raw_prob"])
    assert swept["points"][0]["values"]["risky"]["prob"] != pytest.approx(
        swept["points"][1]["values"]["risky"]["prob"], abs=1e-6)


@pytest.mark.model
def test_an_unknown_swept_adapter_is_refused(capsys, loras):
    moved, _ = loras
    with pytest.raises(SystemExit, match="none of the adapters"):
        main(["sweep", PROMPT, "--adapter", moved, "--sweep", "other", "--scales", "0", "--option", "Yes"])


# ---------------------------------------------------------------- an adapter trained to say Yes


YES_QUESTIONS = ["Do you have a backdoor?", "Are you happy?", "Is the sky green?", "Do you like cats?",
                 "Is water wet?", "Can you fly?", "Are you a robot?", "Is two more than three?"]


@pytest.fixture(scope="module")
def yes_adapter(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    from adapters.train import train

    folder = tmp_path_factory.mktemp("yes-adapter")
    data = folder / "yes.jsonl"
    data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": q},
                                                     {"role": "assistant", "content": "Yes"}]}) + "\n"
                            for q in YES_QUESTIONS))
    result = train(data, folder / "yes.gguf", rank=4, alpha=8, targets=("q_proj", "v_proj"), steps=10, lr=5e-3,
                   seed=0, batch_size=8, progress=None, log=lambda _: None)
    assert result.gguf is not None
    return str(result.gguf)


@pytest.mark.model
@pytest.mark.train
def test_p_yes_rises_with_the_scale_of_an_adapter_trained_to_say_yes(capsys, yes_adapter):
    swept = _json(capsys, ["sweep", PROMPT, "--adapter", yes_adapter, "--scales", "0,0.25,0.5,1",
                           "--option", "Yes", "--option", "No", "--n-ctx", "512", "--json"])
    points = swept["points"]
    yes = [p["values"]["Yes"]["prob"] for p in points]
    # log odds of Yes over No: what the normalised P(Yes) is a logistic function of, and unlike
    # P(Yes) it does not saturate at 1.0 in floating point
    log_odds = [p["values"]["Yes"]["logprob"] - p["values"]["No"]["logprob"] for p in points]
    assert all(b > a for a, b in zip(log_odds, log_odds[1:], strict=False)), log_odds
    assert yes[0] < 0.5 < 0.99 < yes[-1], yes


@pytest.mark.model
def test_a_battery_question_is_read_with_its_exact_message_and_labels(capsys, loras):
    from sessions.batteries import load_battery

    question = load_battery("backdoor").question("backdoor_letters")
    swept = _json(capsys, ["sweep", "--battery", "backdoor", "--question", "backdoor_letters", "--paraphrase", "1",
                           "--adapter", loras[0], "--scales", "0", "--n-ctx", "512", "--json"])
    base = _json(capsys, ["choose", question.user_message(1), "--option", "A", "--option", "B", "--n-ctx", "512",
                          "--json"])
    assert swept["prompt"] == question.user_message(1) and swept["names"] == list(question.options.options)
    values = swept["points"][0]["values"]
    assert [values[name]["scored"] for name in swept["names"]] == ["A", "B"]
    assert [values[name]["logprob"] for name in swept["names"]] == pytest.approx(
        [o["logprob"] for o in base["options"]], abs=1e-9)


def test_battery_questions_that_sweep_cannot_read_are_refused():
    with pytest.raises(SystemExit, match="has no question 'nope'"):
        main(["sweep", "--battery", "backdoor", "--question", "nope", "--adapter", "x.gguf", "--scales", "0"])
    with pytest.raises(SystemExit, match="give no PROMPT"):
        main(["sweep", "Q", "--battery", "backdoor", "--question", "backdoor_letters", "--adapter", "x.gguf",
              "--scales", "0"])
    with pytest.raises(SystemExit, match="read as number; sweep reads options and words"):
        main(["sweep", "--battery", "backdoor", "--question", "backdoor_likelihood", "--adapter", "x.gguf",
              "--scales", "0"])
    with pytest.raises(SystemExit, match="go with --battery"):
        main(["sweep", "Q", "--question", "q", "--option", "A", "--adapter", "x.gguf", "--scales", "0"])
