"""Election spec files (``models/*.toml``) as validated pydantic models.

A spec describes one forecast: the target election, the past elections used as evidence, the
electoral law, the lists with their lineage, the communities, the coalition and risk priors and
the sampler settings. Everything election-specific lives here and in ``data/``, never in code.
Paths inside a spec are relative to the project root, the folder that holds ``models/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forecast.errors import SpecError, did_you_mean

__all__ = [
    "DISTRICT_METHODS",
    "Coefficient",
    "CommunitySpec",
    "CoalitionRules",
    "CompensatorySeats",
    "DataPaths",
    "DistrictRule",
    "ElectionInfo",
    "ElectoralLaw",
    "EvidenceElection",
    "ForecastSpec",
    "FormationPriors",
    "DurationPriors",
    "LineageRow",
    "PartySpec",
    "PriorSpec",
    "QuotaSeats",
    "ReportOptions",
    "RiskPriors",
    "SamplerSpec",
    "ScenarioSpec",
    "POST_FIT_SECTIONS",
    "load_spec",
    "spec_hash",
]

# Sections read only after the fit: changing them (or adding scenarios) keeps the posterior.
POST_FIT_SECTIONS = frozenset({"coalitions", "formation", "duration", "risk", "report", "scenario"})
DISTRICT_METHODS = ("hare_lr", "droop_lr", "dhondt", "sainte_lague", "modified_sainte_lague")
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


def _sums_to_one(shares: dict[str, float], what: str) -> dict[str, float]:
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"{what} sum to {total:.6g}, expected 1")
    return shares


class _Strict(BaseModel):
    """Base of every spec section: unknown keys are errors, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ElectionInfo(_Strict):
    """The target election: identity, date and the cut-off of what the forecast may know."""

    id: Slug
    name: str
    country: Slug
    date: dt.date
    kind: Literal["parliamentary", "provincial", "presidential_list", "constituent"]
    information_cutoff: dt.date = Field(
        description="Last day whose information the spec may use; must be before the election."
    )
    electorate: int | None = Field(
        default=None,
        gt=0,
        description="registered voters nationally; spread over provinces by district magnitude "
        "when the target folder has no electorate.csv",
    )
    electorate_source: str = ""

    @model_validator(mode="after")
    def _cutoff_before_election(self) -> ElectionInfo:
        if self.information_cutoff >= self.date:
            raise ValueError(
                f"information_cutoff {self.information_cutoff} must be before the election date "
                f"{self.date}: a forecast may not use what was learned on or after election day"
            )
        return self


class DataPaths(_Strict):
    """Data tables of the target election and of the country, relative to the project root."""

    provinces: Path = Field(description="CSV: province, province_name[, iso_3166_2]")
    target: Path = Field(
        description="folder of the target election (magnitude.csv, electorate.csv)"
    )
    communities: Path | None = Field(
        default=None, description="CSV: province, community, share (gaps allowed)"
    )


class EvidenceElection(_Strict):
    """A past election whose results feed the model."""

    id: Slug
    path: Path
    date: dt.date
    kind: Literal["parliamentary", "provincial", "presidential_list", "constituent"]


