"""The electoral law of a spec: district rule, magnitudes, thresholds, reserved seats, ties.

``forecast.seats.law`` turns these models into seats; each field says what the law says, with
its source, so that the law is read from the spec and never from code. The parts compose: a
district rule (a divisor method, or a quota with its rounding and a remainder rule), district
magnitudes fixed or apportioned by a method, national thresholds (one share, or one by the
number of parties in a list), quota and compensatory seats. :class:`LawSpec` is a law alone
with its election's tables, for ``forecast seats`` on an election that is not forecast.
:class:`LawTables` holds the target's tables a law reads when it allocates (the lists' numbers
of parties, the provinces' population), bound to the law from the data by the run.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from forecast.data.spec_base import DataPath, Share, Slug, StrictSection

__all__ = [
    "DISTRICT_METHODS",
    "Apportionment",
    "CompensatorySeats",
    "DistrictRule",
    "ElectoralLaw",
    "LawSpec",
    "LawTables",
    "QuotaSeats",
    "SecondTier",
]

Method = Literal[
    "hare_lr",
    "droop_lr",
    "hagenbach_bischoff_lr",
    "imperiali_lr",
    "dhondt",
    "sainte_lague",
    "modified_sainte_lague",
]
DISTRICT_METHODS: tuple[str, ...] = Method.__args__
QuotaRounding = Literal["exact", "round", "floor", "ceil"]
PartyCount = Annotated[int, Field(ge=1, le=1000)]

_METHOD = (
    "largest remainder with a quota of T valid votes over M seats: hare_lr T / M, droop_lr "
    "floor(T / (M + 1)) + 1, hagenbach_bischoff_lr T / (M + 1), imperiali_lr T / (M + 2); each "
    "list gets a seat per full quota and the seats left go by the remainder rule; if the full "
    "quotas hand out more than M seats (a low quota can), the lists with the smallest "
    "remainders give one back each, smallest first. Or a divisor method: dhondt, sainte_lague, "
    "modified_sainte_lague (with first_divisor)"
)
_ROUNDING = (
    "largest-remainder methods other than droop_lr (whose quota is whole by definition): the "
    "quota as the exact fraction (exact), or rounded to whole votes: to the nearest, halves up "
    "(round), down (floor) or up (ceil)"
)


class DistrictRule(StrictSection):
    """How the seats of one district are divided among lists."""

    method: Method = Field(description=_METHOD)
    quota_rounding: QuotaRounding = Field(default="exact", description=_ROUNDING)
    first_divisor: float | None = Field(
        default=None, gt=1.0, lt=3.0, description="only for modified_sainte_lague (e.g. 1.4, 1.7)"
    )
    threshold: Share = Field(default=0.0, description="share of the district's valid votes")
    threshold_quotas: float = Field(
        default=0.0, ge=0.0, le=5.0, description="threshold in units of the district's Hare quota"
    )
    remainder: Literal["largest_remainder", "highest_votes", "vote_share", "second_tier"] = Field(
        default="largest_remainder",
        description=(
            "largest-remainder methods only: who gets the seats left after full quotas: the "
            "largest remainders; the qualifying lists in order of votes, one each, round after "
            "round (highest_votes); the qualifying lists again in proportion to their votes "
            "(vote_share, Hare largest remainder over the seats left); or nobody in the "
            "district: they go to the national tier (second_tier, with law.second_tier)"
        ),
    )
    quota_base: Literal["qualifying", "valid"] = Field(
        default="qualifying",
        description=(
            "largest-remainder methods only: the quota is computed from the votes of the lists "
            "passing the threshold, or from all valid votes (leaving more seats to the remainder)"
        ),
    )

    @model_validator(mode="after")
    def _divisor_only_for_modified(self) -> DistrictRule:
        if self.method == "modified_sainte_lague" and self.first_divisor is None:
            raise ValueError("modified_sainte_lague needs first_divisor (e.g. 1.4, 1.6 or 1.7)")
        if self.method != "modified_sainte_lague" and self.first_divisor is not None:
            raise ValueError(
                f"first_divisor only applies to modified_sainte_lague, not {self.method}"
            )
        lr_only = self.remainder != "largest_remainder" or self.quota_base != "qualifying"
        if lr_only and not self.method.endswith("_lr"):
            raise ValueError(
                f"remainder and quota_base apply to largest-remainder methods, not {self.method}"
            )
        _check_rounding(self.method, self.quota_rounding)
        return self


def _check_rounding(method: str, rounding: str) -> None:
    """Refuse a quota rounding for a method without a quota to round."""
    if rounding != "exact" and (method == "droop_lr" or not method.endswith("_lr")):
        raise ValueError(
            f"quota_rounding applies to hare, hagenbach_bischoff and imperiali largest "
            f"remainder, not {method} (whose quota, if any, is whole by definition)"
        )


class Apportionment(StrictSection):
    """District magnitudes set by law from a base: the district seats divided among provinces.

    ``from = "votes"`` apportions them after the vote, by each province's valid votes, in every
    draw; ``from = "population"`` before it, by the population table of the target election.
    The provinces take the place of lists in the method, without thresholds.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    base: Literal["votes", "population"] = Field(
        alias="from",
        description="apportion by each province's valid votes (per draw) or its population "
        "(population.csv in the target folder: province, population)",
    )
    method: Method = Field(default="hare_lr", description="the method, as for a district")
    quota_rounding: QuotaRounding = Field(default="exact", description=_ROUNDING)
    first_divisor: float | None = Field(
        default=None, gt=1.0, lt=3.0, description="only for modified_sainte_lague"
    )

    @model_validator(mode="after")
    def _is_a_rule(self) -> Apportionment:
        _check_rounding(self.method, self.quota_rounding)
        if (self.method == "modified_sainte_lague") != (self.first_divisor is not None):
            raise ValueError("first_divisor is needed by, and only by, modified_sainte_lague")
        return self

    @property
    def rule(self) -> DistrictRule:
        """The apportionment as a district rule whose lists are the provinces."""
        return DistrictRule(
            method=self.method, quota_rounding=self.quota_rounding, first_divisor=self.first_divisor
        )


