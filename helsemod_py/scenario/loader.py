"""Safe, strict loading of scenario YAML: size limit, no aliases, no duplicate keys, and
every problem reported as ``file:line: key.path: message`` with the allowed values."""

from __future__ import annotations

import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError
from .schema import ScenarioFile

MAX_BYTES = 256 * 1024


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (no 'billion laughs') and keeps node marks."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in scenario files", event.start_mark)
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
                problems.append(f"{label}:{line}: {_fmt_path(path + (key,))}: duplicate key "
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


def parse_yaml(text: str, label: str) -> tuple[object, dict]:
    """Parse YAML text safely; return ``(data, lines)`` mapping key paths to line numbers."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ScenarioError(f"{label}: larger than {MAX_BYTES // 1024} KiB; scenario files must be small")
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(f"{label}:1: empty file (a scenario needs at least 'name:')")
        lines: dict = {}
        problems: list[str] = []
        _walk(node, (), lines, problems, label)
        if problems:
            raise ScenarioError(problems)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if "\t" in problem or "tab" in problem.lower():
            problem = "tab character: indent with spaces, not tabs"
        raise ScenarioError(f"{label}{line}: not valid YAML: {problem}") from None
    finally:
        loader.dispose()
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
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp):
    """Strip Optional[...] / unions down to a model or list type where there is one."""
    for _ in range(3):
        args = typing.get_args(tp)
        origin = typing.get_origin(tp)
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            cands = [a for a in args if a is not type(None)]
            models = [a for a in cands if isinstance(a, type) and issubclass(a, BaseModel)]
            lists = [a for a in cands if typing.get_origin(a) is list]
            tp = models[0] if models else lists[0] if lists else cands[0]
        else:
            break
    return tp


def validation_lines(exc: ValidationError, lines: dict, label: str) -> list[str]:
    """One line per pydantic error: ``file:line: key.path: message (allowed: ...)``."""
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in (
            "function-after", "function-before", "function-wrap", "tagged-union", "union"))))
        loc = tuple(p for p in loc if isinstance(p, int) or not p.startswith(("Value", "dict[", "list[")))
        line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), 1)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            parent = _model_at(ScenarioFile, loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else "see the scenario reference"
            msg = f"unknown key {loc[-1]!r} (allowed: {allowed})"
        elif err["type"] == "missing":
            msg = "missing (required)"
        out.append(f"{label}:{line}: {_fmt_path(loc)}: {msg}")
    # unions report each branch; keep the first line per key path
    seen, uniq = set(), []
    for line in out:
        key = line.split(": ", 2)[:2]
        key = tuple(key)
        if key not in seen:
            seen.add(key)
            uniq.append(line)
    return uniq


def read_scenario_file(path) -> tuple[ScenarioFile, dict, str]:
    """Read and validate one scenario file (not following ``extends``)."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ScenarioError(f"{label}: scenario file not found")
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise ScenarioError(f"{label}: larger than {MAX_BYTES // 1024} KiB; scenario files must be small")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{label}: not UTF-8 text (byte {exc.start})") from None
    data, lines = parse_yaml(text, label)
    if not isinstance(data, dict):
        raise ScenarioError(f"{label}:1: the top level must be a mapping with keys "
                            f"{', '.join(ScenarioFile.model_fields)}")
    try:
        model = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_lines(exc, lines, label)) from None
    return model, lines, label
