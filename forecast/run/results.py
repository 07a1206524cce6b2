"""A run's files: ``result.nc`` (everything), ``summary.json`` (headlines), ``seats_draws.csv``.

``summarise`` computes the headline numbers from the stage objects (no modelling here, only
counting and quantiles); ``save_result`` writes the three files atomically; ``load_result``
reads a saved run back for ``forecast report``, refusing one whose identity does not match.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from rich.markup import escape
from rich.table import Table

from forecast import __version__, dims
from forecast.data.spec import ForecastSpec
from forecast.data.tables import write_atomic
from forecast.errors import StoreError
from forecast.government.headlines import (
    core_by_mean_seats,
    cores_summary,
    risk_communities,
    risk_shares,
    scenario_mechanisms,
)
from forecast.run.pipeline import ForecastResult
from forecast.run.scale import largest_share
from forecast.run.store import json_attr, load_tree, save_tree

__all__ = [
    "RESULT_FILE",
    "SUMMARY_FILE",
    "SEATS_FILE",
    "largest_lists",
    "scenario_rows",
    "scenario_table",
    "settings_text",
    "summarise",
    "save_result",
    "load_result",
]

RESULT_FILE = "result.nc"
SUMMARY_FILE = "summary.json"
SEATS_FILE = "seats_draws.csv"
STAGES = ("data", "votes", "seats", "coalitions", "power", "risk")
TOP_COALITIONS = 20


def _q(x: np.ndarray, p: float) -> float:
    # inverted_cdf: a quantile of seat counts is itself a seat count
    return float(np.quantile(x, p, method="inverted_cdf"))


def _interval(x: np.ndarray, prob: float = 0.9) -> dict[str, float]:
    return {"median": _q(x, 0.5), "lo90": _q(x, (1 - prob) / 2), "hi90": _q(x, (1 + prob) / 2)}


def _lists(seats: xr.Dataset, spec: ForecastSpec) -> list[dict[str, Any]]:
    communities = {c.id: c.name for c in spec.community}
    quota = {
        q.party: f"{communities.get(q.community, q.community)} quota seats" for q in spec.law.quota
    }
    names = {p.id: p.name for p in spec.party} | quota
    shorts = {p.id: p.short or p.name for p in spec.party} | quota
    s = seats["seats"].transpose(dims.SAMPLE, dims.PARTY).values
    largest = largest_share(s)
    out = []
    for k, party in enumerate(seats[dims.PARTY].values):
        col = s[:, k]
        out.append(
            {
                "party": str(party),
                "name": names.get(str(party), str(party)),
                "short": shorts.get(str(party), str(party)),
                "seats_mean": round(float(col.mean()), 2),
                "seats_median": _q(col, 0.5),
                "seats_lo90": _q(col, 0.05),
                "seats_hi90": _q(col, 0.95),
                "seats_lo50": _q(col, 0.25),
                "seats_hi50": _q(col, 0.75),
                "p_largest": round(float(largest[:, k].mean()), 4),
            }
        )
    return sorted(out, key=lambda r: -r["seats_mean"])


def _coalitions(table: xr.Dataset, risk: xr.Dataset) -> list[dict[str, Any]]:
    order = np.argsort(-table["p_form"].values)[:TOP_COALITIONS]
    out = []
    for i in order:
        label = str(table[dims.COALITION].values[i])
        members = table["members"].isel({dims.COALITION: i})
        seats = table["seats"].isel({dims.COALITION: i}).values
        out.append(
            {
                "label": label,
                "members": [str(p) for p in members[dims.PARTY].values[members.values]],
                "core": core_by_mean_seats(table, members.values),
                "seats_median": _q(seats, 0.5),
                "seats_lo90": _q(seats, 0.05),
                "seats_hi90": _q(seats, 0.95),
                "p_majority": round(float(table["p_majority"].values[i]), 4),
                "p_form": round(float(table["p_form"].values[i]), 4),
                "p_onset_any_if_formed": _maybe(risk["p_onset_any_given"], label),
            }
        )
    return out


def _maybe(da: xr.DataArray, label: str) -> float | None:
    if label not in da[dims.COALITION].values:
        return None
    value = float(da.sel({dims.COALITION: label}))
    return round(value, 5) if np.isfinite(value) else None


def _provinces(result: ForecastResult) -> list[dict[str, Any]]:
    votes = result.votes
    out = []
    names = dict(
        zip(result.data[dims.PROVINCE].values, result.data["province_name"].values, strict=True)
    )
    # the leading list among those that can win seats (pooled small lists cannot)
    contenders = votes["votes"].drop_sel(
        {dims.PARTY: list(result.spec.law.pooled)}, errors="ignore"
    )
    lead = contenders.argmax(dims.PARTY).values  # (sample, province)
    parties = contenders[dims.PARTY].values
    for j, prov in enumerate(votes[dims.PROVINCE].values):
        counts = np.bincount(lead[:, j], minlength=len(parties)) / lead.shape[0]
        k = int(np.argmax(counts))
        out.append(
            {
                "province": str(prov),
                "name": str(names[prov]),
                "turnout": {
                    k_: round(v, 4) for k_, v in _interval(votes["turnout"].values[:, j]).items()
                },
                "leading_list": str(parties[k]),
                "p_leading": round(float(counts[k]), 4),
            }
        )
    return out


def largest_lists(found: list[dict[str, Any]], n: int) -> list[str]:
    """Return the ``n`` lists with most seats on average in the first (baseline) scenario."""
    base = found[0]["lists"]
    return sorted(base, key=lambda p: -base[p]["seats_mean"])[:n]


def settings_text(settings: dict[str, Any]) -> str:
    """Return a scenario's settings as ``key = value`` text, values as TOML writes them."""
    return "; ".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())


