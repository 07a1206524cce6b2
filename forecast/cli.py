"""The ``forecast`` command: a thin shell that validates input, calls one stage, reports.

Every failure is one sentence naming the file, row or key and field, with a non-zero exit code:
2 spec error, 3 data error, 4 convergence failure, 5 stored artefact mismatch.
"""

from __future__ import annotations

import json
import logging
import tomllib
import warnings
from collections.abc import Callable
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from forecast.errors import ForecastError, SpecError
from forecast.log import console, err_console, setup_logging

# Third-party notices that say nothing about this run: not shown to users of the command.
warnings.filterwarnings("ignore", message=".*could not link to a BLAS installation.*")

app = typer.Typer(
    name="forecast",
    help="Forecast elections in divided societies: votes, seats, coalitions and conflict risk.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log = logging.getLogger("forecast")

# The spec run, scenario and report take when none is given: the project's own setting.
DEFAULT_SPEC_HELP = "spec file (default: tool.forecast.default_spec of ./pyproject.toml)"
SpecArg = Annotated[Path, typer.Argument(help="spec file (models/*.toml)")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="show debug messages")]
LEAVE_OUT_HELP = (
    "refit without each past election and the polls in turn (light fits): what would change it"
)
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="show warnings and errors only")]
Scheduler = Annotated[
    str | None,
    typer.Option(
        help=(
            "where post-fit chunks run: threads (default), sync, processes, "
            "or a dask scheduler address"
        )
    ),
]


class SummaryFormat(str, Enum):
    """How ``check-data`` prints its summary."""

    table = "table"
    csv = "csv"
    json = "json"


def _spec_or_default(spec_path: Path | None) -> Path:
    """Return the spec given, else ``[tool.forecast] default_spec`` of ./pyproject.toml."""
    if spec_path is not None:
        return spec_path
    config = Path("pyproject.toml")
    try:
        default = tomllib.loads(config.read_text(encoding="utf-8"))["tool"]["forecast"]
        return Path(default["default_spec"])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        raise SpecError(
            "no spec given, and no [tool.forecast] default_spec in pyproject.toml here to take",
            file=config.resolve(),
        ) from None


def _command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn engine errors into one red sentence and the error's exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        setup_logging(verbose=kwargs.get("verbose", False), quiet=kwargs.get("quiet", False))
        try:
            return func(*args, **kwargs)
        except ForecastError as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(exc.exit_code) from None

    return wrapper


@app.command("check-data")
@_command
def check_data(
    spec_path: SpecArg,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="also write the summary as JSON here")
    ] = None,
    fmt: Annotated[
        SummaryFormat, typer.Option("--format", help="summary on stdout: table, csv or json")
    ] = SummaryFormat.table,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Validate a spec and every data table it names; print a summary."""
    from forecast.data.ingest import ingest_election
    from forecast.data.spec import load_spec
    from forecast.data.summary import data_csv, data_summary, data_table
    from forecast.data.tables import write_atomic
    from forecast.run.dryrun import dry_run
    from forecast.seats.bind import bind_law

    spec = load_spec(spec_path)
    spec, data = bind_law(spec, ingest_election(spec))
    dry_run(spec, data)  # every check the run makes after the fit, made now
    rows = data_summary(data, spec)
    payload = json.dumps({"spec": str(spec_path), "elections": rows}, indent=2)
    if json_out is not None:
        write_atomic(json_out, lambda tmp: tmp.write_text(payload))
    if fmt is not SummaryFormat.table:  # machine-readable: nothing else on stdout
        typer.echo(data_csv(rows) if fmt is SummaryFormat.csv else payload, nl=False)
        return
    if not quiet:
        console.print(data_table(rows))
        law = spec.law
        console.print(
            f"Target {spec.election.id}: {law.house_size} seats = "
            f"{law.house_size - law.reserved_seats} district + "
            f"{sum(q.seats for q in law.quota)} quota + {law.compensatory.seats} compensatory; "
            f"majority {law.majority_seats}; {len(spec.party)} lists; "
            f"{len(spec.lineage)} lineage rows; {len(spec.scenario)} scenarios."
        )
    console.print("[green]spec and data are valid[/]")


@app.command("seats")
@_command
def seats(
    spec_path: SpecArg,
    votes: Annotated[Path, typer.Option("--votes", help="CSV: province,party,votes")],
    out: Annotated[
        Path | None, typer.Option("--out", help="write the allocation here (CSV)")
    ] = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Allocate seats for one set of actual votes under the spec's electoral law."""
    from forecast.seats.command import seats_command, seats_table

    result = seats_command(spec_path, votes, out)
    if not quiet:
        console.print(seats_table(result))


