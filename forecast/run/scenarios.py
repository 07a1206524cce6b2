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
    """Return the forecast as specified: no change."""
    return Scenario(BASELINE, spec, description="the forecast as specified")


def parse_assignments(items: Iterable[str], *, where: str = "--set") -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings to a mapping.

    A value is read as TOML (``true``, ``0.2``, ``["a"]``) and, failing that, kept as text.
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
    """Return the spec's ``[[scenario]]`` blocks, parsed and checked."""
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
    changes = _Changes(spec, vetoes={frozenset(v) for v in spec.coalitions.vetoes})
    for key, value in settings.items():
        at = f"{where}.{key}" if where.startswith("scenario") else f"{where} {key}"
        changes.add(key, _Check(spec, at, value))
    changed = dict(changes.overrides)
    if changes.vetoes != {frozenset(v) for v in spec.coalitions.vetoes}:
        changed["coalitions.vetoes"] = [sorted(v) for v in sorted(changes.vetoes, key=sorted)]
    new_spec = _override(spec, changed, where) if changed else spec
    return Scenario(
        name=name,
        spec=new_spec,
        description=description,
        settings=dict(settings),
        turnout=changes.turnout,
        swing=changes.swing,
        moves=tuple(changes.moves),
        where=where,
    )


_ARITY = {"turnout": 1, "boycott": 1, "swing": 1, "merge": 1, "split": 2, "veto": 2}


@dataclass
class _Changes:
    """A scenario's changes, gathered one setting at a time."""

    spec: ForecastSpec
    vetoes: set[frozenset[str]]
    turnout: dict[str, float] = field(default_factory=dict)
    swing: dict[str, float] = field(default_factory=dict)
    moves: list[tuple[str, str, float]] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, check: _Check) -> None:
        """Check one ``key = value`` setting and record what it changes."""
        kind, _, rest = key.partition(".")
        parts = rest.split(".") if rest else []
        if kind not in _KINDS:
            raise check.fail(
                f"unknown setting '{kind}'{did_you_mean(kind, list(_KINDS))}; "
                f"known: {', '.join(_KINDS)}"
            )
        if kind in _SPEC_SECTIONS:
            self.overrides[key] = check.value
            return
        if len(parts) != _ARITY[kind]:
            shape = {1: f"{kind}.<name>", 2: f"{kind}.<list>.<list>"}[_ARITY[kind]]
            raise check.fail(f"expected a key of the form {shape}")
        getattr(self, f"_{kind}")(parts, check)

    def _turnout(self, parts: list[str], check: _Check) -> None:
        community = check.known(parts[0], self.spec.community_ids, "community")
        self.turnout[community] = check.number(0.0, 10.0)

    def _boycott(self, parts: list[str], check: _Check) -> None:
        community = check.known(parts[0], self.spec.community_ids, "community")
        if check.flag():
            self.turnout[community] = 0.0

    def _swing(self, parts: list[str], check: _Check) -> None:
        self.swing[check.known(parts[0], self.spec.party_ids, "list")] = check.number(-1.0, 1.0)

    def _merge(self, parts: list[str], check: _Check) -> None:
        into = check.known(parts[0], self.spec.party_ids, "list")
        joining = [check.value] if isinstance(check.value, str) else check.value
        if not isinstance(joining, list) or not joining:
            raise check.fail(f"expected a list of lists, got {check.value!r}")
        for other in joining:
            if check.known(str(other), self.spec.party_ids, "list") == into:
                raise check.fail(f"'{into}' cannot merge with itself")
            self.moves.append((str(other), into, 1.0))

    def _split(self, parts: list[str], check: _Check) -> None:
        source, to = (check.known(p, self.spec.party_ids, "list") for p in parts)
        if source == to:
            raise check.fail(f"'{source}' cannot split into itself")
        self.moves.append((source, to, check.number(0.0, 1.0)))

    def _veto(self, parts: list[str], check: _Check) -> None:
        members = [*self.spec.party_ids, *(q.party for q in self.spec.law.quota)]
        pair = frozenset(check.known(p, members, "list") for p in parts)
        add = check.flag("true (add the veto) or false (lift it)")
        if not add and pair not in self.vetoes:
            raise check.fail(f"there is no veto between {' and '.join(parts)} to lift")
        self.vetoes = self.vetoes | {pair} if add else self.vetoes - {pair}


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
    """Return the spec with dotted-path settings replaced, validated as a spec file would be."""
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
    """Return the scenario's VoteDraws: list votes changed, valid votes and turnout following them.

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
    counts = _round_votes(v).astype(votes["votes"].dtype)
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


def _round_votes(v: np.ndarray) -> np.ndarray:
    """Round votes (sample, province, party) to whole votes without emptying a district.

    Where rounding alone would leave no vote in a district that still has some (a low turnout
    factor on a district of a few voters), the largest list keeps one: a district empties only
    when the scenario removes every voter.
    """
    counts = np.rint(v)
    emptied = (counts.sum(axis=-1) == 0) & (v.sum(axis=-1) > 0)
    top = np.argmax(v, axis=-1)[..., None]
    np.put_along_axis(counts, top, np.take_along_axis(counts, top, -1) + emptied[..., None], -1)
    return counts


def _uniform_swing(v: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Add ``delta`` (NaN: no swing) to the swung lists' shares of every cell.

    The other lists scale to fill the rest, and the cell's total is kept.
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
