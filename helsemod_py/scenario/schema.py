"""Strict schema of scenario files (pydantic): measures, time paths, targets, costs.

A measure changes one model parameter (see :data:`LEVERS`) by ``multiply``, ``add``,
``set`` (a target level) or ``shift`` (task shifting), along a time path, for a target
selection of groups, services, transitions, sexes, ages and regions, optionally at a
yearly cost. Every value carries a unit and may carry a reference. The levers themselves are
described in :mod:`.levers` (re-exported here).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import dims as D
from ..trends import COVERAGE_TRENDS, DEFAULT_COVERAGE_TREND
from .costing import (  # noqa: F401 (re-exported)
    CHAPTERS, PAYERS, RECRUIT_SOURCES, STATUSES, UNITS_NOK, Cost, InBaseline, OtherCost, RecruitedFrom,
    check_economics, check_range, is_assumption,
)
from .levers import (  # noqa: F401 (re-exported)
    DRAW_KINDS, FAMILIES, FLOW_MAX, LEVERS, MEASURE_LEVERS, RATIO_MAX, Lever, _target_keys,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Value(Strict):
    """A number with its unit, an optional source and an optional plausible range."""

    value: float = Field(allow_inf_nan=False)
    unit: str
    reference: str | None = None
    range: tuple[float, float] | None = Field(None, description=(
        "`[low, high]`: the plausible range of `value` from the evidence (the value must lie within it); "
        "effect bounds and effect draws (`helsemod_py.evidence`) use it."))

    @model_validator(mode="after")
    def _in_range(self):
        return check_range(self)

    @property
    def is_assumption(self) -> bool:
        """No source, no range, or a reference that starts with 'assumption'."""
        return is_assumption(self)


class ShiftValue(Value):
    """Share of the from-group's FTE per user moved to ``to_group`` (× ``efficiency``)."""

    to_group: str
    efficiency: float = Field(1.0, gt=0, le=5)

    @field_validator("to_group")
    @classmethod
    def _known_group(cls, v):
        from ..aliases import canonical

        v = canonical("group", v) or v
        if v not in D.GROUPS:
            raise ValueError(f"unknown group {v!r} (allowed: {', '.join(D.GROUPS)})")
        return v


class TimePath(Strict):
    """When a measure acts: from ``start`` rising to full effect in ``full`` (linear) or at
    once (step), and ending after ``end`` (inclusive) if given. ``delay`` shifts the effect
    (not the cost) by whole years, e.g. study length for more study places."""

    start: int = Field(ge=2000, le=2100)
    full: int | None = Field(None, ge=2000, le=2100)
    end: int | None = Field(None, ge=2000, le=2100)
    shape: Literal["linear", "step"] = "linear"
    delay: int = Field(0, ge=0, le=10)

    @model_validator(mode="after")
    def _order(self):
        if self.full is not None and self.full < self.start:
            raise ValueError(f"full ({self.full}) must not be before start ({self.start})")
        if self.end is not None and self.end < (self.full or self.start):
            raise ValueError(f"end ({self.end}) must not be before full effect ({self.full or self.start})")
        return self

    def weight(self, year: int, delayed: bool = True) -> float:
        """Share of the full effect in ``year`` (0..1)."""
        y = year - (self.delay if delayed else 0)
        if y < self.start or (self.end is not None and y > self.end):
            return 0.0
        full = self.full if self.full is not None else self.start
        if self.shape == "step" or full == self.start:
            return 1.0
        return min(1.0, (y - self.start + 1) / (full - self.start + 1))


class Target(Strict):
    """What a measure acts on; a missing key means all."""

    groups: list[str] | None = None
    services: list[str] | None = None
    transitions: list[str] | None = None
    sexes: list[Literal["male", "female"]] | None = None
    ages: tuple[int, int] | None = None
    regions: list[str] | None = None

    @field_validator("groups")
    @classmethod
    def _groups(cls, v):
        return _known(v, D.GROUPS, "group")

    @field_validator("services")
    @classmethod
    def _services(cls, v):
        return _known(v, D.SERVICES, "service")

    @field_validator("transitions")
    @classmethod
    def _transitions(cls, v):
        return _known(v, D.TRANSITIONS, "transition")

    @field_validator("ages")
    @classmethod
    def _ages(cls, v):
        if v is not None and not (0 <= v[0] <= v[1] <= D.MAX_AGE):
            raise ValueError(f"ages [{v[0]}, {v[1]}] must be an increasing range within 0..{D.MAX_AGE}")
        return v

    @field_validator("regions")
    @classmethod
    def _regions(cls, v):
        if v is not None and not v:
            raise ValueError("regions must list at least one code or name, or be left out for all")
        return [str(x) for x in v] if v is not None else v


