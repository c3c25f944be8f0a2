"""Pure array kernels (numba) and their plain-numpy reference: no pandas, no I/O."""

from .demand import project_demand
from .population import POP_FLOWS, project_population
from .sectors import by_sector
from .supply import FLOW_SIGNS, SUPPLY_FLOWS, SUPPLY_TOTALS, project_supply

__all__ = ["project_population", "project_supply", "project_demand", "POP_FLOWS", "SUPPLY_FLOWS",
           "SUPPLY_TOTALS", "FLOW_SIGNS", "by_sector"]
