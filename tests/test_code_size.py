"""Code stays readable in pieces (issue 16): no module of the package over 700 lines, no function
over 100 lines, except the numba kernels (functions decorated with njit, jit, vectorize or
guvectorize), whose loops are kept whole for the compiler."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "helsemod_py"
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 100
JIT = {"njit", "jit", "vectorize", "guvectorize"}


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def _jitted(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for dec in fn.decorator_list:
        node = dec.func if isinstance(dec, ast.Call) else dec
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
        if name in JIT:
            return True
    return False


def test_modules_are_at_most_700_lines():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them along a seam): {long}"


def test_functions_are_at_most_100_lines_outside_numba_kernels():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _jitted(node):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines (split them into helpers): {long}"


def test_the_check_sees_kernels_and_long_functions():
    """The rule itself: a long plain function is caught, a long numba kernel is not."""
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    tree = ast.parse(f"def plain():\n{body}\n\n@njit(cache=True)\ndef kernel():\n{body}\n\n"
                     f"@numba.njit\ndef kernel2():\n{body}\n")
    fns = {n.name: n for n in tree.body}
    assert not _jitted(fns["plain"]) and _jitted(fns["kernel"]) and _jitted(fns["kernel2"])
    assert fns["plain"].end_lineno - fns["plain"].lineno + 1 > MAX_FUNCTION_LINES