@app.command("run")
@_command
def run(
    spec_path: Annotated[Path | None, typer.Argument(help=DEFAULT_SPEC_HELP)] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (default: the spec's)")] = None,
    draws: Annotated[int | None, typer.Option(help="posterior predictive samples")] = None,
    out: Annotated[Path | None, typer.Option(help="output folder")] = None,
    leave_out: Annotated[
        bool, typer.Option("--leave-out/--no-leave-out", help=LEAVE_OUT_HELP)
    ] = True,
    scheduler: Scheduler = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Run the whole forecast for a spec (and its scenario blocks); write the results and PDF."""
    _run_and_write(
        _spec_or_default(spec_path),
        seed=seed,
        draws=draws,
        out=out,
        scheduler=scheduler,
        quiet=quiet,
        leave_out=leave_out,
    )


@app.command("scenario")
@_command
def scenario(
    spec_path: Annotated[Path | None, typer.Argument(help=DEFAULT_SPEC_HELP)] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="KEY=VALUE, repeatable: turnout.<community>=0.5, swing.<list>=0.05, ..."
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="name of the --set scenario")] = "what_if",
    seed: Annotated[int | None, typer.Option(help="random seed (default: the spec's)")] = None,
    draws: Annotated[int | None, typer.Option(help="posterior predictive samples")] = None,
    out: Annotated[Path | None, typer.Option(help="output folder")] = None,
    scheduler: Scheduler = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Run scenarios beside the baseline on the fitted posterior (fitting only when none is saved).

    The --set settings form one scenario, run with the spec's own scenario blocks. Keys:
    turnout.<community> (factor), boycott.<community>, swing.<list> (share points),
    merge.<list> (lists joining it), split.<list>.<to> (share), veto.<list>.<list>
    (true/false), and fields of the post-fit sections (law., coalitions., formation.,
    duration., risk.).
    """
    from forecast.data.spec import load_spec
    from forecast.run.scenarios import parse_assignments, parse_scenario

    spec_path = _spec_or_default(spec_path)
    spec = load_spec(spec_path)
    extra = (
        [
            parse_scenario(
                spec, name, parse_assignments(settings), description="from the command line"
            )
        ]
        if settings
        else []
    )
    if not extra and not spec.scenario:
        raise SpecError(
            "no scenario: give --set KEY=VALUE or add [[scenario]] blocks", file=spec_path
        )
    result = _run_and_write(
        spec_path,
        seed=seed,
        draws=draws,
        out=out,
        scheduler=scheduler,
        quiet=quiet,
        scenarios=extra,
    )
    if not quiet:
        from forecast.run.results import scenario_table

        console.print(scenario_table(result.scenarios))


def _run_and_write(
    spec_path: Path,
    *,
    seed: int | None,
    draws: int | None,
    out: Path | None,
    scheduler: str | None,
    quiet: bool,
    scenarios: list[Any] | None = None,
    leave_out: bool = False,
) -> Any:
    """Run the forecast (and its leave-one-out refits), save its files and render the report."""
    from forecast.data.spec import load_spec

    spec = load_spec(spec_path)  # validate before importing the heavy stages

    from forecast.report.render import render_report
    from forecast.run.pipeline import run_forecast
    from forecast.run.results import save_result

    result = run_forecast(
        spec,
        seed=seed,
        draws=draws,
        out_dir=out,
        progress=not quiet,
        scenarios=scenarios,
        scheduler=scheduler,
    )
    if leave_out:
        from forecast.run.leave_out import leave_one_out

        result = leave_one_out(result, progress=not quiet, scheduler=scheduler)
    paths = save_result(result)
    pdf = render_report(result)
    for name, path in {**paths, "report": pdf}.items():
        log.info("wrote %s: %s", name, path)
    console.print(f"Report: {pdf}")
    return result


@app.command("fit-priors")
@_command
def fit_priors(
    out: Annotated[
        Path, typer.Option(help="TOML file to write: the formation and duration sections of a spec")
    ] = Path("data/parlgov/fitted_priors.toml"),
    seed: Annotated[int, typer.Option(help="seed of the held-out split and the samplers")] = (
        20231104
    ),
    draws: Annotated[int, typer.Option(help="posterior draws per chain of each fit")] = 1000,
    tune: Annotated[int, typer.Option(help="tuning steps per chain of each fit")] = 1000,
    chains: Annotated[int, typer.Option(help="chains of each fit")] = 4,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Fit the formation and duration priors on ParlGov's formations; write them as spec TOML."""
    from forecast.government.fitting import fit_priors as fit

    result = fit(out, seed, draws=draws, tune=tune, chains=chains)
    if not quiet:
        for name, scores in result.heldout.items():
            console.print(
                f"held-out {name}: mean rank {scores['mean_rank']:.1f}, "
                f"log score {scores['mean_log_score']:.2f}"
            )
    console.print(f"Priors: {out}")


@app.command("report")
@_command
def report(
    result_dir: Annotated[Path, typer.Argument(help="folder of a finished run (has result.nc)")],
    spec_path: Annotated[
        Path | None, typer.Option("--spec", help=f"spec the run was made with; {DEFAULT_SPEC_HELP}")
    ] = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Re-render the PDF report of a saved run without refitting."""
    from forecast.data.ingest import ingest_election
    from forecast.data.spec import load_spec
    from forecast.report.render import render_report
    from forecast.run.results import load_result
    from forecast.run.store import data_hash

    spec = load_spec(_spec_or_default(spec_path))
    key = data_hash(spec, ingest_election(spec))
    result = load_result(result_dir, spec, spec_hash=key)
    pdf = render_report(result)
    console.print(f"Report: {pdf}")


@app.command("backtest")
@_command
def backtest(
    spec_path: SpecArg,
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="folder of the actual results (an election folder)"),
    ] = None,
    rolling: Annotated[
        bool,
        typer.Option(
            "--rolling",
            help="backtest every spec of the same country in the spec's folder up to its date, "
            "each against its own target folder, and pool the scores",
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option(help="output folder")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (default: the spec's)")] = None,
    samples: Annotated[int | None, typer.Option(help="posterior predictive samples")] = None,
    no_polls: Annotated[bool, typer.Option("--no-polls", help="without the spec's polls")] = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Forecast a past election from the spec's evidence and score it against the actual results."""
    from forecast.data.spec import load_spec

    spec = load_spec(spec_path).with_polls(not no_polls)  # validate before the heavy stages
    if rolling:
        _rolling(
            spec_path,
            out or spec.root / "reports" / "rolling" / spec.election.country,
            seed=seed,
            samples=samples,
            quiet=quiet,
            polls=not no_polls,
        )
        return
    if truth is None:
        raise SpecError("give the actual results with --truth FOLDER, or use --rolling")

    from forecast.evaluate.backtest import run_backtest, scores_table
    from forecast.report.render import render_report

    done = run_backtest(spec, truth, out_dir=out, seed=seed, samples=samples, progress=not quiet)
    done.paths["report"] = render_report(done.result)
    for name, path in done.paths.items():
        log.info("wrote %s: %s", name, path)
    if not quiet:
        console.print(scores_table(done.scores))
    console.print(f"Backtest: {done.paths['backtest']}")


def _rolling(
    spec_path: Path, out: Path, *, seed: int | None, samples: int | None, quiet: bool, polls: bool
):
    """Run the rolling backtest of the spec's country (``polls``: with its polls) and print it."""
    from forecast.evaluate.rolling import ROLLING_FILE, rolling_specs, rolling_table, run_rolling

    specs = [s.with_polls(polls) for s in rolling_specs(spec_path)]
    console.print(f"Rolling backtest of {', '.join(s.election.id for s in specs)}")
    found = run_rolling(specs, out, seed=seed, samples=samples, progress=not quiet)
    console.print(rolling_table(found))
    console.print(f"Rolling backtest: {out / ROLLING_FILE}")
