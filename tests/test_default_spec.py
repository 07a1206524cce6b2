"""The spec ``forecast run`` takes when none is given comes from the project's pyproject.toml.

The package names no election of its own: ``[tool.forecast] default_spec`` of the pyproject.toml
in the working folder does, and without one the command says so and exits with the spec code.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import mock_sampling, write_toy_project
from typer.testing import CliRunner

from forecast.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_the_projects_default_spec_exists():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert (ROOT / config["tool"]["forecast"]["default_spec"]).is_file()


def test_run_without_a_spec_takes_the_default_of_the_working_folder(tmp_path, monkeypatch):
    write_toy_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.forecast]\ndefault_spec = "models/toy_2010.toml"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    with mock_sampling():
        result = runner.invoke(app, ["run", "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "summary.json").is_file()


def test_run_without_a_spec_or_a_default_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "-q"])
    assert result.exit_code == 2
    assert "default_spec" in result.output and "Traceback" not in result.output
