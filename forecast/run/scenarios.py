"""Scenarios: counterfactuals applied to the fitted posterior's predictive draws, never refitting.

A scenario is a set of ``key = value`` settings, from a ``[[scenario]]`` block of the spec or from
``forecast scenario --set KEY=VALUE``:

- ``turnout.<community> = f``: the community's voters turn out at ``f`` times the forecast rate
  (``boycott.<community> = true`` is ``f = 0``). A list loses ``(1 - f)`` of the part of its votes
  that its ``community_base`` gives to that community, in every province.
- ``swing.<list> = d``: a uniform swing of ``d`` (a share: 0.05 is five points) to the list in
  every province; the other lists give up the difference in proportion to their votes.
- ``merge.<list> = ["a", "b"]``: lists ``a`` and ``b`` run on ``<list>``'s ticket; their votes
  join it.
- ``split.<list>.<to> = s``: the share ``s`` of ``<list>``'s votes goes to ``<to>``.
- ``veto.<list>.<list> = true | false``: add or lift a veto between two lists.
- any field of a post-fit section, e.g. ``law.district.method = "sainte_lague"`` or
  ``coalitions.max_parties = 4``: the spec as if written so.

Vote changes are applied in that order (turnout, then merges and splits, then swings), to each
predictive sample; seats, coalitions, formation and risk then follow from the changed draws.
Settings that would change the fitted model (priors, lineage, evidence, lists) need a refit and
are refused.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from pydantic import ValidationError

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.errors import SpecError, did_you_mean

__all__ = [
    "BASELINE",
    "Scenario",
    "apply_scenario",
    "baseline",
    "parse_assignments",
    "parse_scenario",
    "spec_scenarios",
]

BASELINE = "baseline"
_VOTE_KEYS = ("turnout", "boycott", "swing", "merge", "split")
_SPEC_SECTIONS = ("law", "coalitions", "formation", "duration", "risk")
_KINDS = (*_VOTE_KEYS, "veto", *_SPEC_SECTIONS)


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario: the changed spec and the changes to the predictive votes."""

    name: str
    spec: ForecastSpec
    description: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    turnout: Mapping[str, float] = field(default_factory=dict)
    swing: Mapping[str, float] = field(default_factory=dict)
    moves: tuple[tuple[str, str, float], ...] = ()
    where: str = "--set"

    @property
    def changes_votes(self) -> bool:
        """Whether the predictive votes change (else only the spec's post-fit sections do)."""
        return bool(self.turnout or self.swing or self.moves)


def baseline(spec: ForecastSpec) -> Scenario:
    """The forecast as specified: no change."""
    return Scenario(BASELINE, spec, description="the forecast as specified")


def parse_assignments(items: Iterable[str], *, where: str = "--set") -> dict[str, Any]:
    """``KEY=VALUE`` strings to a mapping; a value is read as TOML (``true``, ``0.2``, ``["a"]``)
    and, failing that, kept as text.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SpecError(f"'{item}' is not KEY=VALUE", where=where)
        try:
            out[key] = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key] = raw.strip()
    return out


def spec_scenarios(spec: ForecastSpec) -> list[Scenario]:
    """The spec's ``[[scenario]]`` blocks, parsed and checked."""
    return [
        parse_scenario(
            spec, s.name, s.settings, description=s.description, where=f"scenario[{i}].set"
        )
        for i, s in enumerate(spec.scenario)
    ]


