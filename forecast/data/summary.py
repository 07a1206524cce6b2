"""Plain summaries of stage objects for the terminal (no statistics beyond counting)."""

from __future__ import annotations

import csv
import io

import numpy as np
import xarray as xr
from rich.table import Table

from forecast import dims
from forecast.data.spec import ForecastSpec

__all__ = ["data_csv", "data_summary", "data_table"]


def data_summary(data: xr.Dataset, spec: ForecastSpec) -> list[dict[str, object]]:
    """One row per election: coverage of votes, valid votes, turnout and the gaps.

    Parameters
    ----------
    data : xr.Dataset
        ElectionData, dims (election, province, party).
    """
    rows = []
    target = data.attrs["target_election"]
    for e in data[dims.ELECTION].values:
        d = data.sel({dims.ELECTION: e})
        contested = d["contested"].values
        known = contested & np.isfinite(d["votes"].values)
        rows.append(
            {
                "election": str(e),
                "date": str(d["election_date"].values),
                "role": "target" if e == target else "evidence",
                "provinces_voted": int(d["voted"].sum()),
                "provinces": int(d.sizes[dims.PROVINCE]),
                "lists": int(contested.any(axis=0).sum()) if e != target else len(spec.party),
                "votes_known": int(np.nansum(np.where(known, d["votes"].values, 0))),
                "vote_cells_gap": int((contested & ~known).sum()),
                "valid_known": int(np.isfinite(d["valid_votes"].values).sum()),
                "registered_known": int(np.isfinite(d["registered"].values).sum()),
                "turnout_known": int(np.isfinite(d["turnout_pct"].values).sum()),
                "seats": int(np.nansum(d["magnitude"].values)),
            }
        )
    return rows


def data_table(rows: list[dict[str, object]]) -> Table:
    """Return a rich table of :func:`data_summary` rows."""
    table = Table(title="Election data", header_style="bold")
    heads = {
        "election": "election",
        "date": "date",
        "role": "role",
        "provinces_voted": "provinces voted",
        "lists": "lists",
        "votes_known": "votes known",
        "vote_cells_gap": "vote gaps",
        "valid_known": "valid known",
        "registered_known": "registered known",
        "turnout_known": "turnout known",
        "seats": "district seats",
    }
    for key, head in heads.items():
        justify = "left" if key in ("election", "date", "role") else "right"
        table.add_column(head, justify=justify)
    for r in rows:
        cells = [f"{r[k]:,}" if isinstance(r[k], int) else str(r[k]) for k in heads]
        cells[3] = f"{r['provinces_voted']}/{r['provinces']}"
        table.add_row(*cells)
    return table


def data_csv(rows: list[dict[str, object]]) -> str:
    """Return :func:`data_summary` rows as CSV text with a header row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
