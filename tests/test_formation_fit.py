from __future__ import annotations

import csv
import datetime as dt
import math
import tomllib
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from forecast.cli import app
from forecast.data.spec_government import DurationPriors, FormationPriors
from forecast.data.tables import read_sidecar
from forecast.government import fitting
from forecast.government.candidate_sets import TERMS, candidate_sets
from forecast.government.fitted_priors import FitResult, priors_toml, write_priors
from forecast.government.fitting import (
    duration_model,
    formation_model,
    sample_model,
    split_formations,
)
from forecast.government.formation_check import check_formation, formation_rows, median_days
from forecast.government.formation_scores import (
    baseline_probabilities,
    lp_mw_miss,
    model_probabilities,
    score_formations,
)
from forecast.government.parlgov import (
    FORMATIONS,
    FORMATIONS_CSV,
    cut_formations,
    formation_actors,
    read_formations,
)

ROOT = Path(__file__).resolve().parents[1]
TRUE_FORMATION = {
    "minority": -1.2,
    "minimal_winning": 0.8,
    "n_parties": -0.5,
    "largest": 1.5,
    "range": -0.3,
    "incumbent": 2.0,
}
TRUE_DURATION = {"baseline_log_days": 3.0, "exponent_one": 1.2, "exponent_max": 0.8}
TRUE_DURATION_EFFECT = {"range": -0.05, "n_parties": -0.4, "minority": 0.3}


def toy_actors(n_formation: int, seed: int) -> xr.Dataset:
    """Formations of 3 to 7 parties with random seats, positions and outgoing cabinets."""
    rng = np.random.default_rng(seed)
    width = 7
    seats = np.zeros((n_formation, width), dtype=np.int64)
    previous = np.zeros((n_formation, width), dtype=bool)
    for i, n in enumerate(rng.integers(3, width + 1, size=n_formation)):
        seats[i, :n] = np.sort(rng.multinomial(200 - n, rng.dirichlet(np.ones(n))) + 1)[::-1]
        previous[i, rng.choice(n, size=rng.integers(1, 3), replace=False)] = True
    dims = ("formation", "party")
    return xr.Dataset(
        {
            "seats": (dims, seats),
            "left_right": (dims, np.where(seats > 0, rng.uniform(0, 10, seats.shape), np.nan)),
            "in_cabinet": (dims, np.eye(width, dtype=bool)[np.zeros(n_formation, dtype=int)]),
            "in_previous": (dims, previous),
            "present": (dims, seats > 0),
            "seats_total": ("formation", np.full(n_formation, 200)),
            "has_previous": ("formation", np.ones(n_formation, dtype=bool)),
        },
        coords={"formation": np.arange(n_formation)},
    )


def simulate_formed(cands: xr.Dataset, beta: dict[str, float], seed: int) -> xr.Dataset:
    """Draw each formation's government from the conditional logit with coefficients ``beta``."""
    effect = xr.DataArray([[beta[t] for t in TERMS]], dims=("sample", "term"))
    effect = effect.assign_coords(term=list(TERMS))
    p = model_probabilities(cands, effect).values
    ids = cands["formation_id"].values
    rng = np.random.default_rng(seed)
    formed = np.zeros(len(ids), dtype=bool)
    for f in np.unique(ids):
        idx = np.flatnonzero(ids == f)
        formed[rng.choice(idx, p=p[idx] / p[idx].sum())] = True
    return cands.assign(formed=("coalition", formed))


