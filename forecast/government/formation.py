"""Which government forms and who becomes prime minister: a conditional logit over candidates.

Formation is a conditional logit over the candidate governments of ``score_coalitions`` (Martin &
Stevenson 2001): in each sample the utility of coalition ``c`` is ``sum_k beta_k x_ck`` and
``P(c forms) = exp(u_c) / sum_d exp(u_d)``. The features are Martin & Stevenson's (minority
cabinet, minimal winning, number of parties, holds the largest list, ideological range,
incumbent cabinet, pre-electoral pact, anti-pact) plus two spec-level terms: a minority cabinet
where investiture needs an absolute majority, and ``unity``, a cabinet that puts every major
community in power (the consociational norm of Iraq's 2005 and 2006 cabinets). Every
coefficient is a prior ``Normal(mean, sd)`` drawn afresh for each sample, so its uncertainty
reaches the probabilities. One government is then drawn per sample; its prime minister is its
largest list in that sample (ties go to the list with more mean seats). How long formation takes
is ``forecast.government.duration``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.data.spec import ForecastSpec
from forecast.data.spec_government import Coefficient
from forecast.dims import COALITION, PARTY, SAMPLE, check
from forecast.government.coalitions import member_seats, one_blas_thread
from forecast.government.cores import government_cores
from forecast.government.priors import draw_coefficients, prior_table

__all__ = ["default_formation_priors", "predict_formation"]

_FORMATION_STREAM = 1
_BLOCK_CELLS = 1 << 19  # coalitions x samples per block of the softmax: 2 MB of float32

_MS = (
    "Martin & Stevenson 2010 (APSR 104(3), 'The conditional impact of incumbency on government "
    "formation'), Table 1 model 1, as quoted in the constants of a public coalition-formation "
    "simulator (secondary); the 2001 AJPS model has the same terms, its values not found in a "
    "readable source; sd judgemental"
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


def _formation_coefficients(spec: ForecastSpec) -> dict[str, Coefficient]:
    """Merge the spec's formation terms over the defaults."""
    return {**default_formation_priors(), **spec.formation.coefficients}


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


def _sample_codes(coalitions: xr.Dataset) -> np.ndarray:
    """Code the sample-dependent features of each cell: 1 minority, 2 minimal winning, 4 largest.

    Returns
    -------
    np.ndarray, shape (coalition, sample), uint8
        The sum of the codes of the features each coalition has in each sample.
    """
    minority = ~coalitions["majority"].values.T
    code = minority.view(np.uint8) | (coalitions["minimal_winning"].values.T.view(np.uint8) << 1)
    largest = coalitions["actor_seats"].values.argmax(axis=1)
    holds_largest = coalitions["members"].values.view(np.uint8) << 2
    for row, flags in zip(code, holds_largest, strict=True):
        row |= flags.take(largest)  # per coalition: a 12-entry table read at each sample
    return code


def _code_utilities(beta: dict[str, np.ndarray], investiture: bool) -> np.ndarray:
    """Give each sample's utility of the eight feature codes, so one gather reads every cell.

    Returns
    -------
    np.ndarray, shape (8 * sample,), float32
        Sample-major and flat: cell (c, s) reads entry ``8 s + code[c, s]``.
    """
    bits = np.arange(8)[:, None]
    minority_term = beta["minority"] + investiture * beta["investiture_minority"]
    lookup = (
        (bits & 1 > 0) * minority_term
        + (bits & 2 > 0) * beta["minimal_winning"]
        + (bits & 4 > 0) * beta["largest"]
    ).astype(np.float32)
    return np.ascontiguousarray(lookup.T).ravel()


def _softmax_and_draw(
    utility: np.ndarray, code: np.ndarray, lookup_flat: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """Turn utilities into formation probabilities, in place, and draw one government per sample.

    Parameters
    ----------
    utility : np.ndarray, shape (coalition, sample), float32
        Utility of the static features; overwritten with the probabilities.
    code : np.ndarray, shape (coalition, sample)
        Feature codes of ``_sample_codes``, whose utilities ``lookup_flat`` adds.
    lookup_flat : np.ndarray
        From ``_code_utilities``.
    u : np.ndarray, shape (sample,)
        Uniform draws that choose the government.

    Returns
    -------
    np.ndarray, shape (sample,)
        Index of the drawn government.
    """
    n_coalition, n_sample = utility.shape
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
    return formed


def _premiership(
    w: np.ndarray, members: np.ndarray, p: np.ndarray, formed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Find the prime minister of each drawn government and each actor's premiership chance.

    Returns
    -------
    pm : np.ndarray, shape (sample,)
        Actor index of the largest list of the government drawn in each sample.
    p_pm : np.ndarray, shape (actor,)
        Probability of holding the premiership, over the formation probabilities ``p``
        (coalition, sample).
    """
    n_sample = w.shape[0]
    pm_of = member_seats(w, members, largest=True)
    n_actor = members.shape[1]
    p_pm = np.zeros(n_actor)
    for row, weight in zip(pm_of, p, strict=True):
        p_pm += np.bincount(row, weights=weight, minlength=n_actor)
    p_pm /= n_sample
    return pm_of[formed, np.arange(n_sample)], p_pm


@one_blas_thread
def predict_formation(coalitions: xr.Dataset, spec: ForecastSpec, *, seed: int) -> xr.Dataset:
    """Give the probability that each candidate government forms, one drawn government and its PM.

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
        the government cores of ``forecast.government.cores`` (``core_members``, ``p_core``,
        ``core_seats``, ``core_of_sample``, ``p_in_government``) and attrs ``priors_formation``
        (JSON: every coefficient with its source).

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
    beta = draw_coefficients(coefs, n_sample, rng)
    # Coalition-major (coalition, sample) arrays throughout.
    static = _static_features(coalitions, spec)
    names = list(static)
    x_static = np.stack([static[k] for k in names], axis=1).astype(np.float32)
    utility = x_static @ np.stack([beta[k] for k in names]).astype(np.float32)
    lookup_flat = _code_utilities(beta, spec.coalitions.investiture)
    code = _sample_codes(coalitions)
    formed = _softmax_and_draw(utility, code, lookup_flat, rng.random(n_sample))
    p = utility  # the softmax overwrote the utilities with the probabilities
    pm, p_pm = _premiership(w, coalitions["members"].values, p, formed)
    out = coalitions.assign(
        p_form=((COALITION,), p.mean(axis=1, dtype=np.float64)),
        p_form_sample=((SAMPLE, COALITION), p.T),
        formed=((SAMPLE,), formed),
        pm=((SAMPLE,), pm),
        p_pm=((PARTY,), p_pm),
    )
    cores = government_cores(out, core_share=spec.coalitions.core_share)
    out = out.merge(cores)
    out.attrs.update(
        **cores.attrs,
        priors_formation=prior_table(coefs),
        formation_rule=(
            "conditional logit over the candidates, coefficients drawn per sample; one government "
            "drawn per sample; prime minister = its largest list in that sample"
        ),
        formation_seed=seed,
    )
    return check(out, "CoalitionTable")