def _known(values, allowed, what):
    """``values`` as ids (Norwegian names of groups and services accepted, see :mod:`..aliases`)."""
    if values is None:
        return None
    if what in ("group", "service"):
        from ..aliases import canonical

        values = [canonical(what, x) or x for x in values]
    bad = [x for x in values if x not in allowed]
    if bad:
        raise ValueError(f"unknown {what} {bad[0]!r} (allowed: {', '.join(allowed)})")
    if len(set(values)) != len(values):
        raise ValueError(f"{what} listed twice")
    return values


class Measure(Strict):
    """One change of one parameter, with its path, target and cost."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    title: str | None = None
    family: Literal[FAMILIES] | None = None  # type: ignore[valid-type]
    description: str | None = None
    parameter: Literal[tuple(MEASURE_LEVERS)]  # type: ignore[valid-type]
    multiply: Value | None = None
    add: Value | None = None
    set: Value | None = None
    shift: ShiftValue | None = None
    path: TimePath | None = None
    target: Target = Target()
    cost: Cost | None = None
    reference: str | None = None
    status: Literal[STATUSES] = Field("new", description=(  # type: ignore[valid-type]
        "`new` (not running in the base period), `scaled_up` (running, made bigger: the change and cost "
        "are the increment) or `continued` (running at the same size: already in the baseline, so it adds "
        "nothing; kept for the budget check)."))
    in_baseline: InBaseline | None = Field(None, description=(
        "What the base period already has of a `scaled_up` or `continued` programme (required for them)."))
    recruited_from: RecruitedFrom | None = Field(None, description=(
        "Where `recruits` come from (default `other_regions`: displacement from the rest of the country)."))

    @property
    def operation(self) -> str:
        return next(op for op in ("multiply", "add", "set", "shift") if getattr(self, op) is not None)

    @property
    def change(self) -> Value:
        return getattr(self, self.operation)

    @model_validator(mode="after")
    def _check(self):
        ops = [op for op in ("multiply", "add", "set", "shift") if getattr(self, op) is not None]
        lever = LEVERS[self.parameter]
        if len(ops) != 1:
            found = f"found {len(ops)}: {', '.join(ops)}" if ops else "found none"
            raise ValueError(f"give exactly one of {', '.join(lever.operations)} ({found})")
        op = ops[0]
        if op not in lever.operations:
            raise ValueError(f"{op}: not allowed for {self.parameter} (allowed: {', '.join(lever.operations)})")
        ch = self.change
        want = "/1" if op in ("multiply", "shift") else lever.unit
        if ch.unit != want:
            raise ValueError(f"{op}.unit: {ch.unit!r} is not the unit of this change (allowed: {want!r})")
        if op == "multiply" and ch.value < 0:
            raise ValueError(f"multiply.value: {ch.value:g} must be at least 0")
        if op == "set" and not (lever.lo <= ch.value <= lever.hi):
            raise ValueError(f"set.value: {ch.value:g} is outside {lever.lo:g} to {lever.hi:g} ({lever.unit})")
        if op == "add" and abs(ch.value) > lever.hi:
            raise ValueError(f"add.value: {ch.value:g} is outside -{lever.hi:g} to {lever.hi:g} ({lever.unit})")
        if op == "add" and self.parameter in ("recruits", "vacancies") and ch.value < 0:
            raise ValueError(f"add.value: {ch.value:g} must be at least 0 for {self.parameter}")
        if op == "shift" and not (0 <= ch.value <= 1):
            raise ValueError(f"shift.value: {ch.value:g} is outside 0 to 1 (/1)")
        if self.parameter != "vacancies" and self.path is None:
            raise ValueError("path: missing (give at least start: YEAR)")
        allowed = _target_keys(lever)
        for key in Target.model_fields:
            if getattr(self.target, key) is not None and key not in allowed:
                raise ValueError(f"target.{key}: not a dimension of {self.parameter} "
                                 f"(allowed: {', '.join(allowed)})")
        if op == "shift":
            if not self.target.groups:
                raise ValueError("target.groups: task_shift needs the group(s) to shift from")
            if self.shift.to_group in self.target.groups:
                raise ValueError(f"shift.to_group: {self.shift.to_group!r} is also a source group")
        check_economics(self)
        return self

    @property
    def is_neutral(self) -> bool:
        """True when the change does nothing (multiply 1, add or shift 0), e.g. a continued programme."""
        return self.operation != "set" and self.change.value == (1.0 if self.operation == "multiply" else 0.0)

    @property
    def evidence(self) -> str:
        """``published`` when the change has a source and a range, else ``assumption``."""
        return "assumption" if self.change.is_assumption else "published"

    @property
    def source(self) -> str | None:
        """Where recruits come from (``recruits`` only; default ``other_regions``)."""
        if self.parameter != "recruits":
            return None
        return self.recruited_from.source if self.recruited_from is not None else "other_regions"

    def _weight(self, year: int) -> float:
        return self.path.weight(year, delayed=False) if self.path else 1.0

    def yearly_cost(self, year: int) -> float:
        """Programme cost in NOK in ``year`` beyond the baseline (follows the undelayed path)."""
        if self.cost is None:
            return 0.0
        return self.cost.value * UNITS_NOK[self.cost.unit] * self._weight(year)

    def yearly_other_cost(self, year: int) -> float:
        """Other costs in NOK in ``year`` (``cost.other``; follows the undelayed path)."""
        if self.cost is None or self.cost.other is None:
            return 0.0
        return self.cost.other.value * UNITS_NOK[self.cost.other.unit] * self._weight(year)


class PopulationDriver(Strict):
    """What drives demand: the model's cohort-component projection, or an external
    projection from a CSV file (columns region, year, sex, age, value in persons; the path
    is relative to the scenario file), e.g. SSB's main alternative MMMM."""

    source: Literal["cohort", "file"] = "cohort"
    file: str | None = None
    reference: str | None = None

    @model_validator(mode="after")
    def _file(self):
        if self.source == "file" and not self.file:
            raise ValueError("file: missing (source: file needs file: PATH.csv)")
        if self.source == "cohort" and self.file:
            raise ValueError("file: only allowed with source: file")
        return self


