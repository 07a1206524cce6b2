"""The spec's ``[polls]`` section: how published polls of the target election enter the model.

The polls themselves are a CSV table named by ``data.polls`` (and the regions they may be
about by ``data.regions``); this section says up to which day polls may be used and gives the
prior scales of what separates a poll from the election result: the pollster's house effect,
the error every poll has beyond its sampling error, and the drift of the lists' standing
between fieldwork and election day.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from forecast.data.spec_base import StrictSection

__all__ = ["PollSettings"]


class PollSettings(StrictSection):
    """When polls count and the prior scales of the poll likelihood (logit scale)."""

    as_of: dt.date | None = Field(
        default=None,
        description="the day the forecast is made: only polls whose fieldwork ended on or "
        "before it are used (default: election.information_cutoff)",
    )
    lead_days: int | None = Field(
        default=None,
        ge=1,
        description="alternative to as_of: the forecast is made this many days before the election",
    )
    house_sigma: float = Field(
        default=0.1,
        gt=0,
        description="prior scale of the pollsters' house effects (half-normal), which sum to "
        "zero over the pollsters: the average pollster is unbiased",
    )
    noise_sigma: float = Field(
        default=0.1,
        gt=0,
        description="prior scale (half-normal) of each poll's error beyond its sampling error "
        "(design, weighting, wording)",
    )
    bias_sigma: float = Field(
        default=0.15,
        ge=0,
        description="prior scale of the error all polls share on a list (the industry's miss, "
        "which house effects summing to zero cannot see); 0 leaves it out",
    )
    drift_sigma: float = Field(
        default=0.3,
        gt=0,
        description="per sqrt(year): the random walk of a list's standing between a poll's "
        "fieldwork and election day; older polls say less about the election",
    )
    period_days: int = Field(
        default=14,
        ge=1,
        description="polls whose fieldwork midpoints fall in the same period of this many days "
        "(counted back from election day) share one step of the drift",
    )
    default_sample_size: int | None = Field(
        default=None,
        ge=1,
        description="sample size of a poll whose table cell is empty; without it such a poll "
        "is refused",
    )

    @model_validator(mode="after")
    def _one_cutoff(self) -> PollSettings:
        if self.as_of is not None and self.lead_days is not None:
            raise ValueError("give polls.as_of or polls.lead_days, not both")
        return self
