"""Economics of a measure in a scenario file: programme and other costs, additionality (what
the baseline already holds of a programme) and where recruits come from (displacement)."""

from __future__ import annotations

from typing import Literal

import math

from pydantic import BaseModel, ConfigDict, Field, model_validator

UNITS_NOK = {"NOK per year": 1.0, "kNOK per year": 1e3, "MNOK per year": 1e6}

#: ``new`` (not running in the base period), ``scaled_up`` (running, made bigger), ``continued``.
STATUSES = ("new", "scaled_up", "continued")


#: Budget chapters a programme cost can name: K2025's chapters of Prop. 1 S (2020–2021)
#: (``helsemod_py/data/economics.yaml``), or ``outside`` K2025 (e.g. study places).
CHAPTERS = ("761", "762", "765", "769", "770", "780", "outside")
PAYERS = ("state", "municipal")
INF = float("inf")


def check_range(v):
    """A value with a ``range`` must lie within it (one-line error naming the allowed values)."""
    if v.range is None:
        return v
    lo, hi = v.range
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"range: [{lo:g}, {hi:g}] must be two finite numbers (allowed: [low, high] with low at "
                         "most high)")
    if not lo <= v.value <= hi:
        raise ValueError(f"value: {v.value:g} is outside its stated range (allowed: {lo:g} to {hi:g})")
    return v


def is_assumption(v) -> bool:
    """No source, no range, or a reference that starts with 'assumption'."""
    ref = (v.reference or "").strip().lower()
    return not ref or ref.startswith("assumption") or v.range is None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Amount(_Strict):
    """A yearly amount of money with its unit (``NOK per year``, ``kNOK per year``,
    ``MNOK per year``), source and plausible range."""

    value: float = Field(allow_inf_nan=False, description="Yearly amount at full effect (at least 0); it "
                         "follows the measure's path without its delay.")
    unit: str = Field(description="`NOK per year`, `kNOK per year` or `MNOK per year`.")
    reference: str | None = Field(None, description="Source, or `assumption: ...`.")
    range: tuple[float, float] | None = Field(None, description="`[low, high]`: plausible range of `value` "
                                              "(the value must lie within it).")

    @model_validator(mode="after")
    def _in_range(self):
        return check_range(self)


def _nok(v: Amount, key: str) -> None:
    if v.unit not in UNITS_NOK:
        raise ValueError(f"{key}.unit: {v.unit!r} (allowed: {', '.join(UNITS_NOK)})")
    if v.value < 0:
        raise ValueError(f"{key}.value: {v.value:g} must be at least 0")
    if v.range is not None and v.range[0] < 0:
        raise ValueError(f"{key}.range: [{v.range[0]:g}, {v.range[1]:g}] must not be below 0")


class OtherCost(Amount):
    """Costs beside the programme grant and the wages of the FTE gained (e.g. municipal
    co-funding, investment, apprentices' pay), NOK a year along the path."""

    payer: Literal[PAYERS] = Field("municipal", description="Who pays: `state` or `municipal`.")  # type: ignore
    description: str | None = Field(None, description="What the cost is for.")


class Cost(Amount):
    """Programme cost a year at full effect: the state (or municipal) grant beyond what the
    baseline already funds. Wages of the FTE gained are computed (``helsemod_py.economics``)."""

    payer: Literal[PAYERS] = Field("state", description="Who pays the programme: `state` or "  # type: ignore
                                   "`municipal`.")
    chapter: Literal[CHAPTERS] | None = Field(None, description=(  # type: ignore[valid-type]
        "Budget chapter of the grant: K2025's 761 (care), 762 (primary health), 765 (mental health), 769/780 "
        "(other), 770 (dental), or `outside` K2025."))
    other: OtherCost | None = Field(None, description="Other yearly costs (not wages of the FTE gained).")


