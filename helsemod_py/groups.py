"""Personnel groups: one registry, ``groups.yaml``, that every other module takes its groups from.

A group's code, its Norwegian and English names, the names planners write for it, whether it is a
nursing education, how SSB's tables name it, its wage and its national facts are one entry of
``helsemod_py/groups.yaml``; the moves between groups while working are the file's
``transitions``. :mod:`helsemod_py.dims` (``GROUPS``, ``GROUP_LABELS``, ``NURSE_GROUPS``,
``TRANSITION_PAIRS``), :mod:`helsemod_py.aliases`, :mod:`helsemod_py.labels`,
:mod:`helsemod_py.data.staff`, :mod:`helsemod_py.economics` and
:mod:`helsemod_py.data.default` read them from :func:`registry`, so adding a group is adding
one entry. The file is read once, strictly: unknown and duplicate keys, missing fields and
facts, wrong types, shares that do not sum to one and unknown groups in a transition are
:class:`~helsemod_py.errors.RegistryError`, one line per problem naming the file, line, group
and field.

>>> from helsemod_py.groups import registry
>>> g = registry().group("midwife")
>>> g.nb, g.nursing, g.facts["graduates"]["value"]
('Jordmødre', True, 0)
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import _yaml
from .errors import RegistryError

#: The registry file. Tests may point this at a copy before :mod:`helsemod_py.dims` is imported.
FILE = Path(__file__).with_name("groups.yaml")

_TOP_KEYS = ("fact_units", "optional_facts", "groups", "transitions")
_REQUIRED = ("name", "aliases", "wage", "service_shares", "facts")
_OPTIONAL = ("short", "nursing", "ssb", "vacancies")
_SSB_KEYS = ("labels", "labels_before_totals", "yrke_13953")
_CODE = re.compile(r"[a-z][a-z0-9_]*")
_LOADER = getattr(yaml, "CSafeLoader", _yaml.LimitedLoader)  # libyaml when present: read at every start


@dataclass(frozen=True)
class Group:
    """One personnel group of the registry (see ``groups.yaml`` for the fields)."""

    code: str
    nb: str
    en: str
    short_nb: str
    short_en: str
    aliases: tuple[str, ...]
    nursing: bool
    ssb_labels: tuple[str, ...]
    ssb_labels_before_totals: bool
    yrke_13953: tuple[str, ...]
    wage: dict
    vacancies: float | None
    service_shares: tuple[float, ...]
    facts: dict = field(repr=False)


@dataclass(frozen=True)
class Transition:
    """A move from one group to another while working, with its base-year flow ``{value, reference}``."""

    source: str
    target: str
    flow: dict


@dataclass(frozen=True)
class Registry:
    """The groups (in the model's order), the transitions and the units of the groups' facts."""

    groups: tuple[Group, ...]
    transitions: tuple[Transition, ...]
    fact_units: dict
    optional_facts: tuple[str, ...]
    file: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.groups)

    def group(self, code: str) -> Group:
        """The group with this code (``KeyError`` if none)."""
        for g in self.groups:
            if g.code == code:
                return g
        raise KeyError(code)


def registry() -> Registry:
    """The registry of :data:`FILE` (read once per file)."""
    return load(FILE)


@functools.cache
def load(path) -> Registry:
    """Read and check a registry file; :class:`RegistryError` listing every problem."""
    path = Path(path)
    label = path.name
    text = path.read_text(encoding="utf-8")
    lines: dict[tuple, int] = {}
    problems: list[str] = []

    def on_node(node):
        if node is not None:
            _walk(node, (), lines, problems, label)

    try:
        data = _yaml.load(text, label, loader=_LOADER, on_node=on_node)
    except ValueError as exc:
        raise RegistryError(str(exc)) from None
    if problems:
        raise RegistryError(problems)
    return _build(data, label, lines)


def _walk(node, path, lines, problems, label):
    """Lines of the key paths; duplicate keys are problems."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, value_node in node.value:
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in seen:
                problems.append(f"{label}:{line}: {'.'.join(map(str, path + (key,)))}: duplicate key {key!r} "
                                f"(first on line {seen[key]})")
            seen[key] = line
            _walk(value_node, path + (key,), lines, problems, label)
            lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, problems, label)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


