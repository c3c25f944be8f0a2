"""The one entry point of the Python API, above the deterministic model and the ensemble.

``hm.project`` lives here rather than in :mod:`helsemod_py.model`, so the model never imports
the uncertainty machinery that is built on it (no import cycle).
"""

from __future__ import annotations

import numpy as np

from .errors import HelsemodError
from .model import project as project_deterministic


def project(dataset, scenario=None, end_year: int | None = None, *,
            external_population: np.ndarray | None = None, keep_stock: bool = False,
            draws: int | None = None, seed: int = 0, **ensemble_options):
    """Project population, personnel supply, demand and the gap for every region and year.

    Parameters
    ----------
    dataset : the base-year data (:func:`helsemod_py.load_dataset`).
    scenario : ``None`` for the baseline, a scenario file's path, or a :class:`~helsemod_py.Scenario`.
    end_year : last projected year (default: the scenario's, else 2035; at most 2050).
    external_population : persons ``[years, regions, sexes, ages]`` to drive demand instead
        of the cohort-component projection (e.g. SSB's main alternative MMMM).
    keep_stock : also return the supply stock by sex and age (``Projection.stock``).
    draws, seed : run ``draws`` Monte Carlo draws of the scenario's ``uncertainty`` entries
        instead (seeded by ``seed``); further keyword arguments go to
        :func:`helsemod_py.uncertainty.project_ensemble` (``quantiles``, ``noise``, ``keep_draws``,
        ``scheduler``, …).

    Returns
    -------
    Projection : labelled results (``population``, ``supply_fte``, ``demand_fte``, ``gap``, …)
        in persons and FTE, aggregable to county and nation (:func:`helsemod_py.model.project`);
        with ``draws``, an :class:`~helsemod_py.uncertainty.Ensemble` of quantiles.
    """
    if draws is None:
        if ensemble_options:
            raise TypeError(f"project() got option(s) {', '.join(sorted(ensemble_options))} that need draws")
        return project_deterministic(dataset, scenario, end_year, external_population=external_population,
                                     keep_stock=keep_stock)
    if external_population is not None or keep_stock:
        raise HelsemodError("draws: external_population and keep_stock apply to a single projection "
                            "(give an external population to an ensemble through the scenario's assumptions)")
    from .uncertainty import project_ensemble  # the ensemble's imports load only when draws are asked for

    return project_ensemble(dataset, scenario, draws=draws, seed=seed, end_year=end_year, **ensemble_options)
