"""Bad input gets one clear sentence (file, row or key, field, expectation) and a non-zero exit.

Each test breaks one thing in the toy project and runs ``forecast check-data --json`` through the
CLI: the error must name where the problem is, the exit code must say what kind it is, and the
JSON summary must not be written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.errors import DataError, SpecError

runner = CliRunner(env={"COLUMNS": "200"})


def check(spec: Path, *fragments: str, code: int) -> str:
    out = spec.parent.parent / "summary.json"
    result = runner.invoke(app, ["check-data", str(spec), "--json", str(out)])
    message = " ".join(result.output.split())
    assert result.exit_code == code, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert not out.exists(), "a partial output file was left behind"
    return message


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def data(spec: Path, rel: str) -> Path:
    return spec.parent.parent / "data" / "toy" / rel


DATA, SPEC = DataError.exit_code, SpecError.exit_code


def test_valid_toy_project_passes(toy_project):
    result = runner.invoke(app, ["check-data", str(toy_project)])
    assert result.exit_code == 0, result.output
    assert "spec and data are valid" in result.output
    assert "e2005" in result.output


# ---- data tables -------------------------------------------------------------------------


def test_missing_column(toy_project):
    edit(data(toy_project, "2005/votes.csv"), "province,party,votes", "province,party,vote")
    check(toy_project, "votes.csv", "row 1", "field 'vote'", "did you mean 'votes'", code=DATA)


def test_required_column_absent(toy_project):
    path = data(toy_project, "2005/magnitude.csv")
    path.write_text("province\nnorth\ncentre\nsouth\n", encoding="utf-8")
    check(toy_project, "magnitude.csv", "row 1", "field 'seats'", "required column", code=DATA)


def test_extra_column(toy_project):
    edit(data(toy_project, "2005/turnout.csv"), "turnout_pct\n", "turnout_pct,colour\n")
    edit(data(toy_project, "2005/turnout.csv"), "52\n", "52,red\n")
    check(toy_project, "turnout.csv", "row 1", "field 'colour'", "unexpected column", code=DATA)


def test_unknown_province(toy_project):
    edit(data(toy_project, "2005/votes.csv"), "south,a_old", "soth,a_old")
    check(toy_project, "votes.csv", "row 8", "field 'province'", "did you mean 'south'", code=DATA)


def test_unknown_list(toy_project):
    edit(data(toy_project, "2005/votes.csv"), "north,c_old", "north,d_old")
    check(toy_project, "votes.csv", "row 4", "field 'party'", "unknown list 'd_old'", code=DATA)


def test_negative_votes(toy_project):
    edit(data(toy_project, "2005/votes.csv"), "north,a_old,100", "north,a_old,-100")
    check(toy_project, "votes.csv", "row 2", "field 'votes'", ">= 0", code=DATA)


def test_nan_votes_written_as_text(toy_project):
    edit(data(toy_project, "2005/votes.csv"), "north,a_old,100", "north,a_old,NaN")
    check(toy_project, "votes.csv", "row 2", "field 'votes'", "leave the cell empty", code=DATA)


def test_non_integer_votes(toy_project):
    edit(data(toy_project, "2005/votes.csv"), "north,a_old,100", "north,a_old,100.5")
    check(toy_project, "votes.csv", "row 2", "field 'votes'", "whole number", code=DATA)


def test_list_votes_above_valid_votes(toy_project):
    edit(data(toy_project, "2005/votes.csv"), "north,c_old,50", "north,c_old,5000")
    check(toy_project, "votes.csv", "field 'votes'", "more than the 460 valid votes", code=DATA)


def test_duplicated_row(toy_project):
    edit(
        data(toy_project, "2005/votes.csv"),
        "north,b_old,300\n",
        "north,b_old,300\nnorth,b_old,300\n",
    )
    check(toy_project, "votes.csv", "row 4", "duplicate row", "first at row 3", code=DATA)


def test_magnitudes_not_summing_to_house_size(toy_project):
    edit(data(toy_project, "2010/magnitude.csv"), "north,6", "north,9")
    check(
        toy_project, "2010/magnitude.csv", "field 'seats'", "add up to 23", "leaves 20", code=DATA
    )


def test_province_without_magnitude(toy_project):
    edit(data(toy_project, "2010/magnitude.csv"), "south,7\n", "")
    check(toy_project, "magnitude.csv", "'south' has no district magnitude", code=DATA)


def test_valid_above_registered(toy_project):
    edit(data(toy_project, "2005/turnout.csv"), "north,900,460", "north,400,460")
    check(toy_project, "turnout.csv", "row 2", "field 'valid'", "exceed registered", code=DATA)


def test_turnout_percentage_out_of_range(toy_project):
    edit(data(toy_project, "2005/turnout.csv"), ",52\n", ",152\n")
    check(
        toy_project, "turnout.csv", "row 2", "field 'turnout_pct'", "between 0 and 100", code=DATA
    )


def test_non_utf8_file(toy_project):
    path = data(toy_project, "provinces.csv")
    path.write_bytes("province,province_name\nnorth,Nörth\n".encode("latin-1"))
    check(toy_project, "provinces.csv", "row 2", "not UTF-8", code=DATA)


def test_empty_file(toy_project):
    data(toy_project, "2005/turnout.csv").write_text("", encoding="utf-8")
    check(toy_project, "turnout.csv", "file is empty", code=DATA)


def test_header_without_rows(toy_project):
    data(toy_project, "2005/parties.csv").write_text("party,party_name\n", encoding="utf-8")
    check(toy_project, "parties.csv", "no data rows", code=DATA)


def test_ragged_row(toy_project):
    edit(data(toy_project, "2005/votes.csv"), "north,a_old,100", "north,a_old,100,7")
    check(toy_project, "votes.csv", "row 2", "4 cells but the header has 3", code=DATA)


def test_missing_provenance_sidecar(toy_project):
    data(toy_project, "2005/votes.source.toml").unlink()
    check(toy_project, "votes.csv", "sidecar votes.source.toml is missing", code=DATA)


def test_sidecar_without_licence(toy_project):
    edit(data(toy_project, "2005/votes.source.toml"), 'licence = "CC0"\n', "")
    check(toy_project, "votes.source.toml", "field 'licence'", "provenance keys missing", code=DATA)


def test_missing_data_file(toy_project):
    data(toy_project, "2005/turnout.csv").unlink()
    check(toy_project, "turnout.csv", "file not found", code=DATA)


def test_community_shares_above_one(toy_project):
    edit(data(toy_project, "communities.csv"), "north,majority,0.4", "north,majority,0.7")
    check(toy_project, "communities.csv", "field 'share'", "north add up to 1.300", code=DATA)


# ---- spec ----------------------------------------------------------------------------------


def test_spec_typo_gets_a_hint(toy_project):
    edit(toy_project, "house_size = 24", "house_sise = 24")
    check(
        toy_project, "toy_2010.toml", "key 'law.house_sise'", "did you mean 'house_size'", code=SPEC
    )


def test_unknown_method_name(toy_project):
    edit(toy_project, 'method = "dhondt"', 'method = "dhont"')
    check(toy_project, "key 'law.district.method'", "'dhont' is not allowed", "dhondt", code=SPEC)


def test_threshold_outside_unit_interval(toy_project):
    edit(toy_project, "threshold = 0.05", "threshold = 5")
    check(toy_project, "key 'law.district.threshold'", "less than or equal to 1", code=SPEC)


def test_lineage_shares_not_summing_to_one(toy_project):
    edit(toy_project, "{ alpha = 0.8, other = 0.2 }", "{ alpha = 0.8, other = 0.3 }")
    check(toy_project, "key 'lineage[0].shares'", "sum to 1.1, expected 1", code=SPEC)


def test_lineage_to_unknown_list(toy_project):
    edit(toy_project, "{ beta = 1.0 }", "{ betta = 1.0 }")
    check(toy_project, "lineage[1].shares", "unknown id 'betta'", "did you mean 'beta'", code=SPEC)


def test_lineage_from_list_not_in_past_election(toy_project):
    edit(toy_project, 'source = "b_old"', 'source = "b_olt"')
    check(toy_project, "key 'lineage[1].source'", "not in e2005/parties.csv", "'b_old'", code=SPEC)


def test_data_path_escaping_the_project(toy_project):
    edit(toy_project, 'provinces = "data/toy/provinces.csv"', 'provinces = "../../etc/passwd"')
    check(toy_project, "key 'data.provinces'", "escapes the project folder", code=SPEC)


def test_data_path_that_does_not_exist(toy_project):
    edit(toy_project, 'path = "data/toy/2005"', 'path = "data/toy/2004"')
    check(toy_project, "key 'evidence[0].path'", "does not exist", code=SPEC)


def test_majority_not_more_than_half(toy_project):
    edit(toy_project, "house_size = 24\n", "house_size = 24\nmajority = 12\n")
    check(toy_project, "key 'law'", "strictly more than half", code=SPEC)


def test_evidence_after_the_target_election(toy_project):
    edit(toy_project, "date = 2005-12-15", "date = 2011-12-15")
    check(toy_project, "evidence[0]", "not before the target election", code=SPEC)


def test_information_cutoff_after_election_day(toy_project):
    edit(toy_project, "information_cutoff = 2010-03-01", "information_cutoff = 2010-03-08")
    check(toy_project, "key 'election'", "must be before the election date", code=SPEC)


def test_invalid_toml(toy_project):
    edit(toy_project, "[law]\n", "[law\n")
    check(toy_project, "toy_2010.toml", "not valid TOML", code=SPEC)


def test_missing_required_key(toy_project):
    edit(toy_project, 'country = "toyland"\n', "")
    check(toy_project, "key 'election.country'", "required key is missing", code=SPEC)


def test_duplicate_party_ids(toy_project):
    edit(toy_project, 'id = "beta"', 'id = "alpha"')
    check(toy_project, "[[party]] ids must be unique", "alpha", code=SPEC)


def test_modified_sainte_lague_without_first_divisor(toy_project):
    edit(toy_project, 'method = "dhondt"', 'method = "modified_sainte_lague"')
    check(toy_project, "key 'law.district'", "needs first_divisor", code=SPEC)


def test_community_base_not_summing_to_one(toy_project):
    edit(toy_project, "{ majority = 0.5, minority = 0.5 }", "{ majority = 0.5, minority = 0.6 }")
    check(toy_project, "key 'party[1].community_base'", "sum to 1.1", code=SPEC)


def test_spec_file_not_found(tmp_path):
    check(tmp_path / "models" / "nope.toml", "nope.toml", "spec file not found", code=SPEC)


@pytest.mark.parametrize("cmd", [["run"], ["check-data"]])
def test_every_command_fails_cleanly_on_a_bad_spec(toy_project, cmd):
    edit(toy_project, "house_size = 24", "house_sise = 24")
    result = runner.invoke(app, [*cmd, str(toy_project)])
    assert result.exit_code == SPEC
    assert "Traceback" not in result.output
