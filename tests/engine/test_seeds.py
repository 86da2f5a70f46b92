"""Sampler seeds: the range llama.cpp takes without wrapping or randomising, at the CLI and engine."""

from __future__ import annotations

import argparse

import pytest

from engine.errors import RequestError
from engine.seeds import MAX_SEED, check_seed, random_seed
from tui.cli.options import add_sampling_options


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_sampling_options(parser)
    return parser.parse_args(argv)


def test_cli_refuses_seeds_outside_the_range(capsys):
    for bad in ("-1", str(2**32 - 1), str(2**32)):
        with pytest.raises(SystemExit) as exited:
            _parse("--seed", bad)
        assert exited.value.code == 2
        assert f"0 to {MAX_SEED}" in capsys.readouterr().err
    assert _parse("--seed", str(MAX_SEED)).seed == MAX_SEED
    assert _parse("--seed", "0").seed == 0 and _parse().seed is None


def test_engine_check_and_random_seeds_stay_in_range():
    assert check_seed(0) == 0 and check_seed(MAX_SEED) == MAX_SEED
    for bad in (-1, MAX_SEED + 1, 2**64, True, 1.5):
        with pytest.raises(RequestError, match="seed"):
            check_seed(bad)
    assert all(0 <= random_seed() <= MAX_SEED for _ in range(100))
