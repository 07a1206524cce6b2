"""Shared fixtures: a tiny but complete synthetic project (spec + data) in a temp folder."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from forecast.toy_project import write_toy_project

# Council of Representatives seats won in Iraq on 7 March 2010 (IHEC final results as certified
# in June 2010); 325 in all. A deterministic case for the coalition and risk stages.
IRAQ_2010_SEATS: dict[str, int] = {
    "iraqiya": 91,
    "state_of_law": 89,
    "iraqi_national_alliance": 70,
    "kurdistan_list": 43,
    "gorran": 8,
    "tawafuq": 6,
    "unity_alliance_of_iraq": 4,
    "kurdistan_islamic_union": 4,
    "islamic_group_kurdistan": 2,
    "christian_quota": 5,
    "yazidi_quota": 1,
    "shabak_quota": 1,
    "sabean_quota": 1,
}

settings.register_profile("fast", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


@pytest.fixture
def toy_project(tmp_path: Path) -> Path:
    """A fresh toy project; returns the path of its spec."""
    return write_toy_project(tmp_path)


def base_beta_in_minority(spec_path: Path, south_minority: float) -> None:
    """Make the toy's Beta a minority list: 60% of the north, ``south_minority`` of the south.

    The centre keeps only its 'Majority' label (no minority share).
    """
    text = spec_path.read_text(encoding="utf-8")
    spec_path.write_text(
        text.replace(
            "community_base = { majority = 0.5, minority = 0.5 }",
            "community_base = { minority = 1.0 }",
        ),
        encoding="utf-8",
    )
    (spec_path.parent.parent / "data" / "toy" / "communities.csv").write_text(
        "province,community,share,label\nnorth,minority,0.6,\nnorth,majority,0.4,\n"
        "centre,majority,0.9,Majority\n"
        f"south,majority,{1 - south_minority},Majority\nsouth,minority,{south_minority},\n",
        encoding="utf-8",
    )


@contextlib.contextmanager
def mock_sampling() -> Iterator[None]:
    """PyMC's mock sampler (prior draws) in place of MCMC: the pipeline runs in seconds."""
    import numpy as np
    import pymc as pm
    from pymc.testing import mock_sample

    stats = {"diverging": lambda size: np.zeros(size, dtype=bool)}
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(pm, "sample", partial(mock_sample, sample_stats=stats))
        # prior draws ignore the model's potentials, and this machine's PyTensor may lack BLAS
        warnings.filterwarnings("ignore", message="The effect of Potentials", category=UserWarning)
        warnings.filterwarnings("ignore", message="PyTensor could not link", category=UserWarning)
        yield


@pytest.fixture(scope="session")
def toy_result(tmp_path_factory):
    """One mock-sampled run of the whole pipeline on the toy project (a ForecastResult)."""
    from forecast.data.spec import load_spec
    from forecast.run.pipeline import run_forecast

    root = tmp_path_factory.mktemp("toy_result")
    spec = load_spec(write_toy_project(root))
    with mock_sampling():
        return run_forecast(spec, out_dir=root / "out", progress=False)


def pdf_text(path: Path) -> str:
    """A PDF's text with whitespace collapsed."""
    from pypdf import PdfReader

    raw = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(raw.split())
