"""What a run does on the fitted posterior: counterfactual scenarios and what the report shows."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from forecast.data.spec_base import Slug, StrictSection

__all__ = ["ReportOptions", "ScenarioSpec"]


class ScenarioSpec(StrictSection):
    """A counterfactual run on the fitted posterior: ``set`` maps scenario keys to values.

    Keys (see ``forecast.run.scenarios``): ``turnout.<community>`` (factor on the community's
    turnout), ``boycott.<community>``, ``swing.<list>`` (share points in every province),
    ``merge.<list>`` (lists whose votes join it), ``split.<list>.<to>`` (share of its votes
    that move), ``veto.<list>.<list>`` (true adds, false lifts), and any field of the post-fit
    sections (``law.``, ``coalitions.``, ``formation.``, ``duration.``, ``risk.``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: Slug
    description: str = ""
    settings: dict[str, Any] = Field(alias="set", min_length=1)


class ReportOptions(StrictSection):
    """What the PDF report shows."""

    title: str = ""
    subtitle: str = ""
    top_coalitions: int = Field(default=10, ge=1, le=50)
    template: str = "risk_report.typ"
