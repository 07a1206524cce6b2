"""Fuzz ``check-data`` with mutated specs: every mutation is a clean error or a valid spec.

A mutation replaces the value of one ``key = value`` line of the toy spec with an arbitrary TOML
value, deletes the line, or duplicates it. ``check-data`` runs every check the run makes after
the fit (``forecast.run.dryrun``), so a mutation it accepts is one the run accepts
(``tests/test_check_data.py``). An error must be one sentence naming the file, with exit code 2
(spec) or 3 (data); a traceback or any other exit code fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forecast.cli import app
from forecast.toy_project import TOY_SPEC, write_toy_project

runner = CliRunner()
LINES = TOY_SPEC.splitlines()
VALUE_LINES = [i for i, line in enumerate(LINES) if re.match(r"^\s*[\w.\"-]+\s*=", line)]

toml_scalars = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.sampled_from(["true", "false", "0", "-1", "1e9", "0.5", "2010-03-07", "nan", "inf"]),
    st.text(st.characters(codec="utf-8", exclude_characters='"\\\n\r'), max_size=12).map(
        lambda s: f'"{s}"'
    ),
    st.sampled_from(['"dhondt"', '"alpha"', '"minority"', '"data/toy/none.csv"', '""']),
)
toml_values = st.one_of(
    toml_scalars,
    st.lists(toml_scalars, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.sampled_from(["{}", "{ alpha = 1.0 }", "{ alpha = 0.5, beta = 0.6 }"]),
)


def mutate(index: int, how: str, value: str) -> str:
    """Return the toy spec with line ``index`` changed ``how`` (``set``, ``drop``, ``repeat``)."""
    lines = list(LINES)
    key = lines[index].split("=", 1)[0]
    if how == "set":
        lines[index] = f"{key}= {value}"
    elif how == "drop":
        del lines[index]
    else:
        lines.insert(index, lines[index])
    return "\n".join(lines) + "\n"


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,  # the same examples on every CI run (set False locally to explore)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    index=st.sampled_from(VALUE_LINES),
    how=st.sampled_from(["set", "set", "set", "drop", "repeat"]),
    value=toml_values,
)
def test_a_mutated_spec_is_refused_cleanly_or_valid(tmp_path_factory, index, how, value):
    root = Path(tmp_path_factory.mktemp("fuzz"))
    spec = write_toy_project(root)
    spec.write_text(mutate(index, how, value), encoding="utf-8")
    result = runner.invoke(app, ["check-data", str(spec), "-q"])
    assert result.exit_code in (0, 2, 3), (LINES[index], how, value, result.exception)
    if result.exit_code:
        assert "error:" in result.output and "Traceback" not in result.output
        assert "toy_2010.toml" in result.output or "data/toy" in result.output, result.output
