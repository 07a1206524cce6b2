"""Saved artefacts: identity checks, atomic writes, and the posterior cache of the pipeline."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pymc as pm
import pytest
import xarray as xr
from pymc.testing import mock_sample

import forecast.run.pipeline
from forecast import __version__
from forecast.data.spec import load_spec
from forecast.errors import StoreError
from forecast.run.pipeline import POSTERIOR_FILE, run_forecast
from forecast.run.store import load_tree, save_tree


def tiny_tree(spec_hash: str = "abc", seed: int = 1) -> xr.DataTree:
    posterior = xr.Dataset({"x": (("chain", "draw"), np.arange(6.0).reshape(2, 3))})
    tree = xr.DataTree.from_dict({"/posterior": posterior})
    tree.attrs.update(
        {"spec_hash": spec_hash, "seed": seed, "forecast_version": __version__, "free": ["x"]}
    )
    return tree


def test_round_trip_keeps_values_and_identity(tmp_path):
    path = save_tree(tiny_tree(), tmp_path / "p.nc")
    back = load_tree(path, spec_hash="abc", seed=1)
    np.testing.assert_array_equal(back["posterior"]["x"].values, np.arange(6.0).reshape(2, 3))
    assert back.attrs["spec_hash"] == "abc"


def test_saved_arrays_are_compressed_losslessly(tmp_path):
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(0)
    counts = xr.Dataset({"seats": (("sample", "party"), rng.poisson(3.0, (4000, 20)))})
    tree = tiny_tree()
    tree["seats"] = xr.DataTree(counts)
    path = save_tree(tree, tmp_path / "p.nc")
    with h5py.File(path) as f:
        assert f["seats/seats"].compression == "gzip" and f["seats/seats"].shuffle
    assert path.stat().st_size < counts["seats"].nbytes / 4
    back = load_tree(path, spec_hash="abc")
    np.testing.assert_array_equal(back["seats"]["seats"].values, counts["seats"].values)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"spec_hash": "other"}, "spec_hash"), ({"spec_hash": "abc", "seed": 2}, "seed")],
)
def test_a_result_for_another_spec_or_seed_is_refused(tmp_path, kwargs, field):
    path = save_tree(tiny_tree(), tmp_path / "p.nc")
    with pytest.raises(StoreError, match=field):
        load_tree(path, **kwargs)


def test_a_result_of_another_engine_version_is_refused(tmp_path):
    tree = tiny_tree()
    tree.attrs["forecast_version"] = "0.0.1"
    path = save_tree(tree, tmp_path / "p.nc")
    with pytest.raises(StoreError, match="forecast_version"):
        load_tree(path, spec_hash="abc")


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    bad = tiny_tree()
    bad["posterior"]["y"] = xr.DataArray(np.array([object()]), dims="z")  # not serialisable
    with pytest.raises(Exception):  # noqa: B017 - whatever netCDF raises, no file may remain
        save_tree(bad, tmp_path / "p.nc")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def counted_sampling(monkeypatch):
    """PyMC's mock sampler (prior draws, no MCMC) that counts how often it is called."""
    calls = []

    def sample(*args, **kwargs):
        calls.append(kwargs.get("random_seed"))
        stats = {"diverging": lambda size: np.zeros(size, dtype=bool)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return partial(mock_sample, draws=20, sample_stats=stats)(*args, **kwargs)

    monkeypatch.setattr(pm, "sample", sample)
    return calls


def test_the_pipeline_reuses_its_posterior_and_refits_for_another_seed(
    toy_project, tmp_path, counted_sampling
):
    spec = load_spec(toy_project)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = run_forecast(spec, seed=1, out_dir=tmp_path, progress=False)
        second = run_forecast(spec, seed=1, out_dir=tmp_path, progress=False)
        assert len(counted_sampling) == 1, "same spec, data and seed: the posterior is reused"
        np.testing.assert_array_equal(first.seats["seats"].values, second.seats["seats"].values)
        run_forecast(spec, seed=2, out_dir=tmp_path, progress=False)
    assert len(counted_sampling) == 2, "another seed: refitted"
    assert (tmp_path / POSTERIOR_FILE).exists()
    assert forecast.run.pipeline.POSTERIOR_FILE == POSTERIOR_FILE
