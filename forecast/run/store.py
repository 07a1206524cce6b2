"""Save and load stage objects as netCDF with their identity; refuse what belongs elsewhere.

Every saved object carries ``spec_hash`` (the spec's content and the bytes of every data file it
read), ``forecast_version`` and ``seed``. Loading checks them: a posterior fitted for another
spec, other data or another version of the engine is refused, never silently reused. Writes go
through a temporary file and a rename, so a crash never leaves a half-written file.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import xarray as xr

from forecast import __version__
from forecast.data import lineage
from forecast.data import polls as poll_table
from forecast.data.spec import POST_FIT_SECTIONS, ForecastSpec, spec_hash
from forecast.data.tables import write_atomic
from forecast.errors import StoreError
from forecast.votes import blocks, fit, likelihood, polls, priors
from forecast.votes import model as vote_model

__all__ = ["data_hash", "json_attr", "load_tree", "save_tree"]

log = logging.getLogger("forecast")
ENGINE = "h5netcdf"
COMPLEVEL = 4


def data_hash(spec: ForecastSpec, data: xr.Dataset, *, fit_only: bool = False) -> str:
    """Hash of the spec, every data file the ingest read, and the source of the model and its fit.

    The model's code is part of the identity so that a posterior fitted by another version of
    the model is never reused, even between releases. ``fit_only`` leaves out the spec sections
    read after the fit (coalitions, risk, scenarios, ...): the posterior's identity, so that
    editing them does not refit.
    """
    files = [spec.resolve(Path(p)) for p in json.loads(data.attrs["provenance"])]
    files += [f.with_name(f.stem + ".source.toml") for f in files]
    files += poll_table.poll_files(spec)
    modules = (vote_model, blocks, likelihood, polls, poll_table, priors, lineage, fit)
    code = [Path(m.__file__) for m in modules]
    exclude = POST_FIT_SECTIONS if fit_only else frozenset()
    return spec_hash(spec, data_files=[f for f in files if f.exists()] + code, exclude=exclude)


def _netcdf_safe(tree: xr.DataTree) -> xr.DataTree:
    """NetCDF attrs hold numbers and strings: encode lists and dicts as JSON text."""
    tree = tree.copy()
    for node in tree.subtree:
        for obj in (node, *node.data_vars.values()):
            for key, value in list(obj.attrs.items()):
                if isinstance(value, list | tuple | dict) or value is None:
                    obj.attrs[key] = json.dumps(value)
                elif isinstance(value, bool):
                    obj.attrs[key] = int(value)
    return tree


def _compression(tree: xr.DataTree) -> dict[str, dict[str, dict[str, object]]]:
    """Return a lossless zlib + shuffle encoding for every numeric variable of every node.

    Posterior draws and seat counts compress to a fraction of their size (BENCHMARKS.md); level 4
    is where gzip's size gain flattens out while writing stays fast.
    """
    return {
        node.path: {
            name: {"zlib": True, "complevel": COMPLEVEL, "shuffle": True}
            for name, var in node.data_vars.items()
            if var.dtype.kind in "biuf" and var.ndim > 0
        }
        for node in tree.subtree
    }


def json_attr(value: Any) -> Any:
    """Read an attr that may hold JSON text (as :func:`save_tree` writes lists) or the object."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def save_tree(tree: xr.DataTree, path: Path) -> Path:
    """Write a DataTree atomically to a compressed netCDF file."""
    safe = _netcdf_safe(tree)
    encoding = _compression(safe)
    return write_atomic(
        Path(path), lambda tmp: safe.to_netcdf(tmp, engine=ENGINE, encoding=encoding)
    )


def load_tree(path: Path, *, spec_hash: str, seed: int | None = None) -> xr.DataTree:
    """Open a saved DataTree and check that it belongs to this spec, data, version and seed.

    Raises
    ------
    StoreError
        When the file is missing or unreadable, or its identity differs from the one asked for.
    """
    path = Path(path)
    if not path.is_file():
        raise StoreError("no saved result here", file=path)
    try:
        tree = xr.open_datatree(path, engine=ENGINE).load()
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read the saved result: {exc}", file=path) from None
    want = {"spec_hash": spec_hash, "forecast_version": __version__}
    if seed is not None:
        want["seed"] = seed
    for key, value in want.items():
        have = tree.attrs.get(key)
        if str(have) != str(value):
            raise StoreError(
                f"saved {key} is {have!r} but this run has {value!r}: it was made for a different "
                "spec, data, engine version or seed and is not reused",
                file=path,
                field=key,
            )
    return tree
