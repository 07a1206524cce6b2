"""``render_report``: the PDF risk report of a forecast, typeset with Typst.

The report is assembled in a temporary folder: the figures of the section modules as SVG, the data
file ``report.json`` and a copy of the template (``reports/templates/<spec.report.template>``)
are compiled there by the ``typst`` package, and the PDF is written atomically. Every number in
the report comes from the result: the headline numbers of :func:`forecast.run.results.summarise`,
the stage objects and their attrs (priors, provenance, diagnostics). The template only lays
them out; :func:`report_data` gathers what each section module formats, so the text and the
tests agree on how a number reads.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

from forecast import __version__
from forecast.data.tables import write_atomic
from forecast.errors import ForecastError, SpecError
from forecast.report.backtest import (
    backtest_section,
    calibration_tables,
    plot_calibration,
    saved_backtest,
)
from forecast.report.coalitions import coalition_note, coalitions_table
from forecast.report.cores import cores_note, cores_table, in_government_table
from forecast.report.diagnostics import convergence, diagnostics_section
from forecast.report.findings import findings
from forecast.report.formation import formation_section, plot_formation_days
from forecast.report.formats import list_names
from forecast.report.methods import methods
from forecast.report.power import plot_power, power_table
from forecast.report.provinces import plot_provinces, tile_layout
from forecast.report.risk import risk_figure, risk_section
from forecast.report.scenarios import scenario_section
from forecast.report.seats import lists_table, plot_seats
from forecast.report.sources import priors, provenance
from forecast.report.style import STYLE, list_colours
from forecast.run.pipeline import ForecastResult
from forecast.run.results import summarise

__all__ = ["DATA_FILE", "REPORT_FILE", "TEMPLATES", "render_report", "report_data"]

log = logging.getLogger("forecast")

REPORT_FILE = "report.pdf"
DATA_FILE = "report.json"
TEMPLATES = Path("reports") / "templates"
_ENGINE_ROOT = Path(__file__).resolve().parents[2]  # the source tree that holds reports/templates


def _meta(result: ForecastResult, summary: Mapping[str, Any]) -> dict[str, str]:
    """Gather the title page's facts: election, dates, house, samples and the run's identity."""
    spec = result.spec
    return {
        "title": spec.report.title or spec.election.name,
        "subtitle": spec.report.subtitle,
        "election": spec.election.name,
        "election_date": spec.election.date.strftime("%-d %B %Y"),
        "cutoff": spec.election.information_cutoff.strftime("%-d %B %Y"),
        "house_size": str(summary["house_size"]),
        "majority": str(summary["majority"]),
        "samples": f"{summary['samples']:,}",
        "spec_hash": summary["spec_hash"],
        "seed": str(summary["seed"]),
        "version": summary.get("version", __version__),
        "spec_file": spec.source_file.name if spec.source_file else "",
    }


def report_data(result: ForecastResult, summary: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the template prints, formatted: the content of ``report.json``.

    Parameters
    ----------
    result : ForecastResult
        A finished run (fresh, or read back by :func:`forecast.run.results.load_result`).
    summary : Mapping, optional
        ``summarise(result)``, when already computed.

    Returns
    -------
    dict
        JSON-ready: ``meta``, ``convergence``, ``findings``, ``lists``, ``cores``,
        ``cores_note``, ``in_government``, ``coalitions``, ``coalition_note``, ``power``,
        ``formation``, ``risk``, ``methods``, ``priors``, ``provenance``, ``diagnostics``, and
        ``scenarios`` / ``backtest`` only when the summary has them.
    """
    summary = summarise(result) if summary is None else summary
    names = list_names(summary)
    top = result.spec.report.top_coalitions
    coalitions = coalitions_table(summary, names, top)
    data: dict[str, Any] = {
        "meta": _meta(result, summary),
        "convergence": convergence(summary, result.posterior.attrs),
        "findings": findings(result, summary, names, top=top),
        "lists": lists_table(summary, names),
        "cores": cores_table(summary, names, top),
        "cores_note": cores_note(summary, top),
        "in_government": in_government_table(summary, names),
        "coalitions": coalitions,
        "coalition_note": coalition_note(result.coalitions, summary, len(coalitions)),
        "power": power_table(result.power, names),
        "formation": formation_section(result, summary),
        "risk": risk_section(result, summary),
        "methods": methods(result, summary),
        "priors": priors(result),
        "provenance": provenance(result.data),
        "diagnostics": diagnostics_section(result, summary),
    }
    if summary.get("scenario_details"):
        data["scenarios"] = scenario_section(summary["scenario_details"], names)
    if summary.get("backtest") is not None:
        data["backtest"] = backtest_section(summary["backtest"], names)
    return data