RATE_ASSUMPTIONS = ("constant", "trend", "external")


class MortalityAssumption(Strict):
    """How death probabilities move after the base year: ``constant`` (held at the dataset's
    base-year rates), ``trend`` (the dataset's rates of decline, times ``scale``) or
    ``external`` (a CSV file of rates, path relative to the scenario file). Written as a
    word (``mortality: constant``) or as a mapping with the keys below."""

    assumption: Literal[RATE_ASSUMPTIONS]  # type: ignore[valid-type]
    scale: float | None = Field(None, ge=0, le=3, allow_inf_nan=False)
    file: str | None = None
    reference: str | None = None

    @model_validator(mode="after")
    def _keys(self):
        if self.assumption == "external" and not self.file:
            raise ValueError("file: missing (external needs file: PATH.csv)")
        if self.assumption != "external" and self.file:
            raise ValueError(f"file: only allowed with assumption: external (got {self.assumption})")
        for key in ("scale", "damping"):
            if getattr(self, key, None) is not None and self.assumption != "trend":
                raise ValueError(f"{key}: only allowed with assumption: trend (got {self.assumption})")
        return self


class FertilityAssumption(MortalityAssumption):
    """How fertility moves after the base year: ``constant``, ``trend`` (the dataset's damped
    trend; ``scale`` multiplies its yearly change, ``damping`` replaces its damping) or
    ``external`` (a CSV file of rates by age 15-49)."""

    damping: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)


def _rate_assumption(v):
    """``mortality: trend`` is short for ``mortality: {assumption: trend}``."""
    if isinstance(v, str):
        if v not in RATE_ASSUMPTIONS:
            near = [a for a in RATE_ASSUMPTIONS if a[:2] == v[:2]]
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ValueError(f"unknown assumption {v!r} (allowed: {', '.join(RATE_ASSUMPTIONS)}){hint}")
        return {"assumption": v}
    return v