class DistrictRule(_Strict):
    """How the seats of one district are divided among lists."""

    method: Literal["hare_lr", "droop_lr", "dhondt", "sainte_lague", "modified_sainte_lague"]
    first_divisor: float | None = Field(
        default=None, gt=1.0, lt=3.0, description="only for modified_sainte_lague (e.g. 1.4, 1.7)"
    )
    threshold: Share = Field(default=0.0, description="share of the district's valid votes")
    threshold_quotas: float = Field(
        default=0.0, ge=0.0, le=5.0, description="threshold in units of the district's Hare quota"
    )
    remainder: Literal["largest_remainder", "highest_votes", "vote_share"] = Field(
        default="largest_remainder",
        description=(
            "largest-remainder methods only: who gets the seats left after full quotas: the "
            "largest remainders; the qualifying lists in order of votes, one each, round after "
            "round (highest_votes); or the qualifying lists again in proportion to their votes "
            "(vote_share, Hare largest remainder over the seats left)"
        ),
    )
    quota_base: Literal["qualifying", "valid"] = Field(
        default="qualifying",
        description=(
            "largest-remainder methods only: the quota is computed from the votes of the lists "
            "passing the threshold, or from all valid votes (leaving more seats to the remainder)"
        ),
    )

    @model_validator(mode="after")
    def _divisor_only_for_modified(self) -> DistrictRule:
        if self.method == "modified_sainte_lague" and self.first_divisor is None:
            raise ValueError("modified_sainte_lague needs first_divisor (e.g. 1.4, 1.6 or 1.7)")
        if self.method != "modified_sainte_lague" and self.first_divisor is not None:
            raise ValueError(
                f"first_divisor only applies to modified_sainte_lague, not {self.method}"
            )
        lr_only = self.remainder != "largest_remainder" or self.quota_base != "qualifying"
        if lr_only and not self.method.endswith("_lr"):
            raise ValueError(
                f"remainder and quota_base apply to largest-remainder methods, not {self.method}"
            )
        return self


class QuotaSeats(_Strict):
    """Seats reserved for a community, filled outside the general district contest."""

    community: Slug
    party: Slug = Field(description="the list slug that holds these seats in seat draws")
    seats: int = Field(gt=0)
    province: Slug | Literal["national"] = "national"
    source: str


class CompensatorySeats(_Strict):
    """National seats given by national vote after the district seats."""

    seats: int = Field(ge=0)
    method: Literal["dhondt", "sainte_lague", "hare_lr"] = "dhondt"
    eligible: Literal["all", "district_winners"] = "all"
    source: str = ""


class ElectoralLaw(_Strict):
    """The whole seat law: district rule, quota and compensatory seats, majority and ties."""

    house_size: int = Field(gt=0)
    majority: int | None = Field(
        default=None, description="seats needed to govern; defaults to strictly more than half"
    )
    district: DistrictRule
    national_threshold: Share = Field(
        default=0.0,
        description="share of national valid votes a list needs to win any district seat",
    )
    quota: tuple[QuotaSeats, ...] = ()
    compensatory: CompensatorySeats = CompensatorySeats(seats=0)
    pooled: tuple[Slug, ...] = Field(
        default=("other",),
        description="lists standing for many small lists: their votes count, they win no seat",
    )
    tie_rule: Literal["lottery", "list_order"] = Field(
        default="lottery",
        description="lottery: a seeded draw among tied lists; list_order: the list listed first wins",
    )
    tie_seed: int = 0
    source: str = ""

    @property
    def majority_seats(self) -> int:
        """Seats a government needs: the spec's figure or strictly more than half."""
        return self.majority if self.majority is not None else self.house_size // 2 + 1

    @property
    def reserved_seats(self) -> int:
        """Quota plus compensatory seats: the seats outside the district magnitudes."""
        return sum(q.seats for q in self.quota) + self.compensatory.seats

    @model_validator(mode="after")
    def _majority_is_more_than_half(self) -> ElectoralLaw:
        if self.majority is not None and not (
            2 * self.majority > self.house_size and self.majority <= self.house_size
        ):
            raise ValueError(
                f"majority {self.majority} must be strictly more than half of house_size "
                f"{self.house_size} (at least {self.house_size // 2 + 1}) and at most the house"
            )
        if self.reserved_seats >= self.house_size:
            raise ValueError(
                f"quota + compensatory seats ({self.reserved_seats}) leave no district seats "
                f"in a house of {self.house_size}"
            )
        return self


class PartySpec(_Strict):
    """A list standing in the target election."""

    id: Slug
    name: str
    bloc: Slug
    community_base: dict[Slug, Share] = Field(
        description="share of the list's vote base by community; sums to 1"
    )
    base_note: str = Field(default="", description="why these shares (judgement or source)")

    @field_validator("community_base")
    @classmethod
    def _base_sums_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        return _sums_to_one(v, "community_base shares")


