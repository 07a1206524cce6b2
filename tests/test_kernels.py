"""Seat-allocation kernels: hand cases, properties, and agreement with votelib.

votelib is the independent oracle: the same random districts go through both, and every case
where votelib reports a tie (or awards a seat to a list without votes, which the kernels never
do) is left out.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import votelib.component.divisor as vdiv
import votelib.evaluate.core as vcore
import votelib.evaluate.proportional as vprop
import votelib.evaluate.threshold as vthr
from hypothesis import assume, given
from hypothesis import strategies as st

from forecast.seats import (
    Lottery,
    allocate_district,
    highest_averages,
    largest_remainder,
    passes_threshold,
)

METHODS = ("hare_lr", "droop_lr", "dhondt", "sainte_lague", "modified_sainte_lague")
DIVISOR = ("dhondt", "sainte_lague", "modified_sainte_lague")


def alloc(votes, seats, method, **kw):
    """One district: list of votes -> list of seats."""
    first = 1.4 if method == "modified_sainte_lague" else None
    out = allocate_district(np.array([votes]), seats, method=method, first_divisor=first, **kw)
    return out[0].tolist()


# --------------------------------------------------------------------------- hand cases


def test_dhondt_textbook():
    # quotients 100 80 50 40 33.3 30 ...: seats 3 to A, 2 to B, 1 to C
    assert alloc([100, 80, 30, 20], 6, "dhondt") == [3, 2, 1, 0]


def test_sainte_lague_and_modified_differ_on_small_list():
    votes = [53000, 24000, 23000]
    assert alloc(votes, 7, "sainte_lague") == [3, 2, 2]
    # modified first divisor 1.4 (votelib's Nordic variant) keeps the same result here
    assert alloc(votes, 7, "modified_sainte_lague") == [3, 2, 2]
    # but a small list loses its first seat to the higher first divisor: 90 / 1 beats the big
    # list's eighth quotient 1000 / 15 = 66.7, while 90 / 1.4 = 64.3 does not
    assert alloc([1000, 90], 8, "sainte_lague") == [7, 1]
    assert alloc([1000, 90], 8, "modified_sainte_lague") == [8, 0]


def test_hare_exact_quotas_have_no_rounding_error():
    # v M / T is a whole number for every list: floor must not drop to one less
    assert alloc([50, 30, 20], 10, "hare_lr") == [5, 3, 2]
    assert alloc([1, 1, 1], 3, "hare_lr") == [1, 1, 1]
    assert alloc([700, 300], 10, "droop_lr") == [7, 3]


def test_magnitude_zero_and_one():
    for method in METHODS:
        assert alloc([10, 30, 20], 0, method) == [0, 0, 0]
        assert alloc([10, 30, 20], 1, method) == [0, 1, 0]


def test_zero_vote_lists_win_nothing():
    for method in METHODS:
        assert alloc([0, 5, 0, 3], 4, method)[0] == 0
        assert alloc([0, 5, 0, 3], 4, method)[2] == 0


def test_district_without_votes_raises():
    with pytest.raises(ValueError, match="no votes"):
        alloc([0, 0], 2, "dhondt")


def test_negative_or_nan_votes_rejected():
    with pytest.raises(ValueError, match=">= 0"):
        alloc([5, -1], 2, "dhondt")
    with pytest.raises(ValueError, match="NaN"):
        allocate_district(np.array([[5.0, np.nan]]), 2, method="hare_lr")


def test_threshold_share_and_quotas():
    # 5% of 1000 = 50: a list with exactly 50 passes, 49 does not
    assert passes_threshold(np.array([[50, 49, 901]]), 10, share=0.05).tolist() == [
        [True, False, True]
    ]
    # one Hare quota of valid votes 1000 over 4 seats = 250, with votes of unlisted lists
    ok = passes_threshold(np.array([[600, 250, 100]]), 4, valid=1000, quotas=1.0)
    assert ok.tolist() == [[True, True, False]]


def test_below_threshold_wins_nothing_and_quota_recomputed():
    # Jan 2005 style: lists under one quota of all valid votes drop out; Hare among the rest
    got = alloc([600, 250, 100], 4, "hare_lr", threshold_quotas=1.0, valid=1000)
    assert got == [3, 1, 0]  # 4 * 600/850 = 2.82, 4 * 250/850 = 1.18


def test_no_list_passes_threshold_falls_back_to_all_lists():
    # nobody reaches 30%: the threshold is not applied in this district
    assert alloc([25, 25, 20, 30 - 1], 3, "dhondt", threshold=0.3) == alloc(
        [25, 25, 20, 29], 3, "dhondt"
    )


def test_not_allowed_lists_win_nothing():
    got = allocate_district(
        np.array([[60, 30, 25]]), 5, method="dhondt", allowed=np.array([True, False, True])
    )
    assert got.tolist() == [[4, 0, 1]]


def test_highest_votes_remainder_one_each_then_again():
    # valid 2000, 8 seats: quota 250; full quotas 2 and 1, five seats left: two rounds of one
    # each (4, 3), then the last to the list with most votes
    got = alloc(
        [500, 400],
        8,
        "hare_lr",
        threshold_quotas=1.0,
        quota_base="valid",
        remainder="highest_votes",
        valid=2000,
    )
    assert got == [5, 3]


def test_vote_share_remainder_reshares_the_seats_left():
    # valid 2604, 11 seats, quota 236.7: full quotas 3, 1, 1 leave six seats. vote_share shares
    # them again by votes 840:440:340 -> 3.11, 1.63, 1.26 -> 3, 1, 1, and the last to the
    # largest remainder (.63); highest_votes gives two rounds of one seat each.
    kw = dict(threshold_quotas=1.0, quota_base="valid", valid=2604)
    assert alloc([840, 440, 340], 11, "hare_lr", remainder="vote_share", **kw) == [6, 3, 2]
    assert alloc([840, 440, 340], 11, "hare_lr", remainder="highest_votes", **kw) == [5, 3, 3]


def test_tie_list_order_first_list_wins():
    for method in METHODS:
        assert alloc([5, 5, 5], 1, method) == [1, 0, 0]
        assert alloc([5, 5, 5], 2, method) == [1, 1, 0]


def test_tie_lottery_never_gives_everyone_a_seat_and_is_fair():
    votes = np.tile([7, 7, 7], (3000, 1))
    for method in ("dhondt", "hare_lr"):
        got = allocate_district(votes, 1, method=method, lottery=Lottery(seed=11))
        assert (got.sum(axis=1) == 1).all()
        share = got.mean(axis=0)
        assert np.allclose(share, 1 / 3, atol=0.04), share


def test_tie_lottery_reproducible_and_seed_dependent():
    votes = np.tile([3, 3], (200, 1))
    a = allocate_district(votes, 1, method="hare_lr", lottery=Lottery(seed=1))
    b = allocate_district(votes, 1, method="hare_lr", lottery=Lottery(seed=1))
    c = allocate_district(votes, 1, method="hare_lr", lottery=Lottery(seed=2))
    assert (a == b).all() and not (a == c).all()


def test_tie_lottery_does_not_depend_on_batching():
    rng = np.random.default_rng(3)
    votes = rng.integers(0, 4, (50, 5))
    votes[:, 0] += 1
    whole = allocate_district(votes, 3, method="dhondt", lottery=Lottery(seed=5))
    parts = [
        allocate_district(votes[i : i + 7], 3, method="dhondt", lottery=Lottery(5, 0, i))
        for i in range(0, 50, 7)
    ]
    assert (whole == np.concatenate(parts)).all()


def test_leading_axes_and_per_row_magnitudes():
    votes = np.array([[[60, 40], [10, 90]], [[50, 50], [0, 10]]])
    seats = np.array([[3, 2], [4, 1]])
    got = allocate_district(votes, seats, method="dhondt")
    assert got.shape == (2, 2, 2)
    assert (got.sum(axis=-1) == seats).all()
    assert got[0, 0].tolist() == [2, 1]


def test_thin_entries_match_allocate_district():
    votes = np.array([[60, 25, 15]])
    assert (largest_remainder(votes, 7, quota="droop") == alloc([60, 25, 15], 7, "droop_lr")).all()
    assert (
        highest_averages(votes, 7, method="sainte_lague") == alloc([60, 25, 15], 7, "sainte_lague")
    ).all()


# --------------------------------------------------------------------------- properties

votes_lists = st.lists(st.integers(0, 2000), min_size=1, max_size=9).filter(lambda v: sum(v) > 0)


@given(votes=votes_lists, seats=st.integers(0, 60), method=st.sampled_from(METHODS))
def test_seats_sum_to_magnitude(votes, seats, method):
    got = alloc(votes, seats, method)
    assert sum(got) == seats
    assert all(s == 0 for s, v in zip(got, votes, strict=True) if v == 0)


@given(
    votes=votes_lists,
    seats=st.integers(1, 40),
    remainder=st.sampled_from(("largest_remainder", "highest_votes", "vote_share")),
    base=st.sampled_from(("qualifying", "valid")),
    extra=st.integers(0, 3000),
    quotas=st.sampled_from((0.0, 0.5, 1.0)),
)
def test_remainder_rules_sum_to_magnitude(votes, seats, remainder, base, extra, quotas):
    got = alloc(
        votes,
        seats,
        "hare_lr",
        remainder=remainder,
        quota_base=base,
        valid=sum(votes) + extra,
        threshold_quotas=quotas,
    )
    assert sum(got) == seats


@given(votes=votes_lists, seats=st.integers(0, 40), method=st.sampled_from(DIVISOR))
def test_divisor_methods_are_house_monotone(votes, seats, method):
    smaller, larger = alloc(votes, seats, method), alloc(votes, seats + 1, method)
    assert all(b >= a for a, b in zip(smaller, larger, strict=True))


@given(votes=votes_lists, seats=st.integers(0, 40))
def test_hare_lr_satisfies_quota(votes, seats):
    got = alloc(votes, seats, "hare_lr")
    total = sum(votes)
    for v, s in zip(votes, got, strict=True):
        q = Fraction(v * seats, total)
        assert q - 1 < s < q + 1


@given(
    votes=votes_lists,
    seats=st.integers(1, 30),
    method=st.sampled_from(METHODS),
    share=st.sampled_from((0.05, 0.1, 0.25)),
)
def test_list_below_threshold_wins_no_seat(votes, seats, method, share):
    passing = passes_threshold(np.array([votes]), seats, share=share)[0]
    assume(passing.any())
    got = alloc(votes, seats, method, threshold=share)
    assert all(s == 0 for s, ok in zip(got, passing, strict=True) if not ok)


@given(
    votes=st.lists(st.integers(1, 10**6), min_size=2, max_size=9),
    seats=st.integers(0, 50),
    method=st.sampled_from(METHODS),
    data=st.data(),
)
def test_permuting_lists_permutes_seats(votes, seats, method, data):
    forward = alloc(votes, seats, method)
    backward = alloc(votes[::-1], seats, method)[::-1]
    assume(forward == backward)  # no tie decided the result
    perm = data.draw(st.permutations(range(len(votes))))
    permuted = alloc([votes[i] for i in perm], seats, method)
    assert permuted == [forward[i] for i in perm]


# --------------------------------------------------------------------------- votelib oracle

ORACLES = {
    "dhondt": vprop.HighestAverages("d_hondt"),
    "sainte_lague": vprop.HighestAverages("sainte_lague"),
    "modified_sainte_lague": vprop.HighestAverages(
        vdiv.modified_first_coef(vdiv.sainte_lague, Fraction(7, 5))
    ),
    "hare_lr": vprop.LargestRemainder("hare"),
    "droop_lr": vprop.LargestRemainder("droop"),
}


def votelib_seats(evaluator, votes, seats):
    """votelib's seats as a list, or None for a tie or a seat to a list without votes."""
    result = evaluator.evaluate({i: int(v) for i, v in enumerate(votes)}, seats)
    if any(isinstance(k, vcore.Tie) for k in result):
        return None
    out = [int(result.get(i, 0)) for i in range(len(votes))]
    if sum(out) != seats or any(s and not v for s, v in zip(out, votes, strict=True)):
        return None
    return out


