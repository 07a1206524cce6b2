"""A dry run of every post-fit stage before any sampling: what the run would refuse, refused now.

``check-data``, ``run`` and ``backtest`` call :func:`dry_run` after ingesting the data. It feeds
the stages after the fit (vote simulation, the electoral law, coalitions, formation, delay, risk
and pivotal power, under the baseline and every scenario) a stand-in posterior of a few draws, so
that a spec error those stages would raise (the target's electorate, magnitudes, quota and
compensatory seats, law parameters, coalition, formation and risk sections, scenario settings)
is raised in seconds, not after minutes of sampling. The stand-in's numbers mean nothing; only
its shape is the fitted posterior's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.government.coalitions import coalition_candidates
from forecast.government.power import power_indices
from forecast.run.scale import coalition_stage, votes_and_seats
from forecast.run.scenarios import Scenario, baseline, spec_scenarios

__all__ = ["dry_run", "stand_in_posterior"]

DRAWS = 4  # enough for every quantile and table the stages compute


def stand_in_posterior(data: xr.Dataset, spec: ForecastSpec, *, seed: int = 0) -> xr.DataTree:
    """Return a posterior of the fitted one's shape: random shares, turnout and concentration.

    Shares are Dirichlet(1) draws per province (each list somewhere ahead, somewhere behind),
    turnout uniform on [0.3, 0.8], the concentration 200; one chain of :data:`DRAWS` draws.
    """
    rng = np.random.default_rng(seed)
    provinces = data[dims.PROVINCE].values
    parties = np.array(spec.party_ids)
    shape = (1, DRAWS, len(provinces))
    share = rng.dirichlet(np.ones(len(parties)), size=shape)
    coords = {"chain": [0], "draw": np.arange(DRAWS), dims.PROVINCE: provinces}
    post = xr.Dataset(
        {
            "share": (("chain", "draw", dims.PROVINCE, dims.PARTY), share),
            "turnout": (("chain", "draw", dims.PROVINCE), rng.uniform(0.3, 0.8, shape)),
            "kappa_target": (("chain", "draw"), np.full(shape[:2], 200.0)),
        },
        coords={**coords, dims.PARTY: parties},
    )
    return xr.DataTree.from_dict({"posterior": post})


def _stages(post: xr.DataTree, data: xr.Dataset, scenario: Scenario, *, seed: int) -> None:
    """Run every post-fit stage once on the stand-in posterior under one scenario."""
    spec = scenario.spec
    where = {"seed": seed, "index": 0, "start": 0, "stop": DRAWS}
    _, seats = votes_and_seats(post, data, scenario, **where)
    candidates = coalition_candidates(seats, spec)
    coalition_stage(seats, spec, seed=seed, index=0, candidates=candidates)
    power_indices(seats, spec)


def dry_run(
    spec: ForecastSpec,
    data: xr.Dataset,
    *,
    extra: Sequence[Scenario] = (),
    seed: int = 0,
) -> list[Scenario]:
    """Run the post-fit stages on a stand-in posterior under the baseline and every scenario.

    Parameters
    ----------
    spec : ForecastSpec
        The spec; its ``[[scenario]]`` blocks are parsed and run.
    data : xr.Dataset
        ElectionData from :func:`forecast.data.ingest.ingest_election`.
    extra : sequence of Scenario
        Scenarios run beside the spec's own (``forecast scenario --set``).
    seed : int
        Seed of the stand-in posterior and the stages.

    Returns
    -------
    list of Scenario
        The spec's scenarios, parsed (as :func:`forecast.run.scenarios.spec_scenarios`), then
        ``extra``.

    Raises
    ------
    SpecError, DataError
        Whatever those stages would raise after the fit, naming the file, key and field.
    """
    scenarios = [*spec_scenarios(spec), *extra]
    post = stand_in_posterior(data, spec, seed=seed)
    for scenario in (baseline(spec), *scenarios):
        _stages(post, data, scenario, seed=seed)
    return scenarios
