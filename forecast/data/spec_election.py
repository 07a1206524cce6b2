"""The election a spec forecasts and its evidence: target, data paths, past elections, lists.

The target election with its information cut-off, where its data tables are, the past
elections used as evidence, the lists standing (with their community base), where the voters
of past lists go (lineage), and the communities that matter for turnout and risk.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from forecast.data.spec_base import DataPath, Share, Slug, StrictSection, sums_to_one

__all__ = [
    "CommunitySpec",
    "DataPaths",
    "ElectionInfo",
    "EvidenceElection",
    "LineageRow",
    "PartySpec",
]


class ElectionInfo(StrictSection):
    """The target election: identity, date and the cut-off of what the forecast may know."""

    id: Slug
    name: str
    country: Slug
    date: dt.date
    kind: Literal["parliamentary", "provincial", "regional", "presidential_list", "constituent"]
    information_cutoff: dt.date = Field(
        description="Last day whose information the spec may use; must be before the election."
    )
    electorate: int | None = Field(
        default=None,
        gt=0,
        description="registered voters nationally; spread over provinces by district magnitude "
        "when the target folder has no electorate.csv",
    )
    electorate_source: str = ""

    @model_validator(mode="after")
    def _cutoff_before_election(self) -> ElectionInfo:
        if self.information_cutoff >= self.date:
            raise ValueError(
                f"information_cutoff {self.information_cutoff} must be before the election date "
                f"{self.date}: a forecast may not use what was learned on or after election day"
            )
        return self


class DataPaths(StrictSection):
    """Data tables of the target election and of the country, relative to the project root."""

    provinces: DataPath = Field(description="CSV: province, province_name[, iso_3166_2]")
    target: DataPath = Field(
        description="folder of the target election (magnitude.csv, electorate.csv)"
    )
    communities: DataPath | None = Field(
        default=None, description="CSV: province, community, share (gaps allowed)"
    )
    community_shares: DataPath | None = Field(
        default=None,
        description="CSV: province, community, share_low, share_mid, share_high: published "
        "estimates with their range, which override the communities table's shares; rows of "
        "province 'national' are the sources' national figures and are not read",
    )
    polls: DataPath | None = Field(
        default=None, description="CSV of published polls of the target (forecast.data.polls)"
    )
    regions: DataPath | None = Field(
        default=None, description="CSV: region, region_name, province: the scopes of polls"
    )


class EvidenceElection(StrictSection):
    """A past election whose results feed the model."""

    id: Slug
    path: DataPath
    date: dt.date
    kind: Literal["parliamentary", "provincial", "regional", "presidential_list", "constituent"]


class PartySpec(StrictSection):
    """A list standing in the target election."""

    id: Slug
    name: str
    short: str = Field(
        default="", description="name in figures and tables (default: the name), printed verbatim"
    )
    bloc: Slug
    community_base: dict[Slug, Share] = Field(
        description="share of the list's vote base by community; sums to 1"
    )
    base_note: str = Field(default="", description="why these shares (judgement or source)")

    @field_validator("community_base")
    @classmethod
    def _base_sums_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        return sums_to_one(v, "community_base shares")


class LineageRow(StrictSection):
    """Where the voters of one past list go in the target election.

    ``shares`` maps target lists (or ``other``) to the share of the past list's voters they take;
    the shares sum to 1. ``concentration`` is the Dirichlet concentration: how sure we are.
    """

    election: Slug
    source: Slug = Field(description="list slug in the past election's votes.csv")
    shares: dict[Slug, Share]
    concentration: float = Field(gt=0.0, le=10_000.0)
    note: str = ""

    @field_validator("shares")
    @classmethod
    def _shares_sum_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        return sums_to_one(v, "lineage shares")


class CommunitySpec(StrictSection):
    """A politically relevant community, for risk and for turnout composition."""

    id: Slug
    name: str
    relative_size: float = Field(gt=0.0, lt=1.0, description="share of the national population")
    size_source: str
    previous_conflict: bool = Field(
        default=False, description="the group fought the state before (EPR/ACD sense), for risk"
    )
    discriminated: bool = Field(
        default=False, description="EPR 'discriminated': targeted exclusion when out of government"
    )
    conflict_source: str = Field(default="", description="why the two flags above are set")
