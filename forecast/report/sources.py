"""The report's sources: the priors with where each came from, and the data's provenance.

Priors are those the government and risk stages recorded in their attrs; provenance is each data
file's sidecar (title, sources, caveats and gaps).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr

from forecast.run.pipeline import ForecastResult
from forecast.run.store import json_attr

__all__ = ["priors", "provenance"]

# (result attribute, attr holding the prior table, section title) of each priors table
_PRIOR_SECTIONS = (
    ("coalitions", "priors_formation", "Which government forms (conditional logit)"),
    ("coalitions", "priors_duration", "How long formation takes (hazard model, log-hazard scale)"),
    ("risk", "priors_risk", "Conflict onset risk (group-year logit)"),
)


def _prior_status(c: Mapping[str, Any]) -> str:
    """Say how a coefficient is marked: ``verified``, ``judgement``, both, or ``unverified``."""
    status = []
    if c.get("verified"):
        status.append("verified")
    if c.get("judgemental"):
        status.append("judgement")
    return "; ".join(status) or "unverified"


def priors(result: ForecastResult) -> list[dict[str, Any]]:
    """Lay out each stage's prior coefficients: term, mean, sd, status and source."""
    out = []
    for stage, attr, title in _PRIOR_SECTIONS:
        table = json_attr(getattr(result, stage).attrs.get(attr))
        rows = []
        for term, c in sorted(table.items() if isinstance(table, Mapping) else []):
            rows.append(
                {
                    "term": term.replace("_", " "),
                    "mean": f"{float(c['mean']):.4g}",
                    "sd": f"{float(c['sd']):.3g}",
                    "status": _prior_status(c),
                    "source": str(c.get("source", "")),
                }
            )
        out.append({"title": title, "rows": rows})
    return out


def provenance(data: xr.Dataset) -> list[dict[str, Any]]:
    """Lay out one row per data file from the provenance the ingest recorded in ``data.attrs``."""
    prov = json_attr(data.attrs.get("provenance", {}))
    if not isinstance(prov, Mapping):
        return []
    rows = []
    for file, meta in sorted(prov.items()):
        meta = meta if isinstance(meta, Mapping) else {}
        rows.append(
            {
                "file": str(file),
                "title": str(meta.get("title", "")),
                "sources": ", ".join(map(str, meta.get("sources", []) or [])),
                "retrieved": str(meta.get("retrieved", "")),
                "caveats": [str(x) for x in meta.get("caveats", []) or []],
                "gaps": [str(x) for x in meta.get("gaps", []) or []],
            }
        )
    return rows