def _seat_interval(row: dict[str, Any]) -> str:
    """Format a list's seats as ``median [lo90, hi90]``."""
    return f"{row['seats_median']} [{row['seats_lo90']}, {row['seats_hi90']}]"


def scenario_rows(found: list[dict[str, Any]], *, lists: int = 3) -> list[dict[str, Any]]:
    """Lay out one flat row per scenario for tables.

    A row has the seats of the baseline's largest lists, the likeliest government core (its
    exact variants merged), the likeliest prime minister's list, the delay and the conflict risk.
    """
    top = largest_lists(found, lists)
    rows = []
    for h in found:
        core = h["cores"][0] if h.get("cores") else {"label": "", "p": 0.0}
        pm, p_pm = next(iter(h["p_pm"].items()), ("", 0.0))
        settings = settings_text(h["settings"])
        rows.append(
            {
                "scenario": h["scenario"],
                "changes": settings or "none",
                **{p: _seat_interval(h["lists"][p]) for p in top},
                "likeliest_core": f"{core['label']} ({core['p']:.0%})",
                "prime_minister": f"{pm} ({p_pm:.0%})",
                "days_median": h["formation_days"]["median"],
                "p_onset_any": h["conflict_risk"]["p_onset_any"],
            }
        )
    return rows


def scenario_table(found: list[dict[str, Any]]) -> Table:
    """Return the scenarios beside the baseline, as a terminal table."""
    rows = scenario_rows(found)
    table = Table(title="Scenarios (seats: median [90% interval])")
    for col in rows[0]:
        table.add_column(col.replace("_", " "))
    for row in rows:
        table.add_row(*(escape(str(v)) for v in row.values()))
    return table


