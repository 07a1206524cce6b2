"""Which government forms, who becomes prime minister, and how long formation takes.

Formation is a conditional logit over the candidate governments of ``score_coalitions`` (Martin &
Stevenson 2001): in each sample the utility of coalition ``c`` is ``sum_k beta_k x_ck`` and
``P(c forms) = exp(u_c) / sum_d exp(u_d)``. The features are Martin & Stevenson's (minority
cabinet, minimal winning, number of parties, holds the largest list, ideological range,
incumbent cabinet, pre-electoral pact, anti-pact) plus two spec-level terms: a minority cabinet
where investiture needs an absolute majority, and ``unity``, a cabinet that puts every major
community in power (the consociational norm of Iraq's 2005 and 2006 cabinets). Every
coefficient is a prior ``Normal(mean, sd)`` drawn afresh for each sample, so its uncertainty
reaches the probabilities. One government is then drawn per sample; its prime minister is its
largest list in that sample (ties go to the list with more mean seats).

Formation time follows the hazard model of Martin & Vanberg (2003) with a Weibull baseline:
``h(t | x) = h0(t) exp(beta . x) t**(gamma n)``, ``n`` the cabinet's number of parties (held at
``duration.max_parties``, the range of Martin & Vanberg's data) and ``gamma`` their
number-of-parties x log(t) term. The baseline is fixed by its median: a one-party majority
cabinet formed between elections, with no ideological range, takes ``exp(baseline_log_days)``
days at the median. With ``a = shape + gamma n`` the cumulative hazard is
``H(t | x) = ln 2 (a_ref / a) exp(beta . (x - x_ref)) t**a / median**a_ref``, inverted in closed
form for the draws; exponents are floored at 0.2 so that every formation ends.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from forecast.data.spec import Coefficient, ForecastSpec
from forecast.dims import CI_BOUND, COALITION, PARTY, SAMPLE, check
from forecast.government.coalitions import member_seats, one_blas_thread

__all__ = [
    "default_duration_priors",
    "default_formation_priors",
    "predict_formation",
    "predict_formation_days",
    "prior_table",
]

CI_PROB = 0.9
_FORMATION_STREAM = 1
_DURATION_STREAM = 2
_MIN_EXPONENT = 0.2
_BLOCK_CELLS = 1 << 19  # coalitions x samples per block of the softmax: 2 MB of float32

_MS = (
    "Martin & Stevenson 2010 (APSR 104(3), 'The conditional impact of incumbency on government "
    "formation'), Table 1 model 1, as quoted in the constants of a public coalition-formation "
    "simulator (secondary); the 2001 AJPS model has the same terms, its values not found in a "
    "readable source; sd judgemental"
)
_CX = (
    "Martin & Vanberg 2003 (BJPS 33:323-344) Cox model re-estimated on their data in the coxed R "
    "package vignette (Kropko & Harden), printed summary(mv.cox): coef and se(coef) (secondary)"
)


def default_formation_priors() -> dict[str, Coefficient]:
    """Conditional-logit priors used when the spec does not state a term (a fresh mapping).

    Returns
    -------
    dict of str to Coefficient
        One entry per formation term, each with its source.
    """
    return {
        "minority": Coefficient(mean=-1.188, sd=0.4, source=_MS),
        "minimal_winning": Coefficient(mean=0.683, sd=0.3, source=_MS),
        "n_parties": Coefficient(mean=-0.485, sd=0.15, source=_MS),
        "largest": Coefficient(mean=1.575, sd=0.4, source=_MS),
        "range": Coefficient(
            mean=-0.15,
            sd=0.1,
            source=(
                "judgement: per point of the spec's bloc axis; Martin & Stevenson's range term is "
                "-0.027 per manifesto left-right point (secondary, as above), the conversion to "
                "a 0-10 axis is judgement"
            ),
            judgemental=True,
        ),
        "incumbent": Coefficient(mean=1.984, sd=0.5, source=_MS),
        "pact": Coefficient(mean=3.429, sd=0.7, source=_MS),
        "anti_pact": Coefficient(mean=-2.877, sd=0.7, source=_MS),
        "investiture_minority": Coefficient(
            mean=0.0,
            sd=0.0,
            source="judgement: off unless the spec says coalitions.investiture and sets a value",
            judgemental=True,
        ),
        "unity": Coefficient(
            mean=0.0,
            sd=0.0,
            source="judgement: no consociational preference unless the spec sets one",
            judgemental=True,
        ),
    }


def default_duration_priors() -> dict[str, Coefficient]:
    """Hazard-model priors used when the spec does not state a term (a fresh mapping).

    Returns
    -------
    dict of str to Coefficient
        The log-hazard terms plus ``baseline_log_days`` and ``baseline_shape``.
    """
    return {
        "post_election": Coefficient(mean=-0.57665, sd=0.16862, source=_CX + ": postel, HR 0.56"),
        "range": Coefficient(
            mean=-0.0264,
            sd=0.0149,
            source=(
                _CX + ": rgovm -0.21312 (se 0.12036), HR 0.81, per rgovm unit; judgement: the "
                "widest coalition of the vignette (rgovm 1.24) taken as 10 points of the bloc axis"
            ),
            judgemental=True,
        ),
        "n_parties": Coefficient(mean=1.19057, sd=0.12405, source=_CX + ": pgovno, HR 3.29"),
        "n_parties_log_t": Coefficient(
            mean=-0.43189, sd=0.03476, source=_CX + ": tpgovno, HR 0.65 (parties x log days)"
        ),
        "minority": Coefficient(mean=-0.42759, sd=0.20793, source=_CX + ": minority, HR 0.65"),
        "baseline_log_days": Coefficient(
            mean=float(np.log(10.0)),
            sd=0.5,
            source=(
                "judgement: a one-party majority cabinet formed between elections takes about 10 "
                "days at the median; the vignette's whole-sample median is 19 days"
            ),
            judgemental=True,
        ),
        "baseline_shape": Coefficient(
            mean=3.0,
            sd=0.3,
            source=(
                "judgement: Weibull shape large enough that the hazard stays increasing for "
                "cabinets of up to six parties under the parties x log(t) term"
            ),
            judgemental=True,
        ),
    }


def _formation_coefficients(spec: ForecastSpec) -> dict[str, Coefficient]:
    return {**default_formation_priors(), **spec.formation.coefficients}


def _duration_coefficients(spec: ForecastSpec) -> dict[str, Coefficient]:
    coefs = {**default_duration_priors(), **spec.duration.coefficients}
    if spec.duration.baseline_log_days is not None:
        coefs["baseline_log_days"] = spec.duration.baseline_log_days
    if spec.duration.baseline_shape is not None:
        coefs["baseline_shape"] = spec.duration.baseline_shape
    return coefs


def prior_table(coefficients: dict[str, Coefficient]) -> str:
    """Write priors as JSON for ``attrs``: term -> mean, sd, source, verified, judgemental."""
    return json.dumps({k: c.model_dump() for k, c in coefficients.items()}, sort_keys=True)


def _draw(coefs: dict[str, Coefficient], n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One draw of every coefficient per sample: name -> array of shape (sample,)."""
    return {k: rng.normal(c.mean, c.sd, size=n) for k, c in coefs.items()}