def random_districts(seed, n_cases):
    """Random districts: 2-12 lists, magnitudes 1-70, vote scales from tiny to national."""
    rng = np.random.default_rng(seed)
    n = rng.integers(2, 13, n_cases)
    scale = rng.choice([50, 5_000, 500_000, 5_000_000], n_cases)
    alpha = rng.choice([0.3, 1.0, 5.0], n_cases)
    cases = []
    for k, s, a in zip(n, scale, alpha, strict=True):
        shares = rng.dirichlet(np.full(k, a))
        cases.append((np.floor(shares * s).astype(np.int64), int(rng.integers(1, 71))))
    return [(v, m) for v, m in cases if v.sum() > 0]


@pytest.mark.parametrize("method", METHODS)
def test_agrees_with_votelib(method):
    oracle = ORACLES[method]
    compared = 0
    for votes, seats in random_districts(METHODS.index(method), 3000):
        expected = votelib_seats(oracle, votes, seats)
        if expected is None:
            continue
        assert alloc(votes.tolist(), seats, method) == expected, (votes.tolist(), seats)
        compared += 1
    assert compared >= 2000


@pytest.mark.parametrize("method", ["dhondt", "hare_lr"])
def test_agrees_with_votelib_with_threshold(method):
    share = Fraction(1, 20)
    base = (
        vprop.HighestAverages("d_hondt") if method == "dhondt" else vprop.LargestRemainder("hare")
    )
    oracle = vcore.Conditioned(vthr.RelativeThreshold(share), base)
    compared = 0
    for votes, seats in random_districts(7 + len(method), 2000):
        total = int(votes.sum())
        # votelib's threshold is strict; exactly-at-threshold lists and empty districts are out
        if any(Fraction(int(v), total) == share for v in votes):
            continue
        if not any(Fraction(int(v), total) > share for v in votes):
            continue
        expected = votelib_seats(oracle, votes, seats)
        if expected is None:
            continue
        assert alloc(votes.tolist(), seats, method, threshold=0.05) == expected
        compared += 1
    assert compared >= 1500