def summarise(result: ForecastResult) -> dict[str, Any]:
    """Return a run's headline numbers, as written to ``summary.json`` (schema in the README)."""
    table, risk, power = result.coalitions, result.risk, result.power
    post = result.posterior.attrs
    return {
        "election": result.spec.election.id,
        "election_name": result.spec.election.name,
        "samples": int(result.seats.sizes[dims.SAMPLE]),
        "house_size": result.spec.law.house_size,
        "majority": result.spec.law.majority_seats,
        "lists": _lists(result.seats, result.spec),
        "coalitions": _coalitions(table, risk),
        "government": cores_summary(table, risk),
        "p_pm": {
            str(k): round(float(v), 4)
            for k, v in table["p_pm"].to_series().sort_values(ascending=False).items()
        },
        "power_indices": {
            str(p): {
                "banzhaf_mean": round(float(power["banzhaf_mean"].sel({dims.PARTY: p})), 4),
                "shapley_shubik_mean": round(
                    float(power["shapley_shubik_mean"].sel({dims.PARTY: p})), 4
                ),
                "p_most_pivotal": round(float(power["p_most_pivotal"].sel({dims.PARTY: p})), 4),
                "banzhaf_per_seat_share": round(
                    float(power["banzhaf_per_seat_share"].sel({dims.PARTY: p})), 3
                ),
            }
            for p in power[dims.PARTY].values
        },
        "formation_days": {
            "median": round(float(table["formation_days_median"]), 1),
            "lo90": round(float(table["formation_days_eti"].sel({dims.CI_BOUND: "lower"})), 1),
            "hi90": round(float(table["formation_days_eti"].sel({dims.CI_BOUND: "upper"})), 1),
            "p_over_6_months": round(float(table["p_formation_over"]), 4),
            "p_not_within_term": round(float(table["p_formation_censored"]), 4),
        },
        "conflict_risk": {
            "overall": {
                "p_onset_any": round(float(risk["p_onset_any"]), 5),
                "lo90": round(float(risk["p_onset_any_eti"].sel({dims.CI_BOUND: "lower"})), 5),
                "hi90": round(float(risk["p_onset_any_eti"].sel({dims.CI_BOUND: "upper"})), 5),
            },
            "communities": risk_communities(risk),
            "drivers": risk_shares(risk),
            "horizon": "one year after government formation (group-year onset; continuation "
            "or escalation for a community already at war)",
        },
        "provinces": _provinces(result),
        "diagnostics": {
            "rhat_max": float(post["rhat_max"]),
            "ess_bulk_min": float(post["ess_bulk_min"]),
            "divergences": int(post["divergences"]),
            "converged": bool(int(post["converged"])),
            "sampler": str(post["sampler"]),
            "fit_attempts": json_attr(post.get("fit_attempts")) or [],
        },
        "ppc": result.checks,
        **(
            {
                "scenarios": scenario_rows(result.scenarios),
                "scenario_details": scenario_mechanisms(result.spec, result.scenarios),
            }
            if result.scenarios
            else {}
        ),
        **({"leave_out": result.leave_out} if result.leave_out else {}),
        "timings_seconds": result.timings,
        "spec_hash": result.spec_hash,
        "seed": result.seed,
        "version": __version__,
    }


def _result_tree(result: ForecastResult) -> xr.DataTree:
    nodes: dict[str, xr.Dataset] = {
        "/": xr.Dataset(
            attrs={
                "spec_hash": result.spec_hash,
                "seed": result.seed,
                "forecast_version": __version__,
                "checks": json.dumps(result.checks),
                "timings": json.dumps(result.timings),
                "scenarios": json.dumps(result.scenarios),
                "leave_out": json.dumps(result.leave_out),
            }
        )
    }
    for name in STAGES:
        nodes[f"/{name}"] = getattr(result, name)
    for path, node in result.posterior.subtree_with_keys:
        if path not in (".", "posterior"):  # the draws are in posterior.nc, not copied here
            nodes[f"/fit/{path}"] = node.to_dataset()
    tree = xr.DataTree.from_dict(nodes)
    tree["fit"].attrs.update(result.posterior.attrs)
    return tree


def save_result(result: ForecastResult) -> dict[str, Path]:
    """Write ``result.nc``, ``summary.json`` and ``seats_draws.csv`` into ``result.out_dir``."""
    out = result.out_dir
    summary = json.dumps(summarise(result), indent=2)
    seats = result.seats["seats"].to_pandas()
    paths = {
        "result": save_tree(_result_tree(result), out / RESULT_FILE),
        "summary": write_atomic(out / SUMMARY_FILE, lambda tmp: tmp.write_text(summary)),
        "seats": write_atomic(out / SEATS_FILE, lambda tmp: seats.to_csv(tmp)),
    }
    return paths


def load_result(out_dir: Path, spec: ForecastSpec, *, spec_hash: str) -> ForecastResult:
    """Read a saved run back (for re-rendering the report without refitting)."""
    tree = load_tree(Path(out_dir) / RESULT_FILE, spec_hash=spec_hash)
    try:
        parts = {name: tree[name].to_dataset() for name in STAGES}
        fit = tree["fit"]
    except KeyError as exc:
        raise StoreError(
            f"saved result lacks the {exc} stage", file=Path(out_dir) / RESULT_FILE
        ) from None
    for obj in parts.values():  # lists were stored as JSON text (netCDF attrs are flat)
        for key, value in list(obj.attrs.items()):
            if isinstance(value, str) and value.startswith("["):
                obj.attrs[key] = json.loads(value)
    return ForecastResult(
        spec=spec,
        posterior=fit,
        spec_hash=spec_hash,
        seed=int(tree.attrs["seed"]),
        out_dir=Path(out_dir),
        checks=json.loads(tree.attrs.get("checks", "{}")),
        timings=json.loads(tree.attrs.get("timings", "{}")),
        scenarios=json.loads(tree.attrs.get("scenarios", "[]")),
        leave_out=json.loads(tree.attrs.get("leave_out", "[]")),
        **parts,
    )