class Assumptions(Strict):
    """Overrides of baseline assumptions."""

    end_year: int | None = Field(None, ge=2001, le=2050)
    standard_growth: Value | dict[str, Value] | None = None
    population_driver: PopulationDriver | None = None
    coverage_trend: Literal[COVERAGE_TRENDS] | None = None  # type: ignore[valid-type]
    coverage_damping: Value | None = None
    healthier_ageing: Value | None = None
    staff_mix_trend: dict[str, Value] | None = None

    @field_validator("coverage_damping")
    @classmethod
    def _damping(cls, v):
        if v is not None:
            _unit_range(v, "/1", 0.0, 1.0, "coverage_damping")
        return v

    @field_validator("healthier_ageing")
    @classmethod
    def _healthier(cls, v):
        if v is not None:
            _unit_range(v, "/1", 0.0, 1.0, "healthier_ageing")
        return v

    @field_validator("staff_mix_trend")
    @classmethod
    def _mix_trend(cls, v):
        for g, val in (v or {}).items():
            if g not in D.GROUPS:
                raise ValueError(f"unknown group {g!r} (allowed: {', '.join(D.GROUPS)})")
            _unit_range(val, "/1 per year", -0.05, 0.05, "staff_mix_trend")
            if not (val.reference or "").strip():
                raise ValueError(f"{g}.reference: missing; give the source of the trend, or 'assumption: ...'")
        return v

    @model_validator(mode="after")
    def _combinations(self):
        if self.healthier_ageing is not None and self.coverage_trend != "none":
            raise ValueError(f"healthier_ageing: needs coverage_trend: none (got "
                             f"{self.coverage_trend or 'the default ' + DEFAULT_COVERAGE_TREND!s}); the estimated "
                             "trends already carry past health gains (allowed: none)")
        if self.coverage_damping is not None and self.coverage_trend not in (None, "damped"):
            raise ValueError(f"coverage_damping: only with coverage_trend: damped (got {self.coverage_trend})")
        return self


    mortality: MortalityAssumption | None = None
    fertility: FertilityAssumption | None = None

    @field_validator("mortality", "fertility", mode="before")
    @classmethod
    def _short_form(cls, v):
        return _rate_assumption(v)

    @field_validator("standard_growth")
    @classmethod
    def _growth(cls, v):
        items = v.items() if isinstance(v, dict) else [("all", v)] if v is not None else []
        for k, val in items:
            if k != "all" and k not in D.SERVICES:
                raise ValueError(f"unknown service {k!r} (allowed: {', '.join(D.SERVICES)})")
            if val.unit != "/1 per year":
                raise ValueError(f"unit: {val.unit!r} is not the unit of standard_growth (allowed: '/1 per year')")
            if not (GROWTH_RANGE[0] <= val.value <= GROWTH_RANGE[1]):
                raise ValueError(f"value: {val.value:g} is outside {GROWTH_RANGE[0]:g} to {GROWTH_RANGE[1]:g} "
                                 "(/1 per year)")
        return v


def _unit_range(val: Value, unit: str, lo: float, hi: float, key: str) -> None:
    if val.unit != unit:
        raise ValueError(f"unit: {val.unit!r} is not the unit of {key} (allowed: {unit!r})")
    if not (lo <= val.value <= hi):
        raise ValueError(f"value: {val.value:g} is outside {lo:g} to {hi:g} ({unit})")


#: Range of the standard growth rate, given (assumptions) or drawn (uncertainty).
GROWTH_RANGE = (LEVERS["standard_growth"].lo, LEVERS["standard_growth"].hi)
#: The copula's standard normal draws are held within +-Z_MAX (a draw beyond has probability
#: 2e-9), so every drawn value lies in :meth:`Distribution.window`, which validation checks.
Z_MAX = 6.0
#: Least probability mass a ``truncate`` range must hold.
MIN_TRUNCATED_MASS = 1e-6

DISTRIBUTIONS = {
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sd_log"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "beta": ("alpha", "beta"),
}