class LineageRow(_Strict):
    """Where the voters of one past list go in the target election.

    ``shares`` maps target lists (or ``other``) to the share of the past list's voters they take;
    the shares sum to 1. ``concentration`` is the Dirichlet concentration: how sure we are.
    """

    election: Slug
    source: Slug = Field(description="list slug in the past election's votes.csv")
    shares: dict[Slug, Share]
    concentration: float = Field(gt=0.0, le=10_000.0)
    note: str = ""

    @field_validator("shares")
    @classmethod
    def _shares_sum_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        return _sums_to_one(v, "lineage shares")


class Coefficient(_Strict):
    """A prior on one coefficient: normal(mean, sd), with where the number comes from."""

    mean: float
    sd: float = Field(ge=0.0)
    source: str = Field(min_length=1)
    verified: bool = Field(
        default=False, description="true only when the number was read from the primary source"
    )
    judgemental: bool = False


class CommunitySpec(_Strict):
    """A politically relevant community, for risk and for turnout composition."""

    id: Slug
    name: str
    relative_size: float = Field(gt=0.0, lt=1.0, description="share of the national population")
    size_source: str
    previous_conflict: bool = Field(
        default=False, description="the group fought the state before (EPR/ACD sense), for risk"
    )
    discriminated: bool = Field(
        default=False, description="EPR 'discriminated': targeted exclusion when out of government"
    )
    conflict_source: str = Field(default="", description="why the two flags above are set")


class CoalitionRules(_Strict):
    """What restricts or favours governments, and which coalitions are candidates."""

    min_seats: int = Field(
        default=1, ge=0, description="a list is an actor if it wins at least this in some sample"
    )
    max_parties: int = Field(default=16, ge=1, le=20, description="most lists in one candidate")
    max_candidates: int = Field(
        default=256, ge=4, le=4096, description="cap on candidate governments, by seat frequency"
    )
    group_small: bool = Field(
        default=False, description="sum the lists below min_seats into one actor, small_lists"
    )
    vetoes: tuple[tuple[Slug, Slug], ...] = Field(
        default=(), description="pairs that said they will not govern together (anti-pacts)"
    )
    pacts: tuple[tuple[Slug, ...], ...] = Field(default=(), description="pre-electoral pacts")
    incumbent: tuple[Slug, ...] = ()
    incumbent_pm: Slug | None = None
    investiture: bool = Field(
        default=False, description="a new cabinet needs an absolute-majority confidence vote"
    )
    bloc_positions: dict[Slug, float] = Field(
        default_factory=dict,
        description="bloc -> place on one axis (ideological range, connectedness); judgemental",
    )
    positions_source: str = ""
    source: str = ""


class FormationPriors(_Strict):
    """Conditional-logit coefficients for which government forms.

    Terms not given keep the defaults of ``forecast.government.formation.default_formation_priors``.
    """

    coefficients: dict[
        Literal[
            "minority",
            "minimal_winning",
            "n_parties",
            "largest",
            "range",
            "incumbent",
            "pact",
            "anti_pact",
            "investiture_minority",
            "unity",
        ],
        Coefficient,
    ] = Field(default_factory=dict)
    unity_min_size: Share = Field(
        default=0.1, description="communities at least this large count for the 'unity' term"
    )


class DurationPriors(_Strict):
    """Hazard-model coefficients for the days from election to government.

    Log-hazard coefficients; terms not given keep ``forecast.government.formation.default_duration_priors``.
    """

    coefficients: dict[
        Literal["post_election", "range", "n_parties", "n_parties_log_t", "minority"], Coefficient
    ] = Field(default_factory=dict)
    baseline_log_days: Coefficient | None = Field(
        default=None,
        description="log median days of a one-party majority cabinet formed after an election",
    )
    baseline_shape: Coefficient | None = Field(
        default=None, description="Weibull shape of the baseline hazard"
    )
    max_parties: int = Field(
        default=6, ge=1, le=20, description="number-of-parties term held at this many parties"
    )
    protracted_days: float = Field(default=183.0, gt=0, description="'over six months'")
    max_days: float = Field(
        default=1461.0,
        gt=0,
        description="censoring point: a formation not finished by then is counted at this many "
        "days (the hazard model's tail is unbounded for many-party cabinets; default: a "
        "four-year term)",
    )