def parse_scenario(
    spec: ForecastSpec,
    name: str,
    settings: Mapping[str, Any],
    *,
    description: str = "",
    where: str = "--set",
) -> Scenario:
    """Check a scenario's settings against the spec and parse them.

    Raises
    ------
    SpecError
        Naming the setting (``where`` + key) and what is wrong with it.
    """
    parties = spec.party_ids
    communities = spec.community_ids
    turnout: dict[str, float] = {}
    swing: dict[str, float] = {}
    moves: list[tuple[str, str, float]] = []
    overrides: dict[str, Any] = {}
    vetoes = {frozenset(v) for v in spec.coalitions.vetoes}

    for key, value in settings.items():
        at = f"{where}.{key}" if where.startswith("scenario") else f"{where} {key}"
        check = _Check(spec, at, value)
        kind, _, rest = key.partition(".")
        parts = rest.split(".") if rest else []
        if kind not in _KINDS:
            raise check.fail(
                f"unknown setting '{kind}'{did_you_mean(kind, list(_KINDS))}; "
                f"known: {', '.join(_KINDS)}"
            )
        if kind in _SPEC_SECTIONS:
            overrides[key] = value
            continue
        arity = {"turnout": 1, "boycott": 1, "swing": 1, "merge": 1, "split": 2, "veto": 2}[kind]
        if len(parts) != arity:
            shape = {1: f"{kind}.<name>", 2: f"{kind}.<list>.<list>"}[arity]
            raise check.fail(f"expected a key of the form {shape}")
        if kind in ("turnout", "boycott"):
            community = check.known(parts[0], communities, "community")
            if kind == "turnout":
                turnout[community] = check.number(0.0, 10.0)
            elif check.flag():
                turnout[community] = 0.0
        elif kind == "swing":
            swing[check.known(parts[0], parties, "list")] = check.number(-1.0, 1.0)
        elif kind == "merge":
            into = check.known(parts[0], parties, "list")
            joining = [value] if isinstance(value, str) else value
            if not isinstance(joining, list) or not joining:
                raise check.fail(f"expected a list of lists, got {value!r}")
            for other in joining:
                if check.known(str(other), parties, "list") == into:
                    raise check.fail(f"'{into}' cannot merge with itself")
                moves.append((str(other), into, 1.0))
        elif kind == "split":
            source, to = (
                check.known(parts[0], parties, "list"),
                check.known(parts[1], parties, "list"),
            )
            if source == to:
                raise check.fail(f"'{source}' cannot split into itself")
            moves.append((source, to, check.number(0.0, 1.0)))
        else:  # veto
            members = [*parties, *(q.party for q in spec.law.quota)]
            pair = frozenset(check.known(p, members, "list") for p in parts)
            add = check.flag("true (add the veto) or false (lift it)")
            if not add and pair not in vetoes:
                raise check.fail(f"there is no veto between {' and '.join(parts)} to lift")
            vetoes = vetoes | {pair} if add else vetoes - {pair}
    changed = dict(overrides)
    if vetoes != {frozenset(v) for v in spec.coalitions.vetoes}:
        changed["coalitions.vetoes"] = [sorted(v) for v in sorted(vetoes, key=sorted)]
    new_spec = _override(spec, changed, where) if changed else spec
    return Scenario(
        name=name,
        spec=new_spec,
        description=description,
        settings=dict(settings),
        turnout=turnout,
        swing=swing,
        moves=tuple(moves),
        where=where,
    )


@dataclass(frozen=True)
class _Check:
    """Checks of one setting's value, failing with the setting's place named."""

    spec: ForecastSpec
    at: str
    value: Any

    def fail(self, message: str) -> SpecError:
        return SpecError(message, file=self.spec.source_file, where=f"key '{self.at}'")

    def known(self, name: str, choices: list[str], what: str) -> str:
        if name not in choices:
            raise self.fail(f"unknown {what} '{name}'{did_you_mean(name, choices)}")
        return name

    def number(self, low: float, high: float) -> float:
        v = self.value
        if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high:
            raise self.fail(f"expected a number from {low} to {high}, got {v!r}")
        return float(v)

    def flag(self, what: str = "true or false") -> bool:
        if not isinstance(self.value, bool):
            raise self.fail(f"expected {what}, got {self.value!r}")
        return self.value


