"""The spec's settings of the vote model: its prior scales and the sampler that fits it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from forecast.data.spec_base import StrictSection

__all__ = ["PriorSpec", "SamplerSpec"]


class PriorSpec(StrictSection):
    """Scales of the vote and turnout model's priors (logit scale)."""

    turnout_province_sigma: float = Field(default=0.5, gt=0)
    turnout_election_sigma: float = Field(default=0.5, gt=0)
    share_party_sigma: float = Field(default=1.5, gt=0)
    share_province_party_sigma: float = Field(
        default=0.5,
        gt=0,
        description="prior scale of the province x list effect: what the province's "
        "communities do not explain of a list's support there",
    )
    cross_community_share: float = Field(
        default=0.03,
        gt=0,
        lt=1,
        description="prior median of a list's appeal to the communities outside its "
        "community_base, relative to its appeal in its strongest community",
    )
    cross_community_sigma: float = Field(
        default=0.5,
        gt=0,
        description="prior scale of how the cross-community share varies between lists (log scale)",
    )
    turnout_community_sigma: float = Field(default=1.0, gt=0)
    turnout_noise: float = Field(
        default=0.2,
        gt=0,
        description="prior root-mean-square noise of a reported turnout around its province's "
        "expected turnout (logit scale; its variance is inverse-gamma with shape 4 and is "
        "integrated out of the model, since with one measured election the noise and the "
        "province effects are not separately identified)",
    )
    swing_sigma: float = Field(default=0.3, gt=0, description="per sqrt(year), logit scale")
    kind_sigma: float = Field(
        default=0.0,
        ge=0,
        description="prior scale of the offset of past elections of another kind (provincial) "
        "than the target; 0 leaves it out, and the swing scale absorbs the difference (with a "
        "single such election the two are not separable and the offset only slows sampling)",
    )
    log_concentration_mu: float = Field(
        default=5.3, description="prior median of log Dirichlet-multinomial concentration (~200)"
    )


class SamplerSpec(StrictSection):
    """MCMC and posterior-predictive settings."""

    backend: Literal["nutpie", "pymc"] = "nutpie"
    chains: int = Field(default=4, ge=1, le=16)
    draws: int = Field(default=1000, ge=10)
    tune: int = Field(default=1000, ge=10)
    target_accept: float = Field(default=0.9, gt=0.5, lt=1.0)
    low_rank_mass_matrix: bool = Field(
        default=False,
        description="nutpie only: adapt a mass matrix with low-rank corrections, which follow "
        "linear posterior correlations (fewer leapfrog steps when parameters trade off)",
    )
    retries: int = Field(
        default=2,
        ge=0,
        le=2,
        description="refits when the convergence gate fails, each with twice the tuning, half "
        "the distance of target_accept to 1 and 1.5x the draws (forecast.votes.fit.escalate)",
    )
    seed: int = 20100307
    samples: int = Field(default=4000, ge=1, description="posterior predictive samples downstream")
