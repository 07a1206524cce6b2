"""A tiny but complete synthetic project (spec + data files with sidecars).

Three provinces, three lists, one minority quota seat and a compensatory tier: small enough to fit
in seconds, complete enough to run every stage. Tests, benchmarks (default-settings convergence,
simulation-based calibration) and users trying the engine write it with ``write_toy_project``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

__all__ = ["SIDECAR", "TOY_FILES", "TOY_SPEC", "write_toy_project"]

SIDECAR = textwrap.dedent(
    """\
    title = "synthetic test table"
    sources = ["TEST"]
    retrieved = 2026-01-01
    licence = "CC0"
    caveats = ["made up for tests"]
    gaps = []
    """
)

TOY_SPEC = textwrap.dedent(
    """\
    [election]
    id = "toy_2010"
    name = "Toyland 2010"
    country = "toyland"
    date = 2010-03-07
    kind = "parliamentary"
    information_cutoff = 2010-03-01

    [data]
    provinces = "data/toy/provinces.csv"
    communities = "data/toy/communities.csv"
    target = "data/toy/2010"

    [[evidence]]
    id = "e2005"
    path = "data/toy/2005"
    date = 2005-12-15
    kind = "parliamentary"

    [law]
    house_size = 24
    tie_rule = "list_order"

    [law.district]
    method = "dhondt"
    threshold = 0.05

    [[law.quota]]
    community = "minority"
    party = "minority_quota"
    seats = 1
    province = "north"
    source = "test"

    [law.compensatory]
    seats = 3

    [[party]]
    id = "alpha"
    name = "Alpha List"
    bloc = "left"
    community_base = { majority = 1.0 }

    [[party]]
    id = "beta"
    name = "Beta List"
    bloc = "right"
    community_base = { majority = 0.5, minority = 0.5 }

    [[party]]
    id = "other"
    name = "Other lists"
    bloc = "other"
    community_base = { majority = 1.0 }

    [[community]]
    id = "majority"
    name = "Majority"
    relative_size = 0.8
    size_source = "test"

    [[community]]
    id = "minority"
    name = "Minority"
    relative_size = 0.2
    size_source = "test"

    [[lineage]]
    election = "e2005"
    source = "a_old"
    shares = { alpha = 0.8, other = 0.2 }
    concentration = 10.0

    [[lineage]]
    election = "e2005"
    source = "b_old"
    shares = { beta = 1.0 }
    concentration = 10.0

    [risk]
    log_gdp_per_capita = 8.0
    gdp_source = "test"

    [sampler]
    backend = "pymc"
    chains = 2
    draws = 50
    retries = 0
    tune = 50
    samples = 100
    """
)

TOY_FILES = {
    "data/toy/provinces.csv": "province,province_name\nnorth,North\ncentre,Centre\nsouth,South\n",
    "data/toy/communities.csv": (
        "province,community,share,label\nnorth,minority,0.6,\nnorth,majority,0.4,\n"
        "centre,majority,0.9,Majority\nsouth,majority,,Majority\nnorth,mixed,,Mixed\n"
    ),
    "data/toy/2005/parties.csv": "party,party_name\na_old,A Old\nb_old,B Old\nc_old,C Old\n",
    "data/toy/2005/votes.csv": (
        "province,party,votes\nnorth,a_old,100\nnorth,b_old,300\nnorth,c_old,50\n"
        "centre,a_old,400\ncentre,b_old,200\ncentre,c_old,\nsouth,a_old,500\nsouth,b_old,100\n"
    ),
    "data/toy/2005/turnout.csv": (
        "province,registered,valid,turnout_pct\nnorth,900,460,52\ncentre,1000,650,\nsouth,,,\n"
    ),
    "data/toy/2005/magnitude.csv": "province,seats\nnorth,5\ncentre,6\nsouth,7\n",
    "data/toy/2010/magnitude.csv": "province,seats\nnorth,6\ncentre,7\nsouth,7\n",
    "data/toy/2010/electorate.csv": "province,registered\nnorth,950\ncentre,1050\nsouth,1200\n",
}


def write_toy_project(root: Path) -> Path:
    """Write the toy project under ``root``; return the spec path."""
    for rel, content in TOY_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        path.with_name(path.stem + ".source.toml").write_text(SIDECAR, encoding="utf-8")
    spec = root / "models" / "toy_2010.toml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(TOY_SPEC, encoding="utf-8")
    return spec