# ---- figures and compilation ---------------------------------------------------------------------


def _figures(result: ForecastResult, summary: Mapping[str, Any]) -> dict[str, Callable[[], Figure]]:
    """Name each figure of the report with the call that draws it, in the report's order."""
    # colours follow the spec's list order, so a list keeps its colour from one run to the next
    order = [*result.spec.party_ids, *(r["party"] for r in summary["lists"])]
    colours = list_colours(list(dict.fromkeys(order)))
    names = {r["party"]: r["name"] for r in summary["lists"]}
    communities = {c.id: c.name for c in result.spec.community}
    layout = tile_layout(result.data)
    figures = {
        "seats": lambda: plot_seats(summary, colours=colours),
        "provinces": lambda: plot_provinces(summary, layout=layout, colours=colours),
        "power": lambda: plot_power(result.power, names=names, colours=colours),
        "formation_days": lambda: plot_formation_days(result.coalitions),
        "risk": lambda: risk_figure(result.risk, communities),
    }
    calibration = calibration_tables(summary.get("backtest"))
    if calibration:
        figures["calibration"] = lambda: plot_calibration(calibration)
    return figures


def _write_figures(
    result: ForecastResult, summary: Mapping[str, Any], folder: Path
) -> dict[str, str]:
    """Save each figure as SVG in ``folder``; return the file names by figure."""
    out = {}
    with mpl.rc_context(STYLE):
        for name, draw in _figures(result, summary).items():
            fig = draw()
            path = folder / f"{name}.svg"
            fig.savefig(path, format="svg", metadata={"Date": None})
            out[name] = path.name
    return out


def _template(result: ForecastResult) -> Path:
    """Find the spec's template: in the project's ``reports/templates``, else the engine's."""
    spec = result.spec
    folders = [spec.root / TEMPLATES, _ENGINE_ROOT / TEMPLATES]
    for folder in folders:
        path = folder / spec.report.template
        if path.is_file():
            return path
    raise SpecError(
        f"report template '{spec.report.template}' not found in "
        + " or ".join(str(f) for f in dict.fromkeys(folders)),
        file=spec.source_file,
        where="key 'report.template'",
    )


def _compile(main: Path, folder: Path) -> bytes:
    """Compile the template in ``folder`` to PDF bytes; a template error names its line."""
    import matplotlib
    import typst

    # Typst's own fonts have no Arabic; matplotlib's DejaVu Sans does, so names in any script
    # the spec may use are typeset, from the same files on every machine (no system fonts).
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdf = typst.compile(
            str(main),
            root=str(folder),
            format="pdf",
            font_paths=[str(fonts)],
            ignore_system_fonts=True,
        )
    except RuntimeError as exc:  # typst.TypstError
        message = getattr(exc, "message", None) or str(exc).splitlines()[0]
        where = re.search(r"[\w.-]+\.typ:(\d+):\d+", getattr(exc, "diagnostic", "") or "")
        raise ForecastError(
            f"the report template failed to compile: {message}",
            file=main.name,
            where=f"line {where.group(1)}" if where else None,
        ) from exc
    if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF"):
        raise ForecastError("the report template produced no PDF", file=main.name)
    return pdf


def render_report(result: ForecastResult, *, out_path: Path | None = None) -> Path:
    """Write the PDF risk report of a forecast.

    Parameters
    ----------
    result : ForecastResult
        A finished run; nothing is refitted or resampled.
    out_path : Path, optional
        Where to write the PDF; defaults to ``result.out_dir / "report.pdf"``.

    Returns
    -------
    Path
        The PDF, written atomically: a failed render leaves any earlier report untouched.

    Raises
    ------
    SpecError
        When ``spec.report.template`` is not in ``reports/templates/``.
    ForecastError
        When the template does not compile.
    """
    out = Path(out_path) if out_path is not None else Path(result.out_dir) / REPORT_FILE
    summary = summarise(result)
    if summary.get("backtest") is None:
        backtest = saved_backtest(result)
        summary = summary if backtest is None else {**summary, "backtest": backtest}
    data = report_data(result, summary)
    template = _template(result)
    with tempfile.TemporaryDirectory(prefix="forecast-report-") as tmp:
        folder = Path(tmp)
        data["figures"] = _write_figures(result, summary, folder)
        data["meta"]["rendered"] = dt.date.today().isoformat()
        (folder / DATA_FILE).write_text(
            json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8"
        )
        for part in template.parent.glob("*.typ"):  # the template and any file it imports
            shutil.copy(part, folder / part.name)
        pdf = _compile(folder / template.name, folder)
    write_atomic(out, lambda tmp: tmp.write_bytes(pdf))
    log.info("report written: %s (%d KB)", out, len(pdf) // 1024)
    return out
