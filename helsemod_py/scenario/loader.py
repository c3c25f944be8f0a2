"""Safe, strict loading of scenario YAML: size limit, no aliases, no tags, bounded nesting,
no duplicate keys, and every problem reported as one line
``file:line: key.path: message`` with the allowed values where there is a fixed set."""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from .. import _paths
from .. import _yaml
from .._yaml import MAX_DEPTH, LimitedLoader, Refused  # noqa: F401  (MAX_DEPTH: a scenario needs about 6)
from ..errors import ScenarioError, quote
from .schema import Assumptions, Measure, ScenarioFile

MAX_BYTES = 256 * 1024


class _StrictLoader(LimitedLoader):
    """The limited loader (depth, size, number length) that also refuses aliases (no 'billion
    laughs') and explicit tags while composing, before any value is built."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise Refused(f"alias '*{event.anchor}' is not allowed: scenario files may not use "
                          "anchors and aliases (&name, *name); write the values out", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise Refused(f"tag {tag!r} is not allowed: scenario files hold plain values only",
                          event.start_mark)
        return super().compose_node(parent, index)


def _walk(node, path, lines, problems, label):
    """Record the line of every key path and report duplicate keys."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(f"{label}:{line}: {_fmt_path(path + (key,))}: duplicate key {key!r} "
                                f"(first on line {seen[key]})")
            seen[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, problems, label)
            lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, problems, label)


def _fmt_path(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _non_finite(data, path, lines, label, out):
    """Report ``.nan`` / ``.inf`` (and overflowing numbers such as 1e999) anywhere."""
    if isinstance(data, float) and not math.isfinite(data):
        out.append(f"{label}:{lines.get(path, 1)}: {_fmt_path(path)}: {data!r} is not a finite number")
    elif isinstance(data, dict):
        for k, v in data.items():
            _non_finite(v, path + (k,), lines, label, out)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _non_finite(v, path + (i,), lines, label, out)


def _size_error(label: str, size: int) -> ScenarioError:
    return ScenarioError(f"{label}: file is {size / 1024:.0f} KiB, over the {MAX_BYTES // 1024} KiB limit "
                         "for scenario files")


def parse_yaml(text: str, label: str) -> tuple[object, dict]:
    """Parse YAML text safely; return ``(data, lines)`` mapping key paths to line numbers."""
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise _size_error(label, size)
    lines: dict = {}

    def walk(node):  # lines of the key paths, duplicate keys: before any value is built
        if node is None:
            raise ScenarioError(f"{label}:1: empty file (a scenario needs at least 'name:')")
        problems: list[str] = []
        _walk(node, (), lines, problems, label)
        if problems:
            raise ScenarioError(problems)

    try:
        data = _yaml.load(text, label, _StrictLoader, on_node=walk)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    problems = []
    _non_finite(data, (), lines, label, problems)
    if problems:
        raise ScenarioError(problems)
    return data, lines


def _model_at(model: type[BaseModel], loc) -> type[BaseModel] | None:
    """The pydantic model reached by following ``loc`` from ``model`` (None if not a model)."""
    current: object = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp):
    """Strip Optional[...] / unions down to a model or list type where there is one."""
    for _ in range(3):
        args = typing.get_args(tp)
        origin = typing.get_origin(tp)
        if origin in (typing.Union, getattr(types, "UnionType", None)):
            cands = [a for a in args if a is not type(None)]
            models = [a for a in cands if isinstance(a, type) and issubclass(a, BaseModel)]
            lists = [a for a in cands if typing.get_origin(a) is list]
            tp = models[0] if models else lists[0] if lists else cands[0]
        else:
            break
    return tp


_ROOTS = {m.__name__: m for m in (ScenarioFile, Measure, Assumptions)}
_PREFIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?)*): (.+)$")
_UNKNOWN_ITEM = re.compile(r"^unknown \w+ '([^']*)'")
_DUP_ID = re.compile(r"^measure id '([^']*)' is used twice")


def _split_path(text: str) -> tuple:
    out: list = []
    for part in text.split("."):
        name, *idx = re.split(r"\[(\d+)\]", part)
        out.append(name)
        out.extend(int(i) for i in idx if i != "")
    return tuple(out)


def _short(value, n: int = 60) -> str:
    return quote(value, n)


def _hint(word, choices) -> str:
    near = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.7)
    return f"; did you mean {near[0]!r}?" if near else ""