def quiet_sample(model, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return sample_model(model, backend="pymc", **kwargs)


def test_conditional_logit_recovers_the_coefficients_it_was_simulated_from():
    cands = simulate_formed(candidate_sets(toy_actors(150, seed=3)), TRUE_FORMATION, seed=4)
    tree = quiet_sample(formation_model(cands), seed=5, draws=300, tune=300, chains=2)
    post = tree["posterior"]["formation_effect"]
    mean, sd = post.mean(("chain", "draw")), post.std(("chain", "draw"))
    for term, truth in TRUE_FORMATION.items():
        z = (float(mean.sel(term=term)) - truth) / float(sd.sel(term=term))
        assert abs(z) < 3.5, (term, float(mean.sel(term=term)), truth)
    assert float(sd.max()) < 0.6


def simulate_days(n: np.ndarray, span: np.ndarray, minority: np.ndarray, seed: int) -> np.ndarray:
    """Days from the engine's hazard, inverted in closed form (as duration.py draws them)."""
    a_one, a_max = TRUE_DURATION["exponent_one"], TRUE_DURATION["exponent_max"]
    gamma = (a_max - a_one) / 5
    a = a_one + gamma * (np.minimum(n, 6) - 1)
    b = TRUE_DURATION_EFFECT
    eta = b["range"] * span + b["n_parties"] * (np.minimum(n, 6) - 1) + b["minority"] * minority
    e = np.random.default_rng(seed).exponential(size=len(n))
    log_t = (np.log(e * a / (math.log(2.0) * a_one)) - eta + a_one * 3.0) / a
    return np.floor(np.exp(log_t))


def test_duration_model_recovers_the_hazard_it_was_simulated_from():
    rng = np.random.default_rng(6)
    n = rng.integers(1, 8, size=400).astype(float)
    span = rng.uniform(0, 6, size=400) * (n > 1)
    minority = rng.random(400) < 0.3
    cabinets = xr.Dataset(
        {
            "n_parties": ("formation", n),
            "range": ("formation", span),
            "minority": ("formation", minority.astype(float)),
            "days": ("formation", simulate_days(n, span, minority, seed=7)),
        }
    )
    tree = quiet_sample(duration_model(cabinets), seed=8, draws=300, tune=300, chains=2)
    post = tree["posterior"]
    for name, truth in TRUE_DURATION.items():
        z = (float(post[name].mean()) - truth) / float(post[name].std())
        assert abs(z) < 3.5, (name, float(post[name].mean()), truth)
    effect = post["duration_effect"]
    for term, truth in TRUE_DURATION_EFFECT.items():
        draws = effect.sel(duration_term=term)
        assert abs((float(draws.mean()) - truth) / float(draws.std())) < 3.5, term


def parlgov_row(cabinet: int, party: str, seats: int, **cells: str) -> dict[str, str]:
    """One row of ParlGov's view_cabinet (the columns cut_formations reads)."""
    row = {
        "country_name_short": "NLD",
        "election_date": "2000-01-01",
        "election_id": "1",
        "cabinet_id": str(cabinet),
        "cabinet_name": f"cabinet {cabinet}",
        "start_date": "2000-02-01",
        "caretaker": "0",
        "previous_cabinet_id": "",
        "party_id": str(10 + "ABCDEF".index(party[0])) if party[0].isupper() else "99",
        "party_name_short": party,
        "seats": str(seats),
        "election_seats_total": "101",
        "left_right": "",
        "cabinet_party": "0",
        "prime_minister": "0",
    }
    return row | cells


def test_candidates_from_a_hand_made_parlgov_table(tmp_path):
    before = dict(election_date="1996-01-01", election_id="0", start_date="1996-01-10")
    rows = [
        parlgov_row(1, "A", 50, cabinet_party="1", prime_minister="1", **before),
        parlgov_row(1, "B", 51, **before),
        # a caretaker cabinet after the election is no formation; the next cabinet is
        parlgov_row(2, "A", 40, caretaker="1", previous_cabinet_id="1"),
        parlgov_row(3, "A", 40, previous_cabinet_id="2", left_right="2.0", cabinet_party="1"),
        parlgov_row(3, "B", 35, previous_cabinet_id="2", left_right="6.0"),
        parlgov_row(3, "C", 24, previous_cabinet_id="2", cabinet_party="1", prime_minister="1"),
        parlgov_row(3, "none", 1, previous_cabinet_id="2"),
        parlgov_row(3, "D", 1, previous_cabinet_id="2", left_right="9.0"),
    ]
    raw = tmp_path / "view_cabinet.csv"
    with raw.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    cut = cut_formations(raw)
    assert {r["cabinet_id"] for r in cut} == {"1", "3"}
    # incumbent: cabinet 1 (A alone), in office on election day before caretaker cabinet 2
    assert [r["previous_cabinet_party"] for r in cut if r["cabinet_id"] == "3"] == list("10000")
    actors = formation_actors(
        [r for r in _parsed(cut, tmp_path) if r["cabinet_id"] == 3], min_share=0.02
    )
    assert actors.sizes["party"] == 3  # "none" is no party, D has under 2% of the seats
    cands = candidate_sets(actors)
    cands = cands.assign_coords(coalition=cands["mask"].values)
    x = cands["x"].to_pandas()
    # masks: A = 1, B = 2, C = 4 (largest first); majority 51 of 101
    assert x.loc[1, "minority"] == 1 and x.loc[1, "incumbent"] == 1
    assert x.loc[3, "minimal_winning"] == 1 and x.loc[3, "range"] == 4.0
    assert x.loc[7, "minimal_winning"] == 0 and x.loc[7, "n_parties"] == 3
    assert x.loc[6, "largest"] == 0 and x.loc[6, "minimal_winning"] == 1
    assert x.loc[5, "range"] == 0.0  # C has no position
    assert cands["formed"].to_series()[lambda s: s].index.tolist() == [5]
    assert int(actors["days"].item()) == 31


def _parsed(rows: list[dict[str, str]], tmp_path: Path) -> list[dict]:
    path = tmp_path / "formations.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=[c.name for c in FORMATIONS])
        writer.writeheader()
        writer.writerows(rows)
    return read_formations(path)


def test_shipped_formations_pass_the_schema_and_name_their_sources():
    rows = read_formations(FORMATIONS_CSV)
    meta = read_sidecar(FORMATIONS_CSV)
    with (ROOT / "data" / "parlgov" / "sources.csv").open(encoding="utf-8") as fh:
        registry = {r["source_id"] for r in csv.DictReader(fh)}
    assert set(meta["sources"]) <= registry
    assert set(read_sidecar(ROOT / "data" / "parlgov" / "sources.csv")["sources"]) == registry
    pm = Counter(r["cabinet_id"] for r in rows if r["prime_minister"])
    cabinets = {r["cabinet_id"] for r in rows}
    assert len(cabinets) == 475 and set(pm) == cabinets and set(pm.values()) == {1}
    assert all(r["cabinet_party"] for r in rows if r["prime_minister"])
    assert all(r["start_date"] >= r["election_date"] for r in rows)
    assert all(r["seats"] <= r["seats_total"] for r in rows)


def test_scores_rank_ties_by_their_mean_and_baselines_sum_to_one():
    cands = candidate_sets(toy_actors(20, seed=1))
    uniform = baseline_probabilities(cands)
    lp_mw = baseline_probabilities(cands, miss=lp_mw_miss(cands))
    ids = cands["formation_id"].values
    for p in (uniform, lp_mw):
        sums = np.bincount(np.unique(ids, return_inverse=True)[1], p.values)
        np.testing.assert_allclose(sums, 1.0)
    scores = score_formations(cands, uniform)
    assert scores["mean_rank"] == pytest.approx((scores["mean_candidates"] + 1) / 2)
    assert scores["top1"] == 0.0


def test_split_is_seeded_and_holds_out_the_stated_share():
    ids = np.arange(475)
    held = split_formations(ids, holdout=0.2, seed=1)
    assert held.sum() == 95
    assert (held == split_formations(ids, holdout=0.2, seed=1)).all()


def toy_fit() -> FitResult:
    """A fit result of made-up numbers, for the writers and the command."""
    return FitResult(
        formation={t: (0.5, 0.1) for t in TERMS},
        duration={"range": (0.0, 0.1), "baseline_log_days": (2.8, 0.1)},
        heldout={"uniform": dict(mean_rank=9.0, median_rank=8.0, top1=0.0, mean_log_score=-3.0)},
        diagnostics={},
        facts={"n_formations": 475, "n_heldout": 95, "n_candidates": 1000, "seed": 1},
    )


def test_written_priors_are_valid_spec_sections():
    data = tomllib.loads(priors_toml(toy_fit()))
    formation = FormationPriors(**data["formation"])
    duration = DurationPriors(**data["duration"])
    assert set(formation.coefficients) == set(TERMS)
    assert all(c.verified for c in formation.coefficients.values())
    assert duration.baseline_log_days.mean == 2.8
    assert duration.coefficients["post_election"].sd == 0.0


def test_check_ranks_a_formation_described_by_a_spec():
    rows = formation_rows(
        {"a": 40, "b": 35, "c": 25},
        house=100,
        cabinet=("a", "b"),
        pm="a",
        incumbent=("a",),
        positions={"a": 2.0, "b": 4.0},
        election_date=dt.date(2010, 3, 7),
        days=30,
        label="toy",
    )
    formation = {t: (0.0, 0.0) for t in TERMS} | {"minimal_winning": (2.0, 0.0)}
    duration = {"range": (0.0, 0.0), "n_parties": (0.0, 0.0), "minority": (0.0, 0.0)}
    duration |= {"n_parties_log_t": (0.0, 0.0), "baseline_shape": (1.5, 0.0)}
    duration |= {"baseline_log_days": (math.log(20.0), 0.0)}
    check = check_formation(rows, formation, duration)
    # three minimal winning coalitions (a+b, a+c, b+c) tie for first: mean rank 2
    assert check["n_candidates"] == 7 and check["rank"] == 2.0 and check["days"] == 30
    assert check["p_formed"] == pytest.approx(math.e**2 / (3 * math.e**2 + 4))
    assert check["median_days"] == pytest.approx(20.0)
    # a lower hazard (-0.5 per extra party) stretches the median by exp(0.5 / shape)
    slower = duration | {"n_parties": (-0.5, 0.0)}
    two = {"n_parties": 2, "range": 0.0, "minority": 0.0}
    assert median_days(two, slower) == pytest.approx(20.0 * math.exp(0.5 / 1.5))


def test_fit_priors_command_passes_its_settings_and_writes_the_priors(tmp_path, monkeypatch):
    seen = {}

    def fake_fit(out, seed, **sampling):
        seen.update(seed=seed, **sampling)
        write_priors(out, toy_fit())
        return toy_fit()

    monkeypatch.setattr(fitting, "fit_priors", fake_fit)
    out = tmp_path / "priors.toml"
    args = ["fit-priors", "--out", str(out), "--seed", "7", "--draws", "20", "--chains", "1"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert seen == dict(seed=7, draws=20, tune=1000, chains=1)
    assert "held-out uniform: mean rank 9.0, log score -3.00" in done.output
    assert FormationPriors(**tomllib.loads(out.read_text())["formation"]).coefficients
