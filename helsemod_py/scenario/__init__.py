"""YAML scenarios of Kompetanseløft 2025 measures: schema, loading, application."""

from .core import Scenario, region_mask
from .schema import FAMILIES, LEVERS, Assumptions, Measure, ScenarioFile

__all__ = ["Scenario", "Measure", "Assumptions", "ScenarioFile", "LEVERS", "FAMILIES", "region_mask"]