class Distribution(Strict):
    """A probability distribution of an uncertain value (scipy.stats parametrisation).

    ``normal(mean, sd)``, ``lognormal(median, sd_log)``, ``uniform(low, high)``,
    ``triangular(low, mode, high)``, ``beta(alpha, beta)`` scaled to ``[low, high]``
    (default 0..1); ``truncate: [lo, hi]`` restricts any of them.
    """

    type: Literal[tuple(DISTRIBUTIONS)]  # type: ignore[valid-type]
    mean: float | None = Field(None, allow_inf_nan=False)
    sd: float | None = Field(None, gt=0, allow_inf_nan=False)
    median: float | None = Field(None, gt=0, allow_inf_nan=False)
    sd_log: float | None = Field(None, gt=0, allow_inf_nan=False)
    low: float | None = Field(None, allow_inf_nan=False)
    high: float | None = Field(None, allow_inf_nan=False)
    mode: float | None = Field(None, allow_inf_nan=False)
    alpha: float | None = Field(None, gt=0, allow_inf_nan=False)
    beta: float | None = Field(None, gt=0, allow_inf_nan=False)
    truncate: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _params(self):
        need = DISTRIBUTIONS[self.type]
        given = [k for k in ("mean", "sd", "median", "sd_log", "low", "high", "mode", "alpha", "beta")
                 if getattr(self, k) is not None]
        allowed = set(need) | ({"low", "high"} if self.type == "beta" else set())
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.type} needs {', '.join(need)} (missing: {', '.join(missing)})")
        extra = [k for k in given if k not in allowed]
        if extra:
            raise ValueError(f"{', '.join(extra)}: not a parameter of {self.type} (allowed: {', '.join(sorted(allowed))})")
        lo = self.low if self.low is not None else 0.0
        hi = self.high if self.high is not None else 1.0
        if self.type in ("uniform", "triangular", "beta") and not lo < hi:
            raise ValueError(f"low ({lo:g}) must be below high ({hi:g})")
        if self.type == "triangular" and not (lo <= self.mode <= hi):
            raise ValueError(f"mode ({self.mode:g}) must lie between low and high")
        if self.truncate is not None and not self.truncate[0] < self.truncate[1]:
            raise ValueError("truncate: [lo, hi] needs lo < hi")
        if self.truncate is not None:
            mass = float(self.cdf(self.truncate[1]) - self.cdf(self.truncate[0]))
            if not mass >= MIN_TRUNCATED_MASS:
                raise ValueError(f"truncate: [{self.truncate[0]:g}, {self.truncate[1]:g}] holds {mass:.2g} of the "
                                 f"{self.type} distribution's probability (at least {MIN_TRUNCATED_MASS:g}); move or "
                                 "widen it")
        low, high = self.window()
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"its draws reach {low:g} to {high:g}, not finite numbers (parameters too large)")
        return self

    def window(self) -> tuple[float, float]:
        """The least and greatest value a draw can take: the values at -Z_MAX and +Z_MAX of the
        copula's standard normal (draws beyond are held there), within ``truncate``."""
        import numpy as np

        with np.errstate(over="ignore", invalid="ignore"):
            v = self.from_standard_normal(np.array([-Z_MAX, Z_MAX]))
        return float(v[0]), float(v[1])

    def cdf(self, x):
        """Distribution function (before truncation): scipy.stats' arithmetic for these five
        families on scipy.special ufuncs, without importing scipy.stats (most of a second)."""
        import numpy as np
        from scipy import special

        x = np.asarray(x, dtype=float)
        if self.type == "normal":
            return special.ndtr((x - self.mean) / self.sd)
        if self.type == "lognormal":
            z = x / self.median
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(z > 0, special.ndtr(np.log(z) / self.sd_log), 0.0)
        lo = self.low if self.low is not None else 0.0
        hi = self.high if self.high is not None else 1.0
        z = (x - lo) / (hi - lo)
        if self.type == "uniform":
            inside = z
        elif self.type == "triangular":
            c = (self.mode - self.low) / (self.high - self.low)
            with np.errstate(divide="ignore", invalid="ignore"):
                inside = np.where(z < c, z * z / c, (z * z - 2 * z + c) / (c - 1))
        else:
            inside = special.betainc(self.alpha, self.beta, np.clip(z, 0.0, 1.0))
        return np.where(z <= 0, 0.0, np.where(z >= 1, 1.0, inside))

    def ppf(self, u):
        """Quantile function, honouring ``truncate`` (u in (0, 1)): closed forms and scipy.special
        ufuncs, fast on large arrays."""
        import numpy as np
        from scipy import special

        u = np.asarray(u, dtype=float)
        if self.truncate is not None:
            a, b = self.cdf(self.truncate[0]), self.cdf(self.truncate[1])
            if not b > a:
                raise ValueError("truncate range has no probability mass")
            u = a + (b - a) * u
        if self.type == "normal":
            x = self.mean + self.sd * special.ndtri(u)
        elif self.type == "lognormal":
            x = self.median * np.exp(self.sd_log * special.ndtri(u))
        elif self.type == "uniform":
            x = self.low + (self.high - self.low) * u
        elif self.type == "triangular":
            lo, mode, hi = self.low, self.mode, self.high
            c = (mode - lo) / (hi - lo)
            x = np.where(u < c, lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                         hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode)))
        else:
            lo = self.low if self.low is not None else 0.0
            hi = self.high if self.high is not None else 1.0
            x = lo + (hi - lo) * special.betaincinv(self.alpha, self.beta, u)
        return x if self.truncate is None else np.clip(x, *self.truncate)

    def from_standard_normal(self, z):
        """Values with this distribution from standard normal ``z`` (Gaussian copula):
        ``ppf(Φ(z))``, exactly ``mean + sd z`` / ``median exp(sd_log z)`` for untruncated normal
        and lognormal draws; ``z`` is held within +-:data:`Z_MAX`."""
        import numpy as np
        from scipy.special import ndtr

        z = np.clip(np.asarray(z, dtype=float), -Z_MAX, Z_MAX)
        if self.truncate is None and self.type == "normal":
            return self.mean + self.sd * z
        if self.truncate is None and self.type == "lognormal":
            return self.median * np.exp(self.sd_log * z)
        return self.ppf(ndtr(z))


