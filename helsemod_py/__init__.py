"""helsemod_py: supply of and demand for health and care personnel per Norwegian municipality.

>>> import helsemod_py as hm
>>> ds = hm.load_dataset()                  # embedded Norway-like default (synthetic municipalities)
>>> res = hm.project(ds, end_year=2035)     # baseline projection
>>> res.aggregate("nation").gap.sel(year=2035, group="nurse").item() < 0
True
"""

from __future__ import annotations

__version__ = "0.1.0"

from .data.dataset import Dataset
from .errors import DatasetError, HelsemodError, ImportDataError, ScenarioError
from .model import DEFAULT_END_YEAR, MAX_END_YEAR, ModelInputs, build_inputs, project
from .results import Projection
from .scenario import Measure, Scenario


def load_dataset(path=None) -> Dataset:
    """Load a dataset folder, or the embedded default dataset when ``path`` is None.

    The default is Norway-like: national facts are real and cited, municipalities are
    synthetic (see ``Dataset.meta``). Raises :class:`DatasetError` listing every problem.
    """
    if path is None:
        from .data.default import default_dataset

        return default_dataset()
    return Dataset.load(path)


__all__ = ["Dataset", "Projection", "Scenario", "Measure", "ModelInputs", "load_dataset", "project", "build_inputs",
           "HelsemodError", "DatasetError", "ScenarioError", "ImportDataError", "DEFAULT_END_YEAR",
           "MAX_END_YEAR", "__version__"]
