"""Scenarios as plain Python objects: load (with ``extends``), hash, select measures, apply.

A scenario is a function from baseline model inputs to new inputs, applied to a copy
(the OpenFisca reform habit): the dataset and the baseline are never modified.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from .. import _paths
from ..errors import ScenarioError, quote
from .hashing import content_hash
from .loader import read_scenario_file, validation_lines
from .schema import LEVERS, Assumptions, Measure, ScenarioFile
from .targets import OPERATION_ORDER, region_mask  # noqa: F401  (re-exported)



@dataclass(frozen=True)
class Scenario:
    """A named set of measures and assumption overrides.

    ``measures`` may be :class:`Measure` objects or plain dicts in the YAML layout::

        hm.Scenario("more nurses", measures=[{"id": "grads", "parameter": "graduates",
            "multiply": {"value": 1.2, "unit": "/1"}, "path": {"start": 2026},
            "target": {"groups": ["nurse"]}}])
    """

    name: str = "scenario"
    measures: tuple = ()
    assumptions: Assumptions = field(default_factory=Assumptions)
    description: str | None = None
    source: str | None = None
    lines: dict = field(default_factory=dict, compare=False, repr=False)
    uncertainty: tuple = ()

    def __post_init__(self):
        try:
            model = ScenarioFile.model_validate({"name": self.name, "measures": list(self.measures),
                                                 "assumptions": self.assumptions,
                                                 "uncertainty": list(self.uncertainty)})
        except ValidationError as exc:
            raise ScenarioError(validation_lines(exc, self.lines, self.source or "<scenario>",
                                                 root=ScenarioFile)) from None
        ms, asm = tuple(model.measures), model.assumptions
        object.__setattr__(self, "uncertainty", tuple(model.uncertainty))
        object.__setattr__(self, "measures", ms)
        object.__setattr__(self, "assumptions", asm)
        problems = _contradictions(ms, self.source or "<scenario>", self.lines)
        if problems:
            raise ScenarioError(problems)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, path, allow_outside: bool = False) -> "Scenario":
        """Load a scenario file, following ``extends`` (relative to the file; no cycles).

        Measures of the extending file come after the extended file's; one with the same
        ``id`` replaces it. Assumptions given in the extending file override.

        ``extends:`` files and a population driver's ``file:`` are resolved relative to the file
        that names them and must lie in the folder of ``path`` or below it (links resolved);
        ``allow_outside=True`` (``--allow-outside``) lets them lie anywhere.
        """
        path = Path(path)
        try:
            root = None if allow_outside else _paths.resolved(path).parent
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None
        return _load(path, (), root)

    @classmethod
    def baseline(cls) -> "Scenario":
        return cls(name="baseline")

    def to_dict(self) -> dict:
        """The resolved scenario (extends applied) as plain data."""
        return {
            "name": self.name,
            "description": self.description,
            "assumptions": self.assumptions.model_dump(exclude_none=True),
            "measures": [m.model_dump(exclude_none=True) for m in self.measures],
            "uncertainty": [u.model_dump(exclude_none=True) for u in self.uncertainty],
        }

    @property
    def hash(self) -> str:
        """SHA-256 of the resolved content (name and description excluded; a population
        driver file counts by its content, not its path)."""
        body = {k: v for k, v in self.to_dict().items() if k not in ("name", "description")}
        for key in ("population_driver", "mortality", "fertility"):
            entry = body["assumptions"].get(key, {})
            if entry.get("file"):
                entry["file"] = _file_hash(Path(entry["file"]))
        return content_hash(body)

    @property
    def end_year(self) -> int | None:
        return self.assumptions.end_year

    @property
    def measure_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.measures)

    def only(self, ids, name: str | None = None) -> "Scenario":
        """The same scenario with only the measures ``ids`` (assumptions kept)."""
        ids = set(ids)
        unknown = ids - set(self.measure_ids)
        if unknown:
            raise ScenarioError(f"unknown measure id(s): {', '.join(sorted(unknown))} "
                                f"(allowed: {', '.join(self.measure_ids)})")
        return Scenario(name or self.name, tuple(m for m in self.measures if m.id in ids), self.assumptions,
                        self.description, self.source, self.lines, self.uncertainty)

    def with_values(self, values: dict, name: str | None = None) -> "Scenario":
        """The same scenario with the change value of some measures replaced (``{id: value}``), e.g.
        the ends of their evidence ranges or a draw from them."""
        unknown = set(values) - set(self.measure_ids)
        if unknown:
            raise ScenarioError(f"unknown measure id(s): {', '.join(sorted(unknown))} "
                                f"(allowed: {', '.join(self.measure_ids)})")
        ms = tuple(m.model_copy(update={m.operation: m.change.model_copy(update={"value": float(values[m.id])})})
                   if m.id in values else m for m in self.measures)
        return Scenario(name or self.name, ms, self.assumptions, self.description, self.source, self.lines,
                        self.uncertainty)

    def without_measures(self, name: str | None = None) -> "Scenario":
        return self.only((), name or f"{self.name} (no measures)")

    # --- checks against a dataset -------------------------------------------------------
    def problems(self, dataset) -> list[str]:
        """Problems only visible with a dataset: unknown regions, a horizon before the base year."""
        out = []
        label = self.source or "<scenario>"
        for i, m in enumerate(self.measures):
            for key in (("target", "regions"), ("recruited_from", "regions")):
                codes = getattr(getattr(m, key[0]), key[1]) if getattr(m, key[0]) is not None else None
                for j, code in enumerate(codes or ()):
                    if dataset.regions.lookup(code) is None and not dataset.regions.is_outside(code):
                        line = self.lines.get(("measures", i, *key, j), self.lines.get(("measures", i), 1))
                        msg = dataset.regions.unknown_message(code, "unknown region").replace(
                            ": no municipality or county with that code or name", "")
                        out.append(f"{label}:{line}: measures[{i}].{'.'.join(key)}[{j}]: {msg}")
            out += self._source_overlap(i, m, dataset, label)
        if self.end_year is not None and self.end_year <= dataset.base_year:
            out.append(f"{label}:{self.lines.get(('assumptions', 'end_year'), 1)}: assumptions.end_year: "
                       f"{self.end_year} must be after the base year {dataset.base_year}")
        return out

    def _source_overlap(self, i, m, dataset, label) -> list[str]:
        """Recruits drawn from other regions must come from regions outside the target."""
        src = m.recruited_from
        if m.source != "other_regions" or src is None or src.regions is None:
            return []
        if any(dataset.regions.lookup(c) is None and not dataset.regions.is_outside(c)
               for c in (*src.regions, *m.target.regions)):
            return []  # reported as unknown regions
        target = region_mask(m.target.regions, dataset.regions)
        out = []
        for j, code in enumerate(src.regions):
            if (region_mask([code], dataset.regions) & target).any():
                key = ("measures", i, "recruited_from", "regions", j)
                line = self.lines.get(key, self.lines.get(("measures", i), 1))
                out.append(f"{label}:{line}: measures[{i}].recruited_from.regions[{j}]: {code!r} is also a target "
                           "region; recruits come from other regions (allowed: municipalities and counties outside "
                           "target.regions)")
        return out

    # --- application --------------------------------------------------------------------
    def apply(self, inputs, dataset):
        """Return new model inputs with the assumptions and measures applied (a copy)."""
        from .apply import apply_scenario

        return apply_scenario(self, inputs, dataset)

    def costs(self, years) -> dict[str, np.ndarray]:
        """Yearly programme cost in NOK of each measure beyond the baseline, for the given years."""
        return {m.id: np.array([m.yearly_cost(int(y)) for y in years]) for m in self.measures}

    def other_costs(self, years) -> dict[str, np.ndarray]:
        """Yearly other costs in NOK of each measure (``cost.other``), for the given years."""
        return {m.id: np.array([m.yearly_other_cost(int(y)) for y in years]) for m in self.measures}


def _file_hash(path: Path) -> str:
    """SHA-256 of a file's content, read in blocks (its name where it cannot be read)."""
    h = hashlib.sha256()
    try:
        with open(_paths.regular_file(path), "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except (OSError, ValueError):
        return path.name
    return h.hexdigest()


def _resolve(path: Path, label: str) -> Path:
    try:
        return _paths.resolved(path)
    except ValueError as exc:
        raise ScenarioError(f"{label}: {exc}") from None


def _confined(target: Path, root: Path | None, where: str, given: str) -> Path:
    """``target`` resolved, refused where it lies outside ``root`` (None: anywhere)."""
    resolved = _resolve(target, where)
    if root is not None and not resolved.is_relative_to(root):
        raise ScenarioError(f"{where}: {quote(given)} is outside the scenario's folder {_paths.show(root)}; "
                            "move the file there, or allow files outside it explicitly (--allow-outside; "
                            "Python: Scenario.from_yaml(..., allow_outside=True))")
    return resolved


def _load(path: Path, stack: tuple, root: Path | None) -> Scenario:
    model, lines, label = read_scenario_file(path)
    resolved = _resolve(path, label)
    measures = list(model.measures)
    uncertainty = list(model.uncertainty)
    assumptions = model.assumptions
    for key in ("population_driver", "mortality", "fertility"):
        entry = getattr(assumptions, key)
        if entry is not None and getattr(entry, "file", None):
            # resolve a data file next to the scenario file that names it, inside its folder
            where = f"{label}:{lines.get(('assumptions', key, 'file'), 1)}: assumptions.{key}.file"
            target = _confined(path.parent / entry.file, root, where, entry.file)
            assumptions = assumptions.model_copy(update={key: entry.model_copy(update={"file": str(target)})})
    if model.extends:
        where = f"{label}:{lines.get(('extends',), 1)}: extends"
        parent_path = _confined(path.parent / model.extends, root, where, model.extends)
        try:
            _paths.regular_file(parent_path)
        except ValueError:
            raise ScenarioError(f"{where}: file {quote(model.extends)} not found next to {path.name}") from None
        if parent_path in (*stack, resolved):
            chain = " -> ".join(p.name for p in (*stack, resolved, parent_path))
            raise ScenarioError(f"{where}: cycle {chain}")
        parent = _load(path.parent / model.extends, (*stack, resolved), root)
        own = {m.id: m for m in measures}
        merged = [own.pop(m.id, m) for m in parent.measures]
        measures = merged + [m for m in measures if m.id in own]
        own_u = {u.id: u for u in uncertainty}
        uncertainty = [own_u.pop(u.id, u) for u in parent.uncertainty] + [u for u in uncertainty if u.id in own_u]
        given = assumptions.model_dump(exclude_none=True)
        assumptions = Assumptions.model_validate({**parent.assumptions.model_dump(exclude_none=True), **given})
    return Scenario(model.name, tuple(measures), assumptions, model.description, label, lines, tuple(uncertainty))


def _overlap(a, b) -> bool:
    return a is None or b is None or bool(set(a) & set(b))


def _contradictions(measures, label, lines) -> list[str]:
    """Two ``set`` measures of one parameter that overlap in target and time contradict."""
    out = []
    sets = [(i, m) for i, m in enumerate(measures) if m.operation == "set"]
    for x, (i, a) in enumerate(sets):
        for j, b in sets[x + 1:]:
            if a.parameter != b.parameter:
                continue
            ta, tb = a.target, b.target
            ages = ta.ages is None or tb.ages is None or not (ta.ages[1] < tb.ages[0] or tb.ages[1] < ta.ages[0])
            years_a = (a.path.start + a.path.delay, a.path.end if a.path.end is not None else 9999)
            years_b = (b.path.start + b.path.delay, b.path.end if b.path.end is not None else 9999)
            years = not (years_a[1] < years_b[0] or years_b[1] < years_a[0])
            if ages and years and all(_overlap(getattr(ta, k), getattr(tb, k))
                                      for k in ("groups", "services", "transitions", "sexes", "regions")):
                line = lines.get(("measures", j), 1)
                out.append(f"{label}:{line}: measures[{j}]: {b.id!r} sets {b.parameter} for targets and years "
                           f"that {a.id!r} also sets; contradictory measures (narrow their targets or years)")
    return out


__all__ = ["Scenario", "Measure", "LEVERS", "region_mask", "OPERATION_ORDER"]
