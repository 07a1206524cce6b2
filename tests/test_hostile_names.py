"""List names reach the PDF and figures verbatim: Typst or matplotlib syntax in a name is text."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest
from conftest import mock_sampling, pdf_text, write_toy_project
from typer.testing import CliRunner

from forecast.cli import app
from forecast.report.formats import list_names
from forecast.report.render import REPORT_FILE
from forecast.report.seats import plot_seats

HOSTILE = {
    "Alpha List": 'SoL #read("/etc/hostname")',
    "Beta List": "B$x$ [y] *z* `w` \\n _u_ ] @ref <lbl> // c",
    "Other lists": "ائتلاف دولة القانون",
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """``forecast run`` on the toy project with hostile list names (mock sampler)."""
    root = tmp_path_factory.mktemp("hostile")
    spec_path = write_toy_project(root)
    text = spec_path.read_text(encoding="utf-8")
    for plain, hostile in HOSTILE.items():
        literal = hostile.replace("\\", "\\\\").replace('"', '\\"')
        text = text.replace(f'name = "{plain}"', f'name = "{literal}"')
    spec_path.write_text(text, encoding="utf-8")
    out = root / "out"
    with mock_sampling():
        result = runner.invoke(app, ["run", str(spec_path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


runner = CliRunner()


@pytest.mark.parametrize("name", list(HOSTILE.values())[:2])
def test_the_pdf_keeps_every_character(hostile_run, name):
    text = pdf_text(hostile_run / REPORT_FILE)
    assert " ".join(name.split()) in text


def test_arabic_is_typeset(hostile_run):
    from pypdf import PdfReader

    fonts = set()
    for page in PdfReader(hostile_run / REPORT_FILE).pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    assert any("DejaVuSans" in f for f in fonts), fonts


def test_figure_labels_keep_every_character(hostile_run):
    summary = json.loads((hostile_run / "summary.json").read_text())
    assert set(HOSTILE.values()) <= set(list_names(summary).values())
    fig = plot_seats(summary)
    try:
        fig.canvas.draw()  # mathtext would render "$x$" as an italic x here
        labels = fig.axes[0].get_yticklabels()
        assert {HOSTILE["Alpha List"], HOSTILE["Beta List"]} <= {t.get_text() for t in labels}
        assert not any(t.get_parse_math() for t in labels)
    finally:
        plt.close(fig)