def _actor_masks(table: xr.Dataset, groups: list[tuple[str, ...]]) -> list[np.ndarray]:
    """Membership rows (actor,) of groups of list slugs, keeping the actors among them."""
    ids = [str(p) for p in table[PARTY].values]
    names = [str(p) for p in table["list"].values]
    lists = table["actor_lists"].values
    out = []
    for group in groups:
        cols = [names.index(p) for p in group if p in names]
        row = lists[:, cols].any(axis=1) if cols else np.zeros(len(ids), dtype=bool)
        out.append(row)
    return out


def _static_features(table: xr.Dataset, spec: ForecastSpec) -> dict[str, np.ndarray]:
    """Features that do not depend on the sample: name -> array of shape (coalition,)."""
    rules = spec.coalitions
    members = table["members"].values
    incumbent, *pacts = _actor_masks(table, [rules.incumbent, *rules.pacts])
    vetoes = _actor_masks(table, [(a,) for pair in rules.vetoes for a in pair])
    pact = np.zeros(len(members), dtype=bool)
    for row in pacts:
        if row.sum() >= 2:
            pact |= (members >= row).all(axis=1)
    anti = np.zeros(len(members), dtype=bool)
    for a, b in zip(vetoes[::2], vetoes[1::2], strict=True):
        if a.any() and b.any() and not (a & b).any():
            anti |= (members & a).any(axis=1) & (members & b).any(axis=1)
    return {
        "n_parties": table["n_parties"].values.astype(float),
        "range": table["ideological_range"].values.astype(float),
        "incumbent": ((members == incumbent).all(axis=1) & incumbent.any()).astype(float),
        "pact": pact.astype(float),
        "anti_pact": anti.astype(float),
        "unity": _unity(table, spec).astype(float),
    }


