"""Supply and demand by sector of work: plain array arithmetic (no numba needed).

For year t, region r, sector q and group g::

    supply[t, r, q, g] = fte[t, r, g] * sector_share[t, r, q, g]
    demand[t, r, q, g] = sum over services k of sector q of demand_fte[t, r, k, g]
    gap                = supply - demand

``sector_share`` sums to 1 over sectors, so supply summed over sectors is the pool's FTE in
health care and the gap summed over sectors is the total gap.
"""

from __future__ import annotations

import numpy as np


def by_sector(fte, sector_share, demand_fte, service_sector, n_sectors: int) -> tuple[np.ndarray, np.ndarray]:
    """``(supply, demand)`` FTE [T+1, R, Q, G] from the pool's FTE ``fte`` [T+1, R, G], the shares
    ``sector_share`` (broadcastable to [T+1, R, Q, G]), demand by service ``demand_fte``
    [T+1, R, K, G] and the sector of each service ``service_sector`` [K] (int)."""
    return supply_by_sector(fte, sector_share, n_sectors), demand_by_sector(demand_fte, service_sector, n_sectors)


def supply_by_sector(fte, sector_share, n_sectors: int) -> np.ndarray:
    """Supply FTE [T+1, R, Q, G] of :func:`by_sector`."""
    fte = np.asarray(fte, dtype=np.float64)
    shape = fte.shape[:2] + (n_sectors, fte.shape[2])
    return fte[:, :, None, :] * np.broadcast_to(sector_share, shape)


def demand_by_sector(demand_fte, service_sector, n_sectors: int) -> np.ndarray:
    """Demand FTE [T+1, R, Q, G] of :func:`by_sector`."""
    demand_fte = np.asarray(demand_fte, dtype=np.float64)
    demand = np.zeros(demand_fte.shape[:2] + (n_sectors, demand_fte.shape[3]))
    np.add.at(demand, (slice(None), slice(None), np.asarray(service_sector)), demand_fte)
    return demand