def _override(spec: ForecastSpec, settings: Mapping[str, Any], where: str) -> ForecastSpec:
    """The spec with dotted-path settings replaced, validated as a spec file would be."""
    raw = spec.model_dump(mode="python", by_alias=True)
    for key, value in settings.items():
        node: Any = raw
        path = key.split(".")
        for i, part in enumerate(path[:-1]):
            if not isinstance(node, dict) or part not in node:
                options = list(node) if isinstance(node, dict) else []
                raise SpecError(
                    f"no setting '{'.'.join(path[: i + 1])}'{did_you_mean(part, options)}",
                    file=spec.source_file,
                    where=f"key '{where} {key}'",
                )
            node = node[part]
        if not isinstance(node, dict) or path[-1] not in node:
            options = list(node) if isinstance(node, dict) else []
            raise SpecError(
                f"no setting '{key}'{did_you_mean(path[-1], options)}",
                file=spec.source_file,
                where=f"key '{where} {key}'",
            )
        node[path[-1]] = value
    try:
        return ForecastSpec.model_validate(
            {**raw, "root": spec.root, "source_file": spec.source_file}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise SpecError(
            f"{first['msg']} (at {loc})", file=spec.source_file, where=f"key '{where}'"
        ) from None


def apply_scenario(votes: xr.Dataset, scenario: Scenario) -> xr.Dataset:
    """The scenario's VoteDraws: list votes changed, valid votes and turnout following them.

    Parameters
    ----------
    votes : xr.Dataset
        VoteDraws (``votes`` (sample, province, party), ``valid_votes``, ``turnout``) whose
        ``party`` coordinate is the spec's lists, summing to the valid votes.
    scenario : Scenario
        From ``parse_scenario``.
    """
    if not scenario.changes_votes:
        return votes
    spec = scenario.spec
    parties = [str(p) for p in votes[dims.PARTY].values]
    index = {p: k for k, p in enumerate(parties)}
    v = votes["votes"].transpose(dims.SAMPLE, dims.PROVINCE, dims.PARTY).values.astype(np.float64)
    if scenario.turnout:
        base = {p.id: p.community_base for p in spec.party}
        keep = np.ones(len(parties))
        for community, factor in scenario.turnout.items():
            share = np.array([base.get(p, {}).get(community, 0.0) for p in parties])
            keep *= 1.0 - (1.0 - factor) * share
        v *= keep
    for source, to, share in scenario.moves:
        moved = v[..., index[source]] * share
        v[..., index[source]] -= moved
        v[..., index[to]] += moved
    if scenario.swing:
        v = _uniform_swing(v, np.array([scenario.swing.get(p, np.nan) for p in parties]))
    counts = np.rint(v).astype(votes["votes"].dtype)
    valid = counts.sum(axis=-1, dtype=np.int64)
    empty = valid == 0
    if empty.any():
        province = str(votes[dims.PROVINCE].values[np.flatnonzero(empty.any(axis=0))[0]])
        raise SpecError(
            f"scenario '{scenario.name}' leaves no vote at all in {province} in "
            f"{int(empty.any(axis=1).sum())} of {len(valid)} samples, and a district cannot fill "
            "its seats without votes; give the community a turnout factor above 0 instead",
            file=spec.source_file,
            where=f"key '{scenario.where}'",
        )
    old = votes["valid_votes"].transpose(dims.SAMPLE, dims.PROVINCE).values
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(old > 0, valid / old, 1.0)
    return votes.assign(
        votes=(votes["votes"].dims, counts),
        valid_votes=(votes["valid_votes"].dims, valid),
        turnout=(votes["turnout"].dims, votes["turnout"].values * ratio),
    )


def _uniform_swing(v: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Add ``delta`` (NaN: no swing) to the swung lists' shares of every cell; the other lists
    scale to fill the rest, and the cell's total is kept.
    """
    total = v.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, v / total, 0.0)
    swung = np.isfinite(delta)
    new = share.copy()
    new[..., swung] = np.clip(share[..., swung] + delta[swung], 0.0, 1.0)
    taken = new[..., swung].sum(axis=-1, keepdims=True)
    over = np.maximum(taken, 1.0)
    new[..., swung] /= over
    rest = share[..., ~swung].sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(rest > 0, (1.0 - np.minimum(taken, 1.0)) / rest, 0.0)
    new[..., ~swung] = share[..., ~swung] * scale
    return new * total