class _Checker:
    def __init__(self, label: str, lines: dict):
        self.label, self.lines, self.problems = label, lines, []

    def bad(self, path: tuple, message: str) -> None:
        at = next((self.lines[path[:i]] for i in range(len(path), -1, -1) if path[:i] in self.lines), None)
        where = f"{self.label}:{at}" if at else self.label
        self.problems.append(f"{where}: {'.'.join(map(str, path)) or '(top level)'}: {message}")

    def keys(self, node, path, allowed, required=()) -> bool:
        if not isinstance(node, dict):
            self.bad(path, f"must be a mapping (keys: {', '.join(allowed)})")
            return False
        for key in node:
            if key not in allowed:
                self.bad(path + (key,), f"unknown key (allowed: {', '.join(allowed)})")
        missing = [k for k in required if k not in node]
        if missing:
            self.bad(path, f"missing {', '.join(missing)}")
        return True

    def text(self, node, path) -> str:
        if not isinstance(node, str) or not node.strip():
            self.bad(path, "must be text")
            return ""
        return node

    def texts(self, node, path) -> tuple[str, ...]:
        if not isinstance(node, list):
            self.bad(path, "must be a list of texts")
            return ()
        return tuple(self.text(x, path + (i,)) for i, x in enumerate(node))

    def names(self, node, path) -> tuple[str, str]:
        if self.keys(node, path, ("nb", "en"), ("nb", "en")):
            return self.text(node.get("nb"), path + ("nb",)), self.text(node.get("en"), path + ("en",))
        return "", ""

    def fact(self, node, path, lo=-math.inf) -> dict:
        """A ``{value, reference}`` entry with a number ``value >= lo``."""
        if self.keys(node, path, ("value", "reference"), ("value", "reference")):
            if not _is_num(node.get("value", 0)) or node.get("value", 0) < lo:
                self.bad(path + ("value",), f"must be a number{'' if lo == -math.inf else f' >= {lo:g}'}")
            if "reference" in node:
                self.text(node["reference"], path + ("reference",))
            return node
        return {}


def _build(data, label: str, lines: dict) -> Registry:
    ck = _Checker(label, lines)
    if not ck.keys(data, (), _TOP_KEYS, ("fact_units", "groups")):
        raise RegistryError(ck.problems)
    units = data.get("fact_units") or {}
    if not isinstance(units, dict) or not all(isinstance(v, str) for v in units.values()):
        ck.bad(("fact_units",), "must map each fact to its unit")
        units = {}
    optional = tuple(ck.texts(data.get("optional_facts", []), ("optional_facts",)))
    for name in optional:
        if name not in units:
            ck.bad(("optional_facts",), f"{name!r} has no unit in fact_units")
    required = [k for k in units if k not in optional]
    groups = []
    entries = data.get("groups")
    if not isinstance(entries, dict) or not entries:
        ck.bad(("groups",), "must map each group's code to its entry")
        entries = {}
    yrke_seen: dict[str, str] = {}
    for code, entry in entries.items():
        groups.append(_group(ck, str(code), entry, units, required, yrke_seen))
    known = [g.code for g in groups]
    transitions, seen = [], set()
    raw = data.get("transitions") or []
    if not isinstance(raw, list):
        ck.bad(("transitions",), "must be a list of {from, to, flow}")
        raw = []
    for i, tr in enumerate(raw):
        path = ("transitions", i)
        if not ck.keys(tr, path, ("from", "to", "flow"), ("from", "to", "flow")):
            continue
        a, b = str(tr.get("from")), str(tr.get("to"))
        for key, code in (("from", a), ("to", b)):
            if code not in known:
                ck.bad(path + (key,), f"unknown group {code!r} (allowed: {', '.join(known)})")
        if a == b:
            ck.bad(path, f"a group cannot move to itself ({a})")
        if (a, b) in seen:
            ck.bad(path, f"transition {a}>{b} given twice")
        seen.add((a, b))
        transitions.append(Transition(a, b, ck.fact(tr.get("flow"), path + ("flow",), lo=0)))
    if ck.problems:
        raise RegistryError(ck.problems)
    return Registry(tuple(groups), tuple(transitions), dict(units), optional, label)