class RiskPriors(_Strict):
    """Onset-risk logit coefficients (group-year) and the country's covariates.

    Terms not given keep the defaults of ``forecast.government.risk.default_risk_priors``.
    """

    coefficients: dict[
        Literal[
            "constant",
            "powerless",
            "discriminated",
            "junior_partner",
            "downgraded",
            "previous_conflict",
            "relative_size",
            "log_gdp_per_capita",
            "plurality_excluded",
            "protracted_formation",
        ],
        Coefficient,
    ] = Field(default_factory=dict)
    log_gdp_per_capita: float | None = None
    gdp_source: str = ""
    inclusion_share: Share = Field(
        default=0.5,
        description="a community is in power when this share of its seats sits in government",
    )
    incumbent_status: dict[
        Slug, Literal["senior_partner", "junior_partner", "powerless", "discriminated"]
    ] = Field(default_factory=dict, description="status under the outgoing government")
    status_source: str = ""


class PriorSpec(_Strict):
    """Scales of the vote and turnout model's priors (logit scale)."""

    turnout_province_sigma: float = Field(default=0.5, gt=0)
    turnout_election_sigma: float = Field(default=0.5, gt=0)
    share_party_sigma: float = Field(default=1.5, gt=0)
    share_province_party_sigma: float = Field(default=1.0, gt=0)
    turnout_community_sigma: float = Field(default=1.0, gt=0)
    swing_sigma: float = Field(default=0.3, gt=0, description="per sqrt(year), logit scale")
    kind_sigma: float = Field(
        default=0.0,
        ge=0,
        description="prior scale of the offset of past elections of another kind (provincial) "
        "than the target; 0 leaves it out, and the swing scale absorbs the difference (with a "
        "single such election the two are not separable and the offset only slows sampling)",
    )
    log_concentration_mu: float = Field(
        default=5.3, description="prior median of log Dirichlet-multinomial concentration (~200)"
    )


class SamplerSpec(_Strict):
    """MCMC and posterior-predictive settings."""

    backend: Literal["nutpie", "pymc"] = "nutpie"
    chains: int = Field(default=4, ge=1, le=16)
    draws: int = Field(default=1000, ge=10)
    tune: int = Field(default=1000, ge=10)
    target_accept: float = Field(default=0.9, gt=0.5, lt=1.0)
    low_rank_mass_matrix: bool = Field(
        default=False,
        description="nutpie only: adapt a mass matrix with low-rank corrections, which follow "
        "linear posterior correlations (fewer leapfrog steps when parameters trade off)",
    )
    seed: int = 20100307
    samples: int = Field(default=4000, ge=1, description="posterior predictive samples downstream")


class ScenarioSpec(_Strict):
    """A counterfactual run on the fitted posterior: ``set`` maps scenario keys to values.

    Keys (see ``forecast.run.scenarios``): ``turnout.<community>`` (factor on the community's
    turnout), ``boycott.<community>``, ``swing.<list>`` (share points in every province),
    ``merge.<list>`` (lists whose votes join it), ``split.<list>.<to>`` (share of its votes
    that move), ``veto.<list>.<list>`` (true adds, false lifts), and any field of the post-fit
    sections (``law.``, ``coalitions.``, ``formation.``, ``duration.``, ``risk.``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: Slug
    description: str = ""
    settings: dict[str, Any] = Field(alias="set", min_length=1)


class ReportOptions(_Strict):
    """What the PDF report shows."""

    title: str = ""
    subtitle: str = ""
    top_coalitions: int = Field(default=10, ge=1, le=50)
    template: str = "risk_report.typ"


class ForecastSpec(_Strict):
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
    """The pydantic model that owns the key at ``loc`` (for typo hints)."""
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
    """The project root of a spec: the parent of the folder that holds the spec file."""
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
    return spec


def _check_paths(spec: ForecastSpec, path: Path) -> None:
    """Every data path stays inside the project and exists."""
    entries: list[tuple[str, Path | None]] = [
        ("data.provinces", spec.data.provinces),
        ("data.target", spec.data.target),
        ("data.communities", spec.data.communities),
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
    """A stable hash of the spec's content and, optionally, of the data files it reads.

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