class QuotaSeats(StrictSection):
    """Seats reserved for a community, filled outside the general district contest."""

    community: Slug
    party: Slug = Field(description="the list slug that holds these seats in seat draws")
    seats: int = Field(gt=0)
    province: Slug | Literal["national"] = "national"
    source: str


class CompensatorySeats(StrictSection):
    """National seats given by national vote after the district seats."""

    seats: int = Field(ge=0)
    method: Literal["dhondt", "sainte_lague", "hare_lr"] = "dhondt"
    eligible: Literal["all", "district_winners"] = "all"
    source: str = ""


class SecondTier(StrictSection):
    """A national tier for the seats the districts leave: after full quotas, pooled votes decide.

    The districts give only full quotas (``district.remainder = "second_tier"``); the seats left
    in all districts are divided nationally among the lists allowed to win, by their votes
    unused in the districts (each district's votes less its seats times its quota) or by their
    national votes. They are national seats (``compensatory_seats`` in the seat draws).
    """

    pool: Literal["unused_votes", "votes"] = Field(
        default="unused_votes",
        description="what is pooled: the lists' unused votes summed over districts, or their "
        "national votes",
    )
    method: Method = Field(default="droop_lr", description="the national method, as a district's")
    quota_rounding: QuotaRounding = Field(default="exact", description=_ROUNDING)
    source: str = ""

    @model_validator(mode="after")
    def _rounding_fits(self) -> SecondTier:
        _check_rounding(self.method, self.quota_rounding)
        if self.method == "modified_sainte_lague":
            raise ValueError("a second tier by modified_sainte_lague is not supported")
        return self

    @property
    def rule(self) -> DistrictRule:
        """The tier's method as a district rule over the nation."""
        return DistrictRule(method=self.method, quota_rounding=self.quota_rounding)


class LawTables(StrictSection):
    """The target election's tables a law reads when it allocates, bound from the data.

    A spec leaves this out: :func:`forecast.seats.bind.bind_law` fills it from ElectionData (the
    ``alliance_size`` column of the target's ``parties.csv``, its ``population.csv``), so that
    every stage allocating under ``spec.law`` (the forecast, its scenarios, the dry run, the
    backtest's baselines) reads the same tables.
    """

    alliance_size: dict[Slug, PartyCount] = Field(
        default_factory=dict, description="parties in each list, for law.alliance_thresholds"
    )
    population: dict[Slug, Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=dict,
        description='each province\'s population, for law.magnitude from = "population"',
    )