#: Levers a draw can scale by a factor per region and group (or service / transition / region),
#: and standard_growth (drawn as a yearly rate). net_migration scales the population's and the
#: workforce's net migration rates of a region (population, users and demand follow per draw).
UNCERTAIN = tuple(name for name, lever in LEVERS.items() if lever.draw)
#: The target keys each uncertain parameter is drawn per (:data:`DRAW_KINDS`).
UNCERTAIN_TARGETS = {p: LEVERS[p].drawn_per for p in UNCERTAIN}


class Uncertain(Strict):
    """An uncertain parameter: a factor (unit ``/1``) on a lever, or the standard growth rate
    (unit ``/1 per year``), drawn per Monte Carlo draw.

    ``correlation`` is the correlation (Gaussian copula) between the draws of the targeted
    cells (regions x groups, services or transitions): 1 = one common draw, 0 = independent.
    ``path`` phases the factor in (default: full effect from the year after the base year).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    parameter: Literal[UNCERTAIN]  # type: ignore[valid-type]
    distribution: Distribution
    unit: str
    target: Target = Target()
    correlation: float = Field(1.0, ge=0.0, le=1.0)
    path: TimePath | None = None
    reference: str | None = None

    @model_validator(mode="after")
    def _check(self):
        want = LEVERS[self.parameter].draw_unit
        if self.unit != want:
            raise ValueError(f"unit: {self.unit!r} is not the unit of this draw (allowed: {want!r})")
        allowed = UNCERTAIN_TARGETS[self.parameter]
        for key in Target.model_fields:
            if getattr(self.target, key) is not None and key not in allowed:
                raise ValueError(f"target.{key}: not drawn per {key} for {self.parameter} "
                                 f"(allowed: {', '.join(allowed)})")
        rate = LEVERS[self.parameter].draw == "growth"  # a yearly rate, not a factor
        if rate and self.path is not None:
            raise ValueError(f"path: {self.parameter} applies from the base year (no path)")
        low, high = self.distribution.window()
        if rate and not (GROWTH_RANGE[0] <= low and high <= GROWTH_RANGE[1]):
            raise ValueError(f"distribution: draws of the standard growth reach {low:.4g} to {high:.4g}, outside "
                             f"{GROWTH_RANGE[0]:g} to {GROWTH_RANGE[1]:g} (/1 per year); narrow or truncate it")
        if not rate and low < 0:
            raise ValueError(f"distribution: draws of the factor on {self.parameter} go down to {low:.4g}; a factor "
                             "must be at least 0 (truncate it, e.g. truncate: [0, 2])")
        return self


class ScenarioFile(Strict):
    """The top level of a scenario YAML file."""

    name: str = Field(min_length=1, max_length=80)
    description: str | None = None
    extends: str | None = None
    reference: str | None = None
    assumptions: Assumptions = Assumptions()
    measures: list[Measure] = []
    uncertainty: list[Uncertain] = []

    @model_validator(mode="after")
    def _unique_ids(self):
        ids = [m.id for m in self.measures] + [u.id for u in self.uncertainty]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"measure id {dup[0]!r} is used twice")
        return self
