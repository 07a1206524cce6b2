"""Toy stage objects and hypothesis strategies, shipped so that tests need no real data.

Everything here is small and seeded: ``toy_seat_draws`` makes a ``SeatDraws``-shaped dataset from
mean seats and ``toy_spec`` a valid ``ForecastSpec`` around a handful of lists. The strategies
draw weighted voting games.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from hypothesis import strategies as st

from forecast.data.spec import ForecastSpec
from forecast.dims import PARTY, PROVINCE, SAMPLE

__all__ = [
    "toy_seat_draws",
    "toy_spec",
    "twelve_list_game",
    "voting_games",
]


def toy_seat_draws(
    n_sample: int,
    seats_mean: Mapping[str, float],
    *,
    house_size: int | None = None,
    majority: int | None = None,
    concentration: float | None = None,
    seed: int = 0,
) -> xr.Dataset:
    """Seat draws around given mean seats, shaped like the allocation stage's ``SeatDraws``.

    Parameters
    ----------
    n_sample : int
        Number of samples.
    seats_mean : mapping of str to float
        Mean seats of each list (the ``party`` coordinate, in this order).
    house_size : int, optional
        Seats in the house; the rounded sum of ``seats_mean`` when not given.
    majority : int, optional
        Seats a government needs; strictly more than half of the house when not given.
    concentration : float, optional
        Dirichlet concentration of the seat shares around the means (larger is tighter). When not
        given every sample holds exactly ``seats_mean``, which must then be integers summing to
        the house size.
    seed : int
        Seed of the draws.

    Returns
    -------
    xr.Dataset
        ``seats`` and ``quota_seats``/``compensatory_seats`` with dims (sample, party),
        ``district_seats`` with dims (sample, province, party) over one province ``national``;
        attrs ``house_size``, ``majority`` and ``sample_dims``.

    Examples
    --------
    >>> toy_seat_draws(3, {"a": 4, "b": 3})["seats"].values.tolist()
    [[4, 3], [4, 3], [4, 3]]
    """
    names = list(seats_mean)
    mean = np.asarray([seats_mean[p] for p in names], dtype=float)
    house = int(round(mean.sum())) if house_size is None else house_size
    if concentration is None:
        if not np.allclose(mean, np.round(mean)) or int(mean.sum()) != house:
            raise ValueError("fixed seats must be integers summing to the house size")
        seats = np.broadcast_to(mean.astype(np.int64), (n_sample, len(names))).copy()
    else:
        rng = np.random.default_rng(seed)
        shares = rng.dirichlet(concentration * mean / mean.sum() + 1e-9, size=n_sample)
        seats = np.stack([rng.multinomial(house, p) for p in shares]).astype(np.int64)
    zeros = np.zeros_like(seats)
    sample = np.arange(n_sample)
    return xr.Dataset(
        {
            "district_seats": ((SAMPLE, PROVINCE, PARTY), seats[:, None, :]),
            "quota_seats": ((SAMPLE, PARTY), zeros),
            "compensatory_seats": ((SAMPLE, PARTY), zeros.copy()),
            "seats": ((SAMPLE, PARTY), seats),
        },
        coords={SAMPLE: sample, PROVINCE: ["national"], PARTY: names},
        attrs={
            "house_size": house,
            "majority": house // 2 + 1 if majority is None else majority,
            "sample_dims": [SAMPLE],
        },
    )


_TOY_PARTIES: dict[str, tuple[str, dict[str, float]]] = {
    "alpha": ("left", {"north": 1.0}),
    "beta": ("centre", {"north": 0.5, "south": 0.5}),
    "gamma": ("right", {"south": 1.0}),
    "delta": ("left", {"north": 0.8, "east": 0.2}),
    "epsilon": ("regional", {"east": 1.0}),
}
_TOY_COMMUNITIES: dict[str, float] = {"north": 0.5, "south": 0.35, "east": 0.15}


def toy_spec(
    *,
    parties: Mapping[str, tuple[str, Mapping[str, float]]] | None = None,
    communities: Mapping[str, float] | None = None,
    house_size: int = 100,
    **sections: Any,
) -> ForecastSpec:
    """Build a small valid spec: lists with blocs and community bases, and extra sections.

    Parameters
    ----------
    parties : mapping, optional
        List slug -> (bloc, community base). Five toy lists when not given.
    communities : mapping of str to float, optional
        Community slug -> share of the population. Three toy communities when not given.
    house_size : int
        Seats in the house.
    **sections
        Further top-level spec sections as plain dicts, e.g.
        ``coalitions={"incumbent": ["alpha"]}`` or ``risk={...}``.

    Returns
    -------
    ForecastSpec
        Validated; its data paths are placeholders that are never read.

    Examples
    --------
    >>> toy_spec(coalitions={"incumbent": ["alpha", "beta"]}).coalitions.incumbent
    ('alpha', 'beta')
    """
    parties = _TOY_PARTIES if parties is None else parties
    communities = _TOY_COMMUNITIES if communities is None else communities
    raw: dict[str, Any] = {
        "election": {
            "id": "toy",
            "name": "Toy election",
            "country": "toyland",
            "date": "2010-03-07",
            "kind": "parliamentary",
            "information_cutoff": "2010-03-06",
        },
        "data": {"provinces": "data/toy/provinces.csv", "target": "data/toy/target"},
        "evidence": [
            {"id": "past", "path": "data/toy/past", "date": "2005-12-15", "kind": "parliamentary"}
        ],
        "law": {"house_size": house_size, "district": {"method": "dhondt"}},
        "party": [
            {"id": p, "name": p.title(), "bloc": bloc, "community_base": dict(base)}
            for p, (bloc, base) in parties.items()
        ],
        "community": [
            {"id": c, "name": c.title(), "relative_size": size, "size_source": "toy"}
            for c, size in communities.items()
        ],
        **sections,
    }
    return ForecastSpec.model_validate(raw)


@st.composite
def voting_games(draw: st.DrawFn, *, max_players: int = 8, max_weight: int = 40) -> tuple:
    """Weighted voting games: (weights, quota) with quota strictly more than half the total.

    Weights may be zero (a list that won nothing) and the total may fall short of the quota
    when some seats belong to non-players, as in a house with small unorganised lists.
    """
    n = draw(st.integers(1, max_players))
    weights = draw(st.lists(st.integers(0, max_weight), min_size=n, max_size=n))
    others = draw(st.integers(0, max_weight))
    house = sum(weights) + others
    quota = house // 2 + 1
    return np.asarray(weights, dtype=np.int64), quota


# Twelve lists with seat means shaped like Iraq 2010 (three large, one medium, eight small), their
# blocs and community bases: the coalition stage's benchmark and its pinned-output test.
_TWELVE_SEATS = {
    "l01": 91, "l02": 89, "l03": 70, "l04": 43, "l05": 8, "l06": 6,
    "l07": 5, "l08": 4, "l09": 4, "l10": 4, "l11": 4, "l12": 3,
}  # fmt: skip
_TWELVE_BLOCS = ["a", "b", "b", "c", "c", "d", "e", "c", "a", "d", "e", "a"]
_TWELVE_BASES: list[dict[str, float]] = [
    {"north": 0.2, "south": 0.75, "west": 0.05},
    {"north": 1.0},
    {"north": 1.0},
    {"east": 1.0},
    {"east": 1.0},
    {"south": 1.0},
    {"west": 1.0},
    {"east": 1.0},
    {"south": 0.7, "north": 0.3},
    {"south": 1.0},
    {"west": 1.0},
    {"north": 1.0},
]


def twelve_list_game(n_sample: int, *, seed: int) -> tuple[ForecastSpec, xr.Dataset]:
    """Return a 325-seat house of twelve lists: the spec and ``n_sample`` seat draws.

    Returns
    -------
    spec : ForecastSpec
    seats : xr.Dataset
        SeatDraws-shaped, ``seats`` with dims (sample, party).
    """
    parties = {
        p: (b, base) for p, b, base in zip(_TWELVE_SEATS, _TWELVE_BLOCS, _TWELVE_BASES, strict=True)
    }
    spec = toy_spec(
        parties=parties,
        communities={"north": 0.55, "south": 0.25, "east": 0.15, "west": 0.05},
        house_size=325,
        coalitions={
            "min_seats": 2,
            "incumbent": ["l02", "l03", "l04", "l06"],
            "investiture": True,
            "bloc_positions": {"a": 7.0, "b": 4.0, "c": 0.0, "d": 8.5, "e": 5.0},
        },
        risk={"log_gdp_per_capita": 8.2, "gdp_source": "synthetic"},
    )
    return spec, toy_seat_draws(n_sample, _TWELVE_SEATS, concentration=600.0, seed=seed)
