"""helsemod_py: supply of and demand for health and care personnel per Norwegian municipality.

>>> import helsemod_py as hm
>>> ds = hm.load_dataset()                  # embedded Norway-like default (synthetic municipalities)
>>> res = hm.project(ds, end_year=2035)     # baseline projection
>>> res.aggregate("nation").gap.sel(year=2035, group="nurse").item() < 0
True
"""

from __future__ import annotations

from ._version import __version__  # noqa: F401

from ._lazy import lazy_getattr
from .errors import DatasetError, HelsemodError, ImportDataError, ScenarioError

# The rest loads on first use (PEP 562), so `helsemod --help` and `--version` start fast.
_LAZY = {
    "Dataset": ".data.dataset",
    "DEFAULT_END_YEAR": ".model",
    "MAX_END_YEAR": ".model",
    "ModelInputs": ".model",
    "build_inputs": ".model",
    "project": ".api",
    "Projection": ".results",
    "Measure": ".scenario",
    "Scenario": ".scenario",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


def load_dataset(path=None):
    """Load a dataset folder, or the embedded default dataset when ``path`` is None.

    The default is Norway-like: national facts are real and cited, municipalities are
    synthetic (see ``Dataset.meta``). Raises :class:`DatasetError` listing every problem.
    Returns a :class:`~helsemod_py.data.dataset.Dataset`.
    """
    if path is None:
        from .data.default import default_dataset

        return default_dataset()
    from .data.dataset import Dataset

    return Dataset.load(path)


__all__ = ["Dataset", "Projection", "Scenario", "Measure", "ModelInputs", "load_dataset", "project", "build_inputs",
           "HelsemodError", "DatasetError", "ScenarioError", "ImportDataError", "DEFAULT_END_YEAR",
           "MAX_END_YEAR", "__version__"]
