"""The spec's sections read after the seats: coalition rules and the priors of what follows.

Which governments are candidates (``coalitions``), the conditional-logit priors of which one
forms (``formation``), the hazard priors of how long it takes (``duration``), and the onset-risk
priors with the country's covariates (``risk``); every coefficient carries its source.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from forecast.data.spec_base import Share, Slug, StrictSection

__all__ = ["Coefficient", "CoalitionRules", "DurationPriors", "FormationPriors", "RiskPriors"]


class Coefficient(StrictSection):
    """A prior on one coefficient: normal(mean, sd), with where the number comes from."""

    mean: float
    sd: float = Field(ge=0.0)
    source: str = Field(min_length=1)
    verified: bool = Field(
        default=False, description="true only when the number was read from the primary source"
    )
    judgemental: bool = False


class CoalitionRules(StrictSection):
    """What restricts or favours governments, and which coalitions are candidates."""

    min_seats: int = Field(
        default=1, ge=0, description="a list is an actor if it wins at least this in some sample"
    )
    max_parties: int = Field(default=16, ge=1, le=20, description="most lists in one candidate")
    max_candidates: int = Field(
        default=256, ge=4, le=4096, description="cap on candidate governments, by seat frequency"
    )
    group_small: bool = Field(
        default=False, description="sum the lists below min_seats into one actor, small_lists"
    )
    vetoes: tuple[tuple[Slug, Slug], ...] = Field(
        default=(), description="pairs that said they will not govern together (anti-pacts)"
    )
    pacts: tuple[tuple[Slug, ...], ...] = Field(default=(), description="pre-electoral pacts")
    incumbent: tuple[Slug, ...] = ()
    incumbent_pm: Slug | None = None
    investiture: bool = Field(
        default=False, description="a new cabinet needs an absolute-majority confidence vote"
    )
    bloc_positions: dict[Slug, float] = Field(
        default_factory=dict,
        description="bloc -> place on one axis (ideological range, connectedness); judgemental",
    )
    positions_source: str = ""
    source: str = ""
    core_share: Share = Field(
        default=0.1,
        description="a government's core: its lists holding at least this share of its seats",
    )


class FormationPriors(StrictSection):
    """Conditional-logit coefficients for which government forms.

    Terms not given keep the defaults of ``forecast.government.formation.default_formation_priors``.
    """

    coefficients: dict[
        Literal[
            "minority",
            "minimal_winning",
            "n_parties",
            "largest",
            "range",
            "incumbent",
            "pact",
            "anti_pact",
            "investiture_minority",
            "unity",
        ],
        Coefficient,
    ] = Field(default_factory=dict)
    unity_min_size: Share = Field(
        default=0.1, description="communities at least this large count for the 'unity' term"
    )


class DurationPriors(StrictSection):
    """Hazard-model coefficients for the days from election to government.

    Log-hazard coefficients; terms not given keep
    ``forecast.government.formation.default_duration_priors``.
    """

    coefficients: dict[
        Literal["post_election", "range", "n_parties", "n_parties_log_t", "minority"], Coefficient
    ] = Field(default_factory=dict)
    baseline_log_days: Coefficient | None = Field(
        default=None,
        description="log median days of a one-party majority cabinet formed after an election",
    )
    baseline_shape: Coefficient | None = Field(
        default=None, description="Weibull shape of the baseline hazard"
    )
    max_parties: int = Field(
        default=6, ge=1, le=20, description="number-of-parties term held at this many parties"
    )
    protracted_days: float = Field(default=183.0, gt=0, description="'over six months'")
    max_days: float = Field(
        default=1461.0,
        gt=0,
        description="censoring point: a formation not finished by then is counted at this many "
        "days (the hazard model's tail is unbounded for many-party cabinets; default: a "
        "four-year term)",
    )


class RiskPriors(StrictSection):
    """Onset-risk logit coefficients (group-year) and the country's covariates.

    Terms not given keep the defaults of ``forecast.government.risk.default_risk_priors``.
    """

    coefficients: dict[
        Literal[
            "constant",
            "powerless",
            "discriminated",
            "junior_partner",
            "downgraded",
            "previous_conflict",
            "relative_size",
            "log_gdp_per_capita",
            "plurality_excluded",
            "protracted_formation",
            "log_population",
            "ongoing_elsewhere",
            "under_representation",
            "continuation",
        ],
        Coefficient,
    ] = Field(default_factory=dict)
    log_gdp_per_capita: float | None = Field(
        default=None, ge=0.0, le=15.0, description="natural log of GDP per head in US dollars"
    )
    gdp_source: str = ""
    log_population: float | None = Field(
        default=None, ge=0.0, le=15.0, description="natural log of the population in thousands"
    )
    population_source: str = ""
    ongoing_conflict: tuple[Slug, ...] = Field(
        default=(),
        description="communities already fighting the state: their risk is of continuation or "
        "escalation within the year, not of onset",
    )
    ongoing_source: str = ""
    inclusion_share: Share = Field(
        default=0.5,
        description="a community is in power when this share of its seats sits in government",
    )
    incumbent_status: dict[
        Slug, Literal["senior_partner", "junior_partner", "powerless", "discriminated"]
    ] = Field(default_factory=dict, description="status under the outgoing government")
    status_source: str = ""
