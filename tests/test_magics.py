"""%tbx argument parsing."""
from __future__ import annotations

import pytest

from tbx_widget.magics import parse_tbx_args


def test_defaults():
    assert parse_tbx_args("") == {"logdir": "runs", "height": 640, "tags": None, "runs": None}


def test_all_options_and_quoting():
    got = parse_tbx_args("'my runs/exp 1' --height 480 --tags 'loss|acc' --runs ^exp")
    assert got == {"logdir": "my runs/exp 1", "height": 480, "tags": "loss|acc", "runs": "^exp"}


@pytest.mark.parametrize(
    "line,match",
    [("--height tall", "invalid int value"), ("a b", "unrecognized arguments"), ("--bogus 1", "unrecognized"), ("'open", "cannot parse")],
)
def test_bad_lines_raise_value_error(line, match):
    with pytest.raises(ValueError, match=match):
        parse_tbx_args(line)