class ElectoralLaw(StrictSection):
    """The whole seat law: district rule, quota and compensatory seats, majority and ties."""

    house_size: int = Field(gt=0)
    majority: int | None = Field(
        default=None, description="seats needed to govern; defaults to strictly more than half"
    )
    district: DistrictRule
    magnitude: Apportionment | None = Field(
        default=None,
        description='district magnitudes apportioned by a method, e.g. {from = "votes", '
        'method = "hare_lr"}; without it they are the target\'s magnitude.csv',
    )
    national_threshold: Share = Field(
        default=0.0,
        description="share of national valid votes a list needs to win any district seat",
    )
    alliance_thresholds: dict[PartyCount, Share] = Field(
        default_factory=dict,
        description="national thresholds by the number of parties in a list (its alliance_size "
        "in the target's parties.csv), each for that size and up: {1 = 0.05, 2 = 0.07, 4 = 0.10} "
        "asks 5% of one party, 7% of two or three, 10% of four or more; instead of "
        "national_threshold",
    )
    quota: tuple[QuotaSeats, ...] = ()
    compensatory: CompensatorySeats = CompensatorySeats(seats=0)
    second_tier: SecondTier | None = Field(
        default=None,
        description="national tier of the seats the districts leave after full quotas, e.g. "
        '{pool = "unused_votes", method = "droop_lr"}',
    )
    pooled: tuple[Slug, ...] = Field(
        default=("other",),
        description="lists standing for many small lists: their votes count, they win no seat",
    )
    tie_rule: Literal["lottery", "list_order"] = Field(
        default="lottery",
        description="lottery: a seeded draw among tied lists; "
        "list_order: the list listed first wins",
    )
    tie_seed: int = 0
    source: str = ""
    tables: LawTables | None = Field(
        default=None,
        description="bound by the run from the target's tables (forecast.seats.bind); not "
        "written in a spec",
    )

    @property
    def majority_seats(self) -> int:
        """Seats a government needs: the spec's figure or strictly more than half."""
        return self.majority if self.majority is not None else self.house_size // 2 + 1

    @property
    def apportioned_by(self) -> Literal["votes", "population"] | None:
        """What the district magnitudes are apportioned by; None when they are fixed."""
        return None if self.magnitude is None else self.magnitude.base

    @property
    def reserved_seats(self) -> int:
        """Quota plus compensatory seats: the seats outside the district magnitudes."""
        return sum(q.seats for q in self.quota) + self.compensatory.seats

    @model_validator(mode="after")
    def _majority_is_more_than_half(self) -> ElectoralLaw:
        if self.majority is not None and not (
            2 * self.majority > self.house_size and self.majority <= self.house_size
        ):
            raise ValueError(
                f"majority {self.majority} must be strictly more than half of house_size "
                f"{self.house_size} (at least {self.house_size // 2 + 1}) and at most the house"
            )
        if self.alliance_thresholds and (
            self.national_threshold or 1 not in self.alliance_thresholds
        ):
            raise ValueError(
                "alliance_thresholds needs the threshold of a single party (key 1) and replaces "
                "national_threshold (leave it out)"
            )
        tier = self.district.remainder == "second_tier"
        if tier != (self.second_tier is not None) or (tier and self.compensatory.seats):
            raise ValueError(
                "district.remainder = 'second_tier' and law.second_tier go together, without "
                "compensatory seats"
            )
        if self.reserved_seats >= self.house_size:
            raise ValueError(
                f"quota + compensatory seats ({self.reserved_seats}) leave no district seats "
                f"in a house of {self.house_size}"
            )
        return self


class LawSpec(StrictSection):
    """An electoral law alone with its election's tables: for ``forecast seats`` on a past vote.

    A forecast spec (``models/*.toml``) carries its law; this is the law of an election that is
    not forecast, e.g. one whose official seats a golden test reproduces. ``target`` is relative
    to the folder of the spec file.
    """

    name: str = Field(description="the election whose law this is")
    target: DataPath = Field(
        description="folder of the election's tables (magnitude.csv, parties.csv), relative to "
        "the spec file"
    )
    law: ElectoralLaw
    source: str = Field(default="", description="where the law and its reading come from")