class InBaseline(_Strict):
    """What the base period already has of a programme that is scaled up or continued: the
    baseline holds its effect, so the measure's change and cost are only the increment."""

    value: float | None = Field(None, allow_inf_nan=False, description=(
        "The programme's present effect, in the unit of the measure's change (documentation)."))
    unit: str | None = Field(None, description="Unit of `value` (the change's unit).")
    cost: Amount | None = Field(None, description="The programme's present yearly budget (not counted as a "
                                                 "cost of the measure; shown in the K2025 budget check).")
    reference: str = Field(min_length=3, description="Where the base-period programme is documented.")


#: Where recruits come from: other regions (displacement: they leave the regions they come from) or
#: true inflows to the workforce (from abroad, extra graduates, people outside the workforce).
RECRUIT_SOURCES = ("other_regions", "abroad", "new_graduates", "outside_workforce")


class RecruitedFrom(_Strict):
    """Where a measure's recruits come from. ``other_regions`` (the default for ``recruits``):
    the same persons leave ``regions`` (default: every municipality outside the target), in
    proportion to the group's stock there, so the nation gains only through second-order effects;
    the other sources are true net inflows."""

    source: Literal[RECRUIT_SOURCES] = Field(description="`other_regions`, `abroad`, `new_graduates` or "  # type: ignore
                                             "`outside_workforce`.")
    regions: list[str] | None = Field(None, description="With `other_regions`: municipality or county codes "
                                      "or names the recruits leave (default: all outside the target).")
    reference: str | None = Field(None, description="Why the recruits come from there.")

    @model_validator(mode="after")
    def _regions(self):
        if self.regions is not None and self.source != "other_regions":
            raise ValueError(f"regions: only with source other_regions (got source {self.source})")
        if self.regions is not None and not self.regions:
            raise ValueError("regions must list at least one code or name, or be left out")
        return self


def check_economics(m) -> None:
    """Costs, ranges, additionality and the source of recruits of a measure (see :class:`Measure`)."""
    op, ch = m.operation, m.change
    if ch.range is not None:
        lo, hi = ch.range
        bounds = {"multiply": (0.0, INF), "shift": (0.0, 1.0)}.get(op, (0.0, INF) if m.parameter in (
            "recruits", "vacancies") else (-INF, INF))
        if lo < bounds[0] or hi > bounds[1]:
            raise ValueError(f"{op}.range: [{lo:g}, {hi:g}] is outside {bounds[0]:g} to {bounds[1]:g}")
    if m.cost is not None:
        _nok(m.cost, "cost")
        if m.cost.other is not None:
            _nok(m.cost.other, "cost.other")
    if m.status == "new" and m.in_baseline is not None:
        raise ValueError("in_baseline: only for status scaled_up or continued (the baseline holds nothing of a "
                         "new measure)")
    if m.status != "new" and m.in_baseline is None:
        raise ValueError(f"in_baseline: missing; status {m.status} needs what the base period already has "
                         "(value, unit, cost, reference)")
    if m.in_baseline is not None:
        b = m.in_baseline
        if (b.value is None) != (b.unit is None):
            raise ValueError("in_baseline: give value and unit together")
        if b.unit is not None and b.unit != ch.unit:
            raise ValueError(f"in_baseline.unit: {b.unit!r} is not the unit of the change (allowed: {ch.unit!r})")
        if b.cost is not None:
            _nok(b.cost, "in_baseline.cost")
    if m.status == "continued":
        if not m.is_neutral:
            neutral = "1" if op == "multiply" else "0"
            raise ValueError(f"{op}.value: a continued programme is already in the baseline and adds nothing "
                             f"(allowed: {neutral}; or status: scaled_up with the increment)")
        if m.cost is not None and m.cost.value > 0:
            raise ValueError("cost.value: a continued programme costs nothing beyond the baseline (allowed: 0); "
                             "give its budget as in_baseline.cost")
    if m.recruited_from is not None and m.parameter != "recruits":
        raise ValueError(f"recruited_from: only for parameter recruits (got {m.parameter})")
    if m.source == "other_regions" and m.target.regions is None:
        raise ValueError("recruited_from: recruits into every region cannot come from other regions; say where "
                         "they come from (allowed: abroad, new_graduates, outside_workforce, or other_regions with "
                         "a target.regions)")
