"""``check-data`` refuses, before any sampling, every spec that the run would refuse after the fit.

Each case mutates the toy project; whatever ``check-data`` says, ``run`` (mock sampler) must agree:
check-data passes => the run passes; check-data refuses => it names the file and key, exit 2 or 3.
"""

from __future__ import annotations

import pytest
from conftest import mock_sampling, write_toy_project
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()

MUTATIONS = {
    "as written": [],
    "no target electorate": [("rm", "data/toy/2010/electorate.csv")],
    "sainte-lague first divisor 1.6": [
        ("spec", 'method = "dhondt"', 'method = "modified_sainte_lague"\n    first_divisor = 1.6'),
    ],
    "unknown scenario community": [
        ("spec-append", '\n[[scenario]]\nname = "x"\nset = { "turnout.nobody" = 0.5 }\n'),
    ],
    "scenario law change": [
        ("spec-append", '\n[[scenario]]\nname = "y"\nset = { "law.district.method" = "dhondt" }\n'),
    ],
    "magnitude row missing": [
        ("write", "data/toy/2010/magnitude.csv", "province,seats\nnorth,6\ncentre,7\n"),
    ],
}


def mutate(root, steps):
    spec = root / "models" / "toy_2010.toml"
    for step in steps:
        if step[0] == "rm":
            (root / step[1]).unlink()
        elif step[0] == "write":
            (root / step[1]).write_text(step[2])
        elif step[0] == "spec":
            spec.write_text(spec.read_text().replace(step[1], step[2], 1))
        else:
            spec.write_text(spec.read_text() + step[1])
    return spec


@pytest.mark.parametrize("case", list(MUTATIONS))
def test_check_data_and_run_agree(case, tmp_path):
    write_toy_project(tmp_path)
    spec = mutate(tmp_path, MUTATIONS[case])
    check = runner.invoke(app, ["check-data", str(spec), "-q"])
    assert check.exit_code in (0, 2, 3), check.output
    if check.exit_code:
        assert "error:" in check.output and "Traceback" not in check.output
        return
    with mock_sampling():
        run = runner.invoke(app, ["run", str(spec), "--out", str(tmp_path / "out"), "-q"])
    assert run.exit_code == 0, f"check-data passed but the run failed: {run.output}"


def test_a_missing_electorate_is_refused_before_sampling(tmp_path, monkeypatch):
    import forecast.run.pipeline

    write_toy_project(tmp_path)
    spec = mutate(tmp_path, MUTATIONS["no target electorate"])

    def no_fit(*args, **kwargs):
        raise AssertionError("sampled before refusing the spec")

    monkeypatch.setattr(forecast.run.pipeline, "fitted_posterior", no_fit)
    for command in (["check-data", str(spec)], ["run", str(spec), "--out", str(tmp_path / "o")]):
        result = runner.invoke(app, command)
        assert result.exit_code in (2, 3), result.output
        assert "electorate" in result.output
