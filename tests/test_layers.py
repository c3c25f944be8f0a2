"""The package's layers (pyproject.toml, [tool.importlinter]): each imports only from the layers
below it, so there are no import cycles between them. Checked with import-linter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_layers_are_kept():
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "importlinter.cli"]
    out = subprocess.run(cmd + ["--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 kept, 0 broken" in out.stdout


def test_no_module_imports_one_that_imports_it():
    """No import cycle anywhere in the package, between layers or inside one."""
    import grimp

    graph = grimp.build_graph("helsemod_py")
    cycles = []
    for m in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(m):
            chain = graph.find_shortest_chain(importer=imported, imported=m)
            if chain:
                cycles.append(" -> ".join((m,) + tuple(chain)))
    assert not cycles, cycles[:5]
