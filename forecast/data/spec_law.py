"""The electoral law of a spec: district rule, quota and compensatory seats, majority, ties.

``forecast.seats.law`` turns these models into seats; each field says what the law says, with
its source, so that the law is read from the spec and never from code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from forecast.data.spec_base import Share, Slug, StrictSection

__all__ = ["DISTRICT_METHODS", "CompensatorySeats", "DistrictRule", "ElectoralLaw", "QuotaSeats"]

DISTRICT_METHODS = ("hare_lr", "droop_lr", "dhondt", "sainte_lague", "modified_sainte_lague")


class DistrictRule(StrictSection):
    """How the seats of one district are divided among lists."""

    method: Literal["hare_lr", "droop_lr", "dhondt", "sainte_lague", "modified_sainte_lague"]
    first_divisor: float | None = Field(
        default=None, gt=1.0, lt=3.0, description="only for modified_sainte_lague (e.g. 1.4, 1.7)"
    )
    threshold: Share = Field(default=0.0, description="share of the district's valid votes")
    threshold_quotas: float = Field(
        default=0.0, ge=0.0, le=5.0, description="threshold in units of the district's Hare quota"
    )
    remainder: Literal["largest_remainder", "highest_votes", "vote_share"] = Field(
        default="largest_remainder",
        description=(
            "largest-remainder methods only: who gets the seats left after full quotas: the "
            "largest remainders; the qualifying lists in order of votes, one each, round after "
            "round (highest_votes); or the qualifying lists again in proportion to their votes "
            "(vote_share, Hare largest remainder over the seats left)"
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
        return self


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


class ElectoralLaw(StrictSection):
    """The whole seat law: district rule, quota and compensatory seats, majority and ties."""

    house_size: int = Field(gt=0)
    majority: int | None = Field(
        default=None, description="seats needed to govern; defaults to strictly more than half"
    )
    district: DistrictRule
    national_threshold: Share = Field(
        default=0.0,
        description="share of national valid votes a list needs to win any district seat",
    )
    quota: tuple[QuotaSeats, ...] = ()
    compensatory: CompensatorySeats = CompensatorySeats(seats=0)
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

    @property
    def majority_seats(self) -> int:
        """Seats a government needs: the spec's figure or strictly more than half."""
        return self.majority if self.majority is not None else self.house_size // 2 + 1

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
        if self.reserved_seats >= self.house_size:
            raise ValueError(
                f"quota + compensatory seats ({self.reserved_seats}) leave no district seats "
                f"in a house of {self.house_size}"
            )
        return self
