"""Coefficient priors of the government models: one draw per sample, and their record in attrs.

Formation, duration and risk draw every coefficient afresh for each sample, so that the
uncertainty of the published estimates reaches the probabilities; the priors used, with their
sources, go into the output's attrs as JSON.
"""

from __future__ import annotations

import json

import numpy as np

from forecast.data.spec_government import Coefficient

__all__ = ["draw_coefficients", "prior_table"]


def prior_table(coefficients: dict[str, Coefficient]) -> str:
    """Write priors as JSON for ``attrs``: term -> mean, sd, source, verified, judgemental."""
    return json.dumps({k: c.model_dump() for k, c in coefficients.items()}, sort_keys=True)


def draw_coefficients(
    coefs: dict[str, Coefficient], n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Draw every coefficient once per sample: name -> array of shape (sample,)."""
    return {k: rng.normal(c.mean, c.sd, size=n) for k, c in coefs.items()}
