"""Election spec files (``models/*.toml``) as validated pydantic models: the whole file.

A spec describes one forecast: the target election, the past elections used as evidence, the
electoral law, the lists with their lineage, the communities, the coalition and risk priors and
the sampler settings. Everything election-specific lives here and in ``data/``, never in code.
Paths inside a spec are relative to the project root, the folder that holds ``models/``.
Each section is a model of its own (``spec_election``, ``spec_law``, ``spec_government``,
``spec_model``, ``spec_run``); this module checks them against each other, loads a file with
errors that name the TOML key, and hashes a spec.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from forecast.data.spec_base import StrictSection
from forecast.data.spec_election import (
    CommunitySpec,
    DataPaths,
    ElectionInfo,
    EvidenceElection,
    LineageRow,
    PartySpec,
)
from forecast.data.spec_government import (
    CoalitionRules,
    DurationPriors,
    FormationPriors,
    RiskPriors,
)
from forecast.data.spec_law import ElectoralLaw
from forecast.data.spec_model import PriorSpec, SamplerSpec
from forecast.data.spec_polls import PollSettings
from forecast.data.spec_run import ReportOptions, ScenarioSpec
from forecast.errors import SpecError, did_you_mean

__all__ = ["POST_FIT_SECTIONS", "ForecastSpec", "load_spec", "spec_hash"]

# Sections read only after the fit: changing them (or adding scenarios) keeps the posterior.
POST_FIT_SECTIONS = frozenset({"coalitions", "formation", "duration", "risk", "report", "scenario"})


class ForecastSpec(StrictSection):
    """One forecast: a whole ``models/*.toml`` file."""

    election: ElectionInfo
    data: DataPaths
    evidence: tuple[EvidenceElection, ...] = Field(min_length=1)
    law: ElectoralLaw
    party: tuple[PartySpec, ...] = Field(min_length=2)
    lineage: tuple[LineageRow, ...] = ()
    community: tuple[CommunitySpec, ...] = ()
    coalitions: CoalitionRules = CoalitionRules()
    formation: FormationPriors = FormationPriors()
    duration: DurationPriors = DurationPriors()
    risk: RiskPriors = RiskPriors()
    priors: PriorSpec = PriorSpec()
    polls: PollSettings = PollSettings()
    sampler: SamplerSpec = SamplerSpec()
    report: ReportOptions = ReportOptions()
    scenario: tuple[ScenarioSpec, ...] = ()
    root: Path = Field(default=Path("."), exclude=True, description="project root (set on load)")
    source_file: Path | None = Field(default=None, exclude=True)

    @property
    def party_ids(self) -> list[str]:
        """Slugs of the target election's lists, in spec order."""
        return [p.id for p in self.party]

    @property
    def community_ids(self) -> list[str]:
        """Slugs of the communities, in spec order."""
        return [c.id for c in self.community]

    def with_polls(self, polls: bool = True) -> ForecastSpec:
        """Return this spec, or with ``polls=False`` the same spec without its polls table."""
        if polls or self.data.polls is None:
            return self
        return self.model_copy(update={"data": self.data.model_copy(update={"polls": None})})

    def resolve(self, path: Path) -> Path:
        """Absolute path of a spec-relative data path."""
        return (self.root / path).resolve()

    @model_validator(mode="after")
    def _cross_references(self) -> ForecastSpec:
        _check_unique("party", [p.id for p in self.party])
        _check_unique("evidence", [e.id for e in self.evidence])
        _check_unique("community", [c.id for c in self.community])
        _check_unique("scenario", [s.name for s in self.scenario])
        parties = set(self.party_ids) | {q.party for q in self.law.quota}
        communities = set(self.community_ids)
        evidence = {e.id: e for e in self.evidence}
        for i, e in enumerate(self.evidence):
            if e.date >= self.election.date:
                raise ValueError(
                    f"evidence[{i}] ({e.id}, {e.date}) is not before the target election "
                    f"{self.election.date}: only past elections may be evidence"
                )
        for i, p in enumerate(self.party):
            if communities:
                _check_known(f"party[{i}].community_base", p.community_base, communities)
        for i, q in enumerate(self.law.quota):
            if communities:
                _check_known(f"law.quota[{i}].community", [q.community], communities)
            if q.party in self.party_ids:
                raise ValueError(
                    f"law.quota[{i}].party '{q.party}' is a list of [[party]]: quota seats are "
                    "reserved for a list of their own, which has no votes in the district contest"
                )
        seen: set[tuple[str, str]] = set()
        for i, row in enumerate(self.lineage):
            _check_known(f"lineage[{i}].election", [row.election], set(evidence))
            _check_known(f"lineage[{i}].shares", row.shares, set(self.party_ids) | {"other"})
            if (row.election, row.source) in seen:
                raise ValueError(f"lineage[{i}]: {row.election}/{row.source} is listed twice")
            seen.add((row.election, row.source))
        rules = self.coalitions
        for key, groups in (("vetoes", rules.vetoes), ("pacts", rules.pacts)):
            for j, group in enumerate(groups):
                _check_known(f"coalitions.{key}[{j}]", group, parties)
        _check_known("coalitions.incumbent", rules.incumbent, parties)
        if rules.incumbent_pm is not None:
            _check_known("coalitions.incumbent_pm", [rules.incumbent_pm], parties)
        return self


def _check_unique(section: str, ids: list[str]) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"[[{section}]] ids must be unique; repeated: {', '.join(dupes)}")


def _check_known(key: str, names: Any, known: set[str]) -> None:
    for name in names:
        if name not in known:
            raise ValueError(f"{key}: unknown id '{name}'{did_you_mean(name, known)}")


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Return the pydantic model that owns the key at ``loc`` (for typo hints)."""
    model: type[BaseModel] | None = ForecastSpec
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _spec_error(path: Path, exc: ValidationError) -> SpecError:
    """Turn pydantic's first error into one sentence naming the TOML key and the fix."""
    # A misspelt key also makes its correct spelling "missing": report the misspelling first.
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = tuple(p for p in err["loc"] if p not in ("function-after", "function-before"))
    key = _format_loc(loc)
    if err["type"] == "extra_forbidden":
        model = _model_at(loc)
        fields = model.model_fields if model is not None else {}
        hint = did_you_mean(str(loc[-1]), [f for f in fields if f not in ("root", "source_file")])
        msg = f"unknown key '{loc[-1]}'{hint}"
    elif err["type"] == "missing":
        msg = "required key is missing"
    elif err["type"] == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        msg = f"'{err.get('input')}' is not allowed; expected one of {expected}"
        hint = did_you_mean(str(err.get("input")), [s.strip(" '") for s in expected.split(",")])
        msg += hint.replace(" or ", ", ")
    else:
        msg = err["msg"].removeprefix("Value error, ")
        if "input" in err and not isinstance(err["input"], dict | list):
            msg += f" (got {err['input']!r})"
    return SpecError(msg, file=path, where=f"key '{key}'")


def project_root(spec_path: Path) -> Path:
    """Return the project root of a spec: the parent of the folder that holds the spec file."""
    return spec_path.resolve().parent.parent


def load_spec(path: Path | str) -> ForecastSpec:
    """Read, validate and resolve a spec file.

    Parameters
    ----------
    path : Path or str
        A ``models/*.toml`` file.

    Returns
    -------
    ForecastSpec
        The validated spec with ``root`` set to the project root.

    Raises
    ------
    SpecError
        Naming the file, the TOML key and what was expected.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError("spec file not found", file=path)
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML: {exc}", file=path) from None
    root = project_root(path)
    try:
        spec = ForecastSpec.model_validate({**raw, "root": root, "source_file": path.resolve()})
    except ValidationError as exc:
        raise _spec_error(path, exc) from None
    _check_paths(spec, path)
    from forecast.data.polls import read_polls  # reads data tables: imports the spec

    read_polls(spec)  # a bad polls table fails at load, naming its file, row and field
    return spec


def _check_paths(spec: ForecastSpec, path: Path) -> None:
    """Every data path stays inside the project and exists."""
    entries: list[tuple[str, Path | None]] = [
        ("data.provinces", spec.data.provinces),
        ("data.target", spec.data.target),
        ("data.communities", spec.data.communities),
        ("data.polls", spec.data.polls),
        ("data.regions", spec.data.regions),
    ]
    entries += [(f"evidence[{i}].path", e.path) for i, e in enumerate(spec.evidence)]
    for key, rel in entries:
        if rel is None:
            continue
        full = spec.resolve(rel)
        if rel.is_absolute() or not full.is_relative_to(spec.root):
            raise SpecError(
                f"path '{rel}' escapes the project folder {spec.root}; data paths must be "
                "relative and stay inside the project",
                file=path,
                where=f"key '{key}'",
            )
        if not full.exists():
            raise SpecError(f"path '{rel}' does not exist", file=path, where=f"key '{key}'")


def spec_hash(
    spec: ForecastSpec,
    *,
    data_files: list[Path] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> str:
    """Return a stable hash of the spec's content and, optionally, of the data files it reads.

    Saved artefacts carry it; loading one made under a different spec or data is refused.
    ``exclude`` leaves spec sections out (the posterior's identity ignores post-fit sections).
    """
    h = hashlib.sha256()
    h.update(
        json.dumps(spec.model_dump(mode="json", exclude=set(exclude)), sort_keys=True).encode()
    )
    for f in sorted(data_files or []):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]
