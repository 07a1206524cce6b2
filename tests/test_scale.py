"""Chunked post-fit stages on dask: the same numbers in one process, in threads and on a cluster."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import forecast.run.scale
from forecast.run.pipeline import run_forecast
from forecast.run.scale import _hist_quantile, chunk_bounds, chunk_seed, headlines
from forecast.run.scenarios import baseline, parse_scenario


def test_chunks_cover_the_samples_once():
    assert chunk_bounds(25, 10) == [(0, 10), (10, 20), (20, 25)]
    assert chunk_bounds(3, 10) == [(0, 3)]
    with pytest.raises(ValueError):
        chunk_bounds(0, 10)


def test_every_stage_and_chunk_has_its_own_stream():
    seeds = {chunk_seed(7, stage, i) for stage in range(1, 6) for i in range(50)}
    assert len(seeds) == 250
    assert chunk_seed(7, 1, 0) == chunk_seed(7, 1, 0) != chunk_seed(8, 1, 0)


@given(st.lists(st.integers(0, 30), min_size=1, max_size=200), st.floats(0.0, 1.0))
def test_quantiles_from_counts_equal_numpys_inverted_cdf(values, q):
    x = np.array(values)
    assert _hist_quantile(np.bincount(x, minlength=31), q) == np.quantile(
        x, q, method="inverted_cdf"
    )


@pytest.fixture(scope="module")
def runs(toy_result):
    spec = toy_result.spec
    return [
        baseline(spec),
        parse_scenario(spec, "swing", {"swing.beta": 0.1, "veto.alpha.beta": True}),
    ]


def _headlines(toy_result, runs, scheduler):
    return headlines(
        toy_result.posterior,
        toy_result.data,
        runs,
        seed=toy_result.seed,
        samples=230,
        chunk=50,
        scheduler=scheduler,
    )


def test_threads_and_a_local_cluster_give_the_single_process_numbers(toy_result, runs, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(forecast.run.scale, "PILOT", 64)  # candidates from the first two chunks
    single = _headlines(toy_result, runs, "sync")
    assert single[0]["samples"] == 230
    assert _headlines(toy_result, runs, "threads") == single
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster:
        assert _headlines(toy_result, runs, cluster.scheduler_address) == single
        spec, out = toy_result.spec, toy_result.out_dir
        remote = run_forecast(
            spec,
            out_dir=out,
            draws=90,
            chunk=40,
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    here = run_forecast(spec, out_dir=out, draws=90, chunk=40, scheduler="sync", progress=False)
    np.testing.assert_array_equal(remote.votes["votes"].values, here.votes["votes"].values)
    np.testing.assert_array_equal(remote.seats["seats"].values, here.seats["seats"].values)


def test_chunked_run_is_the_same_in_one_process_and_in_threads(toy_result, tmp_path):
    spec = toy_result.spec
    one = run_forecast(
        spec, out_dir=toy_result.out_dir, draws=120, chunk=40, scheduler="sync", progress=False
    )
    two = run_forecast(
        spec, out_dir=toy_result.out_dir, draws=120, chunk=40, scheduler="threads", progress=False
    )
    assert one.seats.sizes["sample"] == 120 and list(one.seats["sample"].values) == list(range(120))
    np.testing.assert_array_equal(one.votes["votes"].values, two.votes["votes"].values)
    np.testing.assert_array_equal(one.seats["seats"].values, two.seats["seats"].values)
    np.testing.assert_array_equal(one.coalitions["formed"].values, two.coalitions["formed"].values)
    # chunks draw their own streams: no two chunks repeat each other
    s = one.votes["votes"].values
    assert not np.array_equal(s[:40], s[40:80])


def test_headline_cores_count_the_governments_drawn_in_every_chunk(toy_result, runs):
    from forecast.government.coalitions import coalition_candidates
    from forecast.run.scale import (
        TOP_COALITIONS,
        _national_seats,
        coalition_stage,
        concat_samples,
        predictive_inputs,
    )

    samples, chunk, seed = 150, 40, toy_result.seed
    found = headlines(
        toy_result.posterior,
        toy_result.data,
        runs,
        seed=seed,
        samples=samples,
        chunk=chunk,
        scheduler="sync",
    )
    post = predictive_inputs(toy_result.posterior)
    for scenario, h in zip(runs, found, strict=True):
        # the chunks redrawn with their seeds and scored with the stage functions directly
        bounds = chunk_bounds(samples, chunk)
        kw = {"seed": seed}
        seats = [
            _national_seats(post, toy_result.data, scenario, index=i, start=a, stop=b, **kw)
            for i, (a, b) in enumerate(bounds)
        ]
        candidates = coalition_candidates(concat_samples(seats), scenario.spec)
        tables = [
            coalition_stage(s, scenario.spec, index=i, candidates=candidates, **kw)[0]
            for i, s in enumerate(seats)
        ]
        drawn = np.concatenate([t["core"].values[t["core_of_sample"].values] for t in tables])
        labels, counts = np.unique(drawn, return_counts=True)
        p = dict(zip(labels.tolist(), (counts / samples).round(4).tolist(), strict=True))
        assert h["n_cores"] == len(labels)
        assert len(h["cores"]) == min(TOP_COALITIONS, len(labels))
        for c in h["cores"]:
            assert c["p"] == p[c["label"]]
            assert "+".join(sorted(c["members"])) == c["label"]
        assert [c["p"] for c in h["cores"]] == sorted(p.values(), reverse=True)[: len(h["cores"])]
        assert sum(c["p"] for c in h["cores"]) + h["p_other_cores"] == pytest.approx(1, abs=1e-3)
        p_in = sum(t["p_in_government"] * t.sizes["sample"] for t in tables) / samples
        assert h["p_in_government"] == {
            str(k): round(float(v), 4)
            for k, v in p_in.to_series().sort_values(ascending=False, kind="stable").items()
        }
        assert max(h["p_in_government"].values()) <= 1.0