def _group(ck: _Checker, code: str, entry, units: dict, required: list, yrke_seen: dict) -> Group:
    path = ("groups", code)
    if not _CODE.fullmatch(code):
        ck.bad(path, "a group's code is lower case letters, digits and _, starting with a letter")
    if not ck.keys(entry, path, _REQUIRED + _OPTIONAL, _REQUIRED):
        entry = {}
    nb, en = ck.names(entry.get("name"), path + ("name",)) if "name" in entry else ("", "")
    short_nb, short_en = ck.names(entry["short"], path + ("short",)) if "short" in entry else (nb, en)
    nursing = entry.get("nursing", False)
    if not isinstance(nursing, bool):
        ck.bad(path + ("nursing",), "must be true or false")
    ssb = entry.get("ssb", {})
    labels, before, yrke = (), False, ()
    if ck.keys(ssb, path + ("ssb",), _SSB_KEYS):
        labels = ck.texts(ssb.get("labels", []), path + ("ssb", "labels"))  # compiled (checked) by data.staff
        before = ssb.get("labels_before_totals", False)
        if not isinstance(before, bool):
            ck.bad(path + ("ssb", "labels_before_totals"), "must be true or false")
        yrke = ck.texts(ssb.get("yrke_13953", []), path + ("ssb", "yrke_13953"))
        for c in yrke:
            if c in yrke_seen:
                ck.bad(path + ("ssb", "yrke_13953"), f"code {c!r} is already {yrke_seen[c]}'s")
            yrke_seen.setdefault(c, code)
    wage = ck.fact(entry["wage"], path + ("wage",), lo=0) if "wage" in entry else {}
    vacancies = entry.get("vacancies")
    if vacancies is not None and (not _is_num(vacancies) or vacancies < 0):
        ck.bad(path + ("vacancies",), "must be a number of FTE >= 0")
    shares = entry.get("service_shares", [])
    if not isinstance(shares, list) or not all(_is_num(x) and 0 <= x <= 1 for x in shares):
        ck.bad(path + ("service_shares",), "must be a list of shares between 0 and 1, one per service")
        shares = []
    elif shares and abs(sum(shares) - 1.0) > 1e-6:
        ck.bad(path + ("service_shares",), f"the shares sum to {sum(shares):g}, not 1")
    facts = entry.get("facts", {})
    if isinstance(facts, dict) and "facts" in entry:
        missing = [k for k in required if k not in facts]
        if missing:
            ck.bad(path + ("facts",), f"missing {', '.join(missing)} (each {{value, reference}}; units in fact_units)")
        for key, value in facts.items():
            if key not in units:
                ck.bad(path + ("facts", key), f"unknown fact (allowed: {', '.join(units)})")
            else:
                ck.fact(value, path + ("facts", key), lo=0)
    elif "facts" in entry:
        ck.bad(path + ("facts",), "must map each fact to {value, reference}")
        facts = {}
    return Group(code, nb, en, short_nb, short_en, ck.texts(entry.get("aliases", []), path + ("aliases",)),
                 nursing is True, labels, before is True, yrke, wage, vacancies, tuple(shares), facts)


def check_service_shares(services) -> None:
    """Every group's ``service_shares`` has one share per service of ``services``."""
    reg = registry()
    bad = [f"{reg.file}: groups.{g.code}.service_shares: {len(g.service_shares)} shares for {len(services)} "
           f"services ({', '.join(services)})" for g in reg.groups if len(g.service_shares) != len(services)]
    if bad:
        raise RegistryError(bad)
