"""YAML read with limits: nesting depth, expanded size, number length, printable text only.

Scenario files and a dataset's ``dataset.yaml`` are read with :class:`LimitedLoader` (PyYAML's
SafeLoader with the limits checked while composing, before any value is built), and every
problem becomes one line: a YAML syntax error, a control character, nesting too deep, a
number too long to be one (Python refuses integers of more than 4 300 digits).
"""

from __future__ import annotations

import yaml

#: Deepest nesting of mappings and lists.
MAX_DEPTH = 20
#: Most nodes a document may expand to, aliases counted at their full size ("billion laughs").
MAX_NODES = 1_000_000
#: Longest integer literal, in characters.
MAX_INT_CHARS = 40


class Refused(yaml.YAMLError):
    """Valid YAML beyond the limits (too deep, too large, a number too long, ...)."""

    def __init__(self, message: str, mark):
        super().__init__(message)
        self.message = message
        self.mark = mark


class LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses nesting deeper than ``max_depth``, documents that expand (aliases
    counted in full) to more than ``MAX_NODES`` nodes and integers longer than ``MAX_INT_CHARS``."""

    max_depth = MAX_DEPTH
    _depth = 0
    _nodes = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = self.anchors.get(event.anchor)
            self._count(getattr(node, "_size", 1), event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise Refused(f"nested more than {self.max_depth} levels deep", event.start_mark)
            before = self._nodes
            self._count(1, event.start_mark)
            node = super().compose_node(parent, index)
            node._size = self._nodes - before  # the subtree's expanded size, for aliases to it
            return node
        finally:
            self._depth -= 1

    def _count(self, n: int, mark) -> None:
        self._nodes += n
        if self._nodes > MAX_NODES:
            raise Refused(f"expands to more than {MAX_NODES:,} values (aliases counted in full)", mark)

    def construct_yaml_int(self, node):
        if len(node.value) > MAX_INT_CHARS:
            raise Refused(f"number of {len(node.value)} characters is too long (at most {MAX_INT_CHARS})",
                          node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node):
        try:  # a date-like value that is no date (2024-13-45) made datetime raise
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise Refused(f"{node.value[:40]!r} looks like a date but is none ({exc}); put text in quotes",
                          node.start_mark) from None


LimitedLoader.add_constructor("tag:yaml.org,2002:int", LimitedLoader.construct_yaml_int)
LimitedLoader.add_constructor("tag:yaml.org,2002:timestamp", LimitedLoader.construct_yaml_timestamp)


def problem(exc: yaml.YAMLError, label: str, text: str | None = None) -> str:
    """One line for a YAML error: ``label:line: not valid YAML: what (column c)``."""
    if isinstance(exc, Refused):
        return f"{label}:{exc.mark.line + 1}: {exc.message}"
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_problem(exc, label, text)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{label}:{mark.line + 1}" if mark else label
    what = " ".join((getattr(exc, "problem", None) or str(exc)).split())
    at_tab = mark is not None and mark.buffer is not None and 0 <= mark.pointer < len(mark.buffer) \
        and mark.buffer[mark.pointer] == "\t"
    if at_tab or "'\\t'" in what:
        return f"{where}: not valid YAML: tab character in column {mark.column + 1 if mark else '?'} " \
               "(indent with spaces, not tabs)"
    if mark is not None:
        what += f" (column {mark.column + 1})"
    context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and cmark is not None and cmark is not mark:
        what += f", {' '.join(context.split())} started on line {cmark.line + 1} column {cmark.column + 1}"
    return f"{where}: not valid YAML: {what}"


def _reader_problem(exc, label: str, text: str | None) -> str:
    """A character YAML does not allow (NUL, other control characters): where it is."""
    pos = exc.position if isinstance(exc.position, int) else 0
    before = (text or "")[:pos]
    line, column = before.count("\n") + 1, pos - (before.rfind("\n") + 1) + 1
    char = exc.character
    num = ord(char) if isinstance(char, str) else char if isinstance(char, int) else None
    code = f"U+{num:04X}" if num is not None else "?"
    return (f"{label}:{line}: not valid YAML: control character {code} in column {column} "
            "(the file must be plain text)")


def load(text: str, label: str, loader: type[LimitedLoader] = LimitedLoader, on_node=None):
    """Parse one YAML document with ``loader``; :class:`ValueError` with one line on any problem.

    ``on_node(node)`` sees the composed document (None when empty) before any value is built.
    """
    try:
        ldr = loader(text)
    except yaml.YAMLError as exc:  # the reader checks the characters on construction
        raise ValueError(problem(exc, label, text)) from None
    try:
        node = ldr.get_single_node()
        if on_node is not None:
            on_node(node)
        return None if node is None else ldr.construct_document(node)
    except yaml.YAMLError as exc:
        raise ValueError(problem(exc, label, text)) from None
    except RecursionError:  # not expected with max_depth, but never a traceback
        raise ValueError(f"{label}: nested too deeply") from None
    finally:
        ldr.dispose()