def _message(err, loc: tuple, root: type[BaseModel]) -> tuple[tuple, str]:
    """The key path and a plain one-line message for one pydantic error."""
    kind, inp, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    msg = " ".join(err["msg"].removeprefix("Value error, ").split())
    if kind == "value_error":
        # a model-level check names the key it is about: "cost.unit: ..." -> move into the path
        m = _PREFIX.match(msg)
        model = _model_at(root, loc)
        if m and model is not None and _split_path(m.group(1))[0] in model.model_fields:
            loc, msg = loc + _split_path(m.group(1)), m.group(2)
        # "unknown group 'nurce'" raised for a whole list: point at the item
        m = _UNKNOWN_ITEM.match(msg)
        if m and isinstance(inp, (list, tuple)) and m.group(1) in [str(x) for x in inp]:
            loc = loc + ([str(x) for x in inp].index(m.group(1)),)
        elif m and isinstance(inp, dict) and m.group(1) in inp:  # e.g. a service key of standard_growth
            loc = loc + (m.group(1),)
        # "measure id 'x' is used twice": point at the second one
        m = _DUP_ID.match(msg)
        if m and isinstance(inp, dict) and isinstance(inp.get("measures"), (list, tuple)):
            ids = [x.get("id") if isinstance(x, dict) else getattr(x, "id", None) for x in inp["measures"]]
            hits = [i for i, x in enumerate(ids) if x == m.group(1)]
            if len(hits) > 1:
                loc = loc + ("measures", hits[1], "id")
                msg = f"{msg} (first in measures[{hits[0]}])"
        return loc, msg
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = list(parent.model_fields) if parent else []
        listed = ", ".join(allowed) if allowed else "see the scenario reference"
        return loc, f"unknown key {loc[-1]!r} (allowed: {listed}){_hint(loc[-1], allowed)}"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        what = loc[-1] if loc and isinstance(loc[-1], str) else "value"
        return loc, f"unknown {what} {_short(inp)} (allowed: {', '.join(allowed)}){_hint(inp, allowed)}"
    if kind == "missing":
        if loc and isinstance(loc[-1], int):
            return loc[:-1], f"too few items: {_short(inp)} (needs {loc[-1] + 1})"
        return loc, "missing (required)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        model = _model_at(root, loc)
        keys = ", ".join(model.model_fields) if model else "keys"
        return loc, f"expected a mapping with keys {keys}, got {_short(inp)}"
    if kind in ("list_type", "tuple_type"):
        return loc, f"expected a list, got {_short(inp)}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return loc, f"{_short(inp)} is not a (finite) number"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return loc, f"{_short(inp)} is not a whole number"
    if kind == "string_type":
        return loc, f"{_short(inp)} is not text (put it in quotes)"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {"greater_than_equal": "at least", "greater_than": "above",
                "less_than_equal": "at most", "less_than": "below"}[kind]
        bound = next(iter(ctx.values()), "?")
        return loc, f"{_short(inp)} must be {word} {bound}"
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
        return loc, (f"{_short(inp)} is not a valid id (lower-case letters, digits and _, "
                     "starting with a letter)")
    if kind == "too_long" and loc and loc[-1] == "ages":
        return loc, f"expected two ages [from, to], got {_short(inp)}"
    if kind == "string_too_short":
        return loc, "must not be empty"
    return loc, f"{msg} (got {_short(inp)})" if not isinstance(inp, (dict, list)) else msg


def validation_lines(exc: ValidationError, lines: dict, label: str, *,
                     root: type[BaseModel] | None = None, prefix: tuple | None = None) -> list[str]:
    """One line per pydantic error: ``file:line: key.path: message (allowed: ...)``.

    ``root`` is the model that was validated (its errors' paths start there; by default the
    schema model named by ``exc.title``) and ``prefix`` the key path of that model in the
    file, e.g. ``root=Measure, prefix=("measures", 2)`` (by default ``("assumptions",)`` for
    :class:`Assumptions`, else none).
    """
    if root is None:
        root = _ROOTS.get(exc.title, ScenarioFile)
    if prefix is None:
        prefix = ("assumptions",) if root is Assumptions else ()
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in (
            "function-after", "function-before", "function-wrap", "tagged-union", "union"))))
        loc = tuple(p for p in loc if isinstance(p, int) or not p.startswith(("Value", "dict[", "list[")))
        loc, msg = _message(err, loc, root)
        loc = tuple(prefix) + loc
        line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), 1)
        out.append((loc, f"{label}:{line}: {_fmt_path(loc)}: {msg}"))
    # unions report each branch; keep the first line per key path
    seen, uniq = set(), []
    for loc, text in out:
        if loc not in seen:
            seen.add(loc)
            uniq.append(text)
    return uniq


def read_scenario_file(path) -> tuple[ScenarioFile, dict, str]:
    """Read and validate one scenario file (not following ``extends``)."""
    path = Path(path)
    label = _paths.show(path)
    try:
        _paths.regular_file(path, "scenario file")
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    try:
        with path.open("rb") as fh:  # never read more than the limit
            raw = fh.read(MAX_BYTES + 1)
            size = path.stat().st_size if len(raw) > MAX_BYTES else len(raw)
    except OSError as exc:
        raise ScenarioError(f"{label}: cannot read the file ({_paths.reason(exc)})") from None
    if len(raw) > MAX_BYTES:
        raise _size_error(label, max(size, len(raw)))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"{label}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                            f"{exc.start}); save the file as UTF-8") from None
    data, lines = parse_yaml(text, label)
    if not isinstance(data, dict):
        raise ScenarioError(f"{label}:1: the top level must be a mapping with keys "
                            f"{', '.join(ScenarioFile.model_fields)} (got a {type(data).__name__})")
    try:
        model = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_lines(exc, lines, label)) from None
    return model, lines, label