def _unity(table: xr.Dataset, spec: ForecastSpec) -> np.ndarray:
    """Whether each coalition puts every major community in power (coalition,).

    A community is major when its population share is at least ``formation.unity_min_size``; it is
    in power when the coalition holds at least ``risk.inclusion_share`` of the seats the actors
    are expected to win for it (mean seats split by the lists' community bases).
    """
    major = [
        k for k, c in enumerate(spec.community) if c.relative_size >= spec.formation.unity_min_size
    ]
    if not major:
        return np.zeros(table.sizes[COALITION], dtype=bool)
    names = [str(p) for p in table["list"].values]
    shares = {p.id: p.community_base for p in spec.party}
    base = np.array(
        [[shares.get(p, {}).get(spec.community[k].id, 0.0) for k in major] for p in names]
    )
    lists = table["actor_lists"].values
    actor_base = (lists @ base) / np.maximum(lists.sum(axis=1, keepdims=True), 1)
    expected = table["actor_seats"].values.mean(axis=0)[:, None] * actor_base
    held = table["members"].values @ expected
    total = expected.sum(axis=0)
    return ((held >= spec.risk.inclusion_share * total) | (total == 0)).all(axis=1)


@one_blas_thread
def predict_formation(coalitions: xr.Dataset, spec: ForecastSpec, *, seed: int) -> xr.Dataset:
    """Probability that each candidate government forms, one drawn government and its PM.

    Parameters
    ----------
    coalitions : xr.Dataset
        ``CoalitionTable`` from ``score_coalitions``.
    spec : ForecastSpec
        ``formation`` priors (defaults: ``default_formation_priors``) and ``coalitions`` rules.
    seed : int
        Seed of the coefficient draws and of the drawn governments.

    Returns
    -------
    xr.Dataset
        The table with ``p_form`` (coalition), ``p_form_sample`` (sample, coalition) summing to 1
        in each sample, ``formed`` (sample): index of the drawn government, ``pm`` (sample): actor
        index of its prime minister, ``p_pm`` (party): probability of holding the premiership,
        and attrs ``priors_formation`` (JSON: every coefficient with its source).

    Examples
    --------
    >>> from forecast.government.coalitions import score_coalitions
    >>> from forecast.testing import toy_seat_draws, toy_spec
    >>> spec = toy_spec()
    >>> seats = toy_seat_draws(50, {"alpha": 45, "beta": 35, "gamma": 20})
    >>> formed = predict_formation(score_coalitions(seats, spec), spec, seed=1)
    >>> round(float(formed["p_form"].sum()), 6)
    1.0
    """
    check(coalitions, "CoalitionTable")
    coefs = _formation_coefficients(spec)
    w = coalitions["actor_seats"].values
    n_sample = w.shape[0]
    rng = np.random.default_rng([seed, _FORMATION_STREAM])
    beta = _draw(coefs, n_sample, rng)
    members = coalitions["members"].values
    # Coalition-major (coalition, sample) arrays throughout.
    minority = ~coalitions["majority"].values.T
    static = _static_features(coalitions, spec)
    names = list(static)
    x_static = np.stack([static[k] for k in names], axis=1).astype(np.float32)
    utility = x_static @ np.stack([beta[k] for k in names]).astype(np.float32)
    # Sample-dependent features as one code per cell: 1 minority, 2 minimal winning, 4 largest;
    # each sample's utility for the eight codes is looked up in one gather.
    code = minority.view(np.uint8) | (coalitions["minimal_winning"].values.T.view(np.uint8) << 1)
    largest = w.argmax(axis=1)
    holds_largest = members.view(np.uint8) << 2
    for row, flags in zip(code, holds_largest, strict=True):
        row |= flags.take(largest)  # per coalition: a 12-entry table read at each sample
    bits = np.arange(8)[:, None]
    minority_term = beta["minority"] + spec.coalitions.investiture * beta["investiture_minority"]
    lookup = (
        (bits & 1 > 0) * minority_term
        + (bits & 2 > 0) * beta["minimal_winning"]
        + (bits & 4 > 0) * beta["largest"]
    ).astype(np.float32)
    # Sample-major lookup, flat: cell (c, s) reads lookup_flat[8 s + code[c, s]].
    lookup_flat = np.ascontiguousarray(lookup.T).ravel()
    n_coalition = len(members)
    u = rng.random(n_sample)
    formed = np.empty(n_sample, dtype=np.intp)
    # Softmax over coalitions and the drawn government, in blocks of samples that stay in cache;
    # every step is per sample, summing coalitions in order as a cumulative sum would.
    block = max(1, _BLOCK_CELLS // max(n_coalition, 1))
    for a in range(0, n_sample, block):
        cols = slice(a, min(a + block, n_sample))
        ub = utility[:, cols]
        offset = (np.arange(cols.start, cols.stop, dtype=np.int32) * 8)[None, :]
        ub += np.take(lookup_flat, code[:, cols] + offset)
        ub -= ub.max(axis=0)
        np.exp(ub, out=ub)
        ub /= ub.sum(axis=0)
        # The government drawn: how many running sums (a cumulative sum over coalitions, in
        # order, as float32) fall below the uniform draw times the total.
        target = u[cols] * ub.sum(axis=0)
        running = np.zeros(ub.shape[1], dtype=np.float32)
        drawn = np.zeros(ub.shape[1], dtype=np.intp)
        for row in ub:
            running += row
            drawn += running < target
        formed[cols] = np.minimum(drawn, n_coalition - 1)
    p = utility
    pm_of = member_seats(w, members, largest=True)
    n_actor = members.shape[1]
    p_pm = np.zeros(n_actor)
    for row, weight in zip(pm_of, p, strict=True):
        p_pm += np.bincount(row, weights=weight, minlength=n_actor)
    p_pm /= n_sample
    pm = pm_of[formed, np.arange(n_sample)]
    out = coalitions.assign(
        p_form=((COALITION,), p.mean(axis=1, dtype=np.float64)),
        p_form_sample=((SAMPLE, COALITION), p.T),
        formed=((SAMPLE,), formed),
        pm=((SAMPLE,), pm),
        p_pm=((PARTY,), p_pm),
    )
    out.attrs.update(
        priors_formation=prior_table(coefs),
        formation_rule=(
            "conditional logit over the candidates, coefficients drawn per sample; one government "
            "drawn per sample; prime minister = its largest list in that sample"
        ),
        formation_seed=seed,
    )
    return check(out, "CoalitionTable")


def _formed(coalitions: xr.Dataset) -> np.ndarray:
    if "formed" not in coalitions:
        raise ValueError(
            "the coalition table has no 'formed' government: run predict_formation first"
        )
    return coalitions["formed"].values


def predict_formation_days(coalitions: xr.Dataset, spec: ForecastSpec, *, seed: int) -> xr.Dataset:
    """Days from the election to the government drawn in each sample, from the hazard model.

    Parameters
    ----------
    coalitions : xr.Dataset
        ``CoalitionTable`` after ``predict_formation``.
    spec : ForecastSpec
        ``duration`` priors (defaults: ``default_duration_priors``), its ``max_parties`` and
        ``protracted_days``.
    seed : int
        Seed of the coefficient and duration draws.

    Returns
    -------
    xr.Dataset
        The table with ``formation_days`` (sample), ``formation_days_median``,
        ``formation_days_eti`` (ci_bound), ``p_formation_over`` (the probability that formation
        takes longer than ``duration.protracted_days``, six months by default),
        ``p_formation_censored`` (no government by ``duration.max_days``), and attrs
        ``priors_duration`` (JSON).

    Examples
    --------
    >>> from forecast.government.coalitions import score_coalitions
    >>> from forecast.testing import toy_seat_draws, toy_spec
    >>> spec = toy_spec()
    >>> table = score_coalitions(toy_seat_draws(200, {"alpha": 45, "beta": 35, "gamma": 20}), spec)
    >>> days = predict_formation_days(predict_formation(table, spec, seed=1), spec, seed=2)
    >>> bool((days["formation_days"] > 0).all())
    True
    """
    formed = _formed(coalitions)
    coefs = _duration_coefficients(spec)
    n_sample = len(formed)
    rng = np.random.default_rng([seed, _DURATION_STREAM])
    beta = _draw(coefs, n_sample, rng)
    idx = np.arange(n_sample)
    n = np.minimum(coalitions["n_parties"].values[formed], spec.duration.max_parties).astype(float)
    span = coalitions["ideological_range"].values[formed]
    minority = ~coalitions["majority"].values[idx, formed]
    # Log hazard ratio against the reference: one-party majority, no range, between elections.
    log_hr = (
        beta["post_election"]
        + beta["range"] * span
        + beta["n_parties"] * (n - 1.0)
        + beta["minority"] * minority
    )
    shape = beta["baseline_shape"]
    a_ref = np.maximum(shape + beta["n_parties_log_t"], _MIN_EXPONENT)
    a = np.maximum(shape + beta["n_parties_log_t"] * n, _MIN_EXPONENT)
    log_median = beta["baseline_log_days"]
    e = rng.exponential(size=n_sample)
    log_days = (np.log(e * a / (np.log(2.0) * a_ref)) - log_hr + a_ref * log_median) / a
    # Censored at the end of the term: the fitted hazard's tail for cabinets of five or six
    # lists decays too slowly to be read beyond the durations in its data.
    days = np.minimum(np.exp(log_days), spec.duration.max_days)
    q = (1 - CI_PROB) / 2
    limit = spec.duration.protracted_days
    out = coalitions.assign(
        formation_days=((SAMPLE,), days),
        formation_days_median=float(np.median(days)),
        formation_days_eti=((CI_BOUND,), np.quantile(days, [q, 1 - q])),
        p_formation_over=float((days > limit).mean()),
        p_formation_censored=float((days >= spec.duration.max_days).mean()),
    )
    out["p_formation_over"].attrs["days"] = limit
    out.attrs.update(priors_duration=prior_table(coefs), duration_seed=seed)
    if CI_BOUND not in out.coords:
        out = out.assign_coords({CI_BOUND: ["lower", "upper"]})
    return out
