"""YAML scenarios of Kompetanseløft 2025 measures: schema, loading, application.

The names below load on first use (PEP 562, as :mod:`helsemod_py` does): the schema is built with
pydantic, a tenth of a second that a run of the baseline, which reads no scenario file, never needs
(it takes only :data:`.hashing.BASELINE_HASH`).
"""

from .._lazy import lazy_getattr

_LAZY = {
    "Scenario": ".core",
    "region_mask": ".core",
    "Measure": ".schema",
    "Assumptions": ".schema",
    "ScenarioFile": ".schema",
    "LEVERS": ".schema",
    "FAMILIES": ".schema",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = ["Scenario", "Measure", "Assumptions", "ScenarioFile", "LEVERS", "FAMILIES", "region_mask"]
