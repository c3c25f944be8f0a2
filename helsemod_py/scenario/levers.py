"""The levers: every model parameter a measure can change or a draw can vary (:data:`LEVERS`), its
dimensions, units, range and how a draw of it reaches the ensemble kernel; the families of
measures (:data:`FAMILIES`). Validated against in :mod:`.schema`."""

from __future__ import annotations

from dataclasses import dataclass

from .. import dims as D
from ..data.schema import PARAMETERS

@dataclass(frozen=True)
class Lever:
    """A parameter a measure can change: the ModelInputs field, its dims and units."""

    field: str
    dims: tuple[str, ...]  # after the leading time axis
    unit: str  # unit of add/set values
    operations: tuple[str, ...]
    lo: float
    hi: float
    steps: bool  # time axis is steps (flows) rather than years (stocks)
    description: str
    paid: bool = True  # FTE it adds to supply are paid for (wage costs); False: lower sick leave, demand levers
    draw: str | None = None  # how an uncertainty entry's factor reaches the kernels (DRAW_KINDS); None: not drawn

    @property
    def measurable(self) -> bool:
        """A measure can change it (it has operations); the others are drawn only."""
        return bool(self.operations)

    @property
    def drawn_per(self) -> tuple[str, ...]:
        """The target keys an uncertainty entry on this lever is drawn per."""
        return DRAW_KINDS[self.draw][0]

    @property
    def draw_unit(self) -> str:
        """Unit of a draw: a factor (``/1``), or a yearly rate for the standard growth."""
        return DRAW_KINDS[self.draw][1]


#: How a drawn factor reaches the ensemble kernel, with the target keys it is drawn per and the
#: unit of its draws: ``group`` -> the supply kernel's factor ``FACTORS.index(name)`` per region
#: and group; ``transition`` -> per transition; ``service`` -> demand's FTE per user per service;
#: ``growth`` -> demand's standard growth rate per service; ``migration`` -> net migration per region.
DRAW_KINDS = {
    "group": (("regions", "groups"), "/1"),
    "transition": (("regions", "transitions"), "/1"),
    "service": (("regions", "services"), "/1"),
    "growth": (("regions", "services"), "/1 per year"),
    "migration": (("regions",), "/1"),
}


_R, _G, _S, _A, _K, _T = D.REGION, D.GROUP, D.SEX, D.AGE, D.SERVICE, D.TRANSITION
_MIG = PARAMETERS["net_migration"]
_ALL = ("multiply", "add", "set")
#: Upper bounds of the open-ended levers: the range rule is one for measures and draws and is
#: checked after they apply. Persons (or FTE) a year in one cell: the dataset schema's limit on
#: graduates, immigrants and base-year demand. A factor relative to the baseline path (FTE per
#: user, staff mix): far beyond any measure, and finite, so every result stays a finite number.
FLOW_MAX = 1e6
RATIO_MAX = 100.0

LEVERS: dict[str, Lever] = {
    "avg_fte": Lever("avg_fte", (_R, _G, _S, "work_age"), "FTE per person", _ALL, 0, 1.2, False,
                     "Average position incl. extra hours (full-time culture, TØRN).", draw="group"),
    "sick_leave": Lever("sick_leave", (_R, _G), "/1", _ALL, 0, 0.5, False, "Share of time lost to sick leave.",
                        paid=False, draw="group"),
    "exit_rate": Lever("exit_rate", (_R, _G, _S, "work_age"), "/1 per year", _ALL, 0, 1, True,
                       "Yearly probability of leaving the labour force for good (retention).", draw="group"),
    "participation": Lever("participation", (_R, _G, _S, "work_age"), "/1", _ALL, 0, 1, False,
                           "Share of the stock that is employed.", draw="group"),
    "share_in_health_care": Lever("share_in_health_care", (_R, _G, _S, "work_age"), "/1", _ALL, 0, 1, False,
                                  "Share of the employed working in health and care.", draw="group"),
    "transition_rate": Lever("transition_rate", (_R, _T, _S, "work_age"), "/1 per year", _ALL, 0, 1, True,
                             "Yearly share moving between groups (trade certificates, further education).",
                             draw="transition"),
    "graduates": Lever("graduates", (_R, _G), "persons per year", _ALL, 0, FLOW_MAX, True,
                       "Graduates entering each year (education capacity); add/set are national totals "
                       "spread over the targeted regions by the graduates' regional shares.", draw="group"),
    "immigrants": Lever("immigrants", (_R, _G), "persons per year", _ALL, 0, FLOW_MAX, True,
                        "Immigrant entrants each year; add/set are national totals spread like graduates.",
                        draw="group"),
    "recruits": Lever("recruits", (_R, _G, _S, "work_age"), "persons per year", ("add",), 0, FLOW_MAX, True,
                      "Extra entrants of the targeted sexes and ages (Menn i helse, qualification of "
                      "immigrants, district recruitment), spread like graduates."),
    "fte_per_user": Lever("intensity", (_R, _K), "/1", ("multiply",), 0, RATIO_MAX, False,
                          "FTE per user relative to the baseline path (productivity, welfare technology).",
                          draw="service"),
    "user_rate": Lever("user_rate", (_R, _K, _S, _A), "/1", ("multiply",), 0, 1, False,
                       "Users per inhabitant (prevention, reablement)."),
    "staff_mix": Lever("staff_mix", (_R, _K, _G), "/1", ("multiply",), 0, RATIO_MAX, False,
                       "FTE per user of a group within a service."),
    "task_shift": Lever("staff_mix", (_R, _K, _G), "/1", ("shift",), 0, 1, False,
                        "Move a share of a group's FTE per user in a service to another group."),
    "vacancies": Lever("base_demand_fte", (_R, _K, _G), "FTE", ("add",), 0, FLOW_MAX, False,
                       "Unmet base-year demand (vacancies) added for the targeted groups, spread over "
                       "services and regions like base demand; no time path."),
    # drawn only (no measure changes them): the range of net migration is the dataset schema's
    "standard_growth": Lever("intensity", (_R, _K), "/1 per year", (), -0.05, 0.05, False,  # GROWTH_RANGE
                             "Yearly growth of FTE per user beyond demography (an assumption).", paid=False,
                             draw="growth"),
    "net_migration": Lever("net_migration", (_R, _S, _A), _MIG.unit, (), _MIG.lo, _MIG.hi, True,
                           "Net migration rates of the population and the workforce of a region.", paid=False,
                           draw="migration"),
}
#: The levers a measure can change (``parameter`` of a measure).
MEASURE_LEVERS = {name: lever for name, lever in LEVERS.items() if lever.measurable}

FAMILIES = (
    "full_time", "sick_leave", "retention", "men_in_health", "trade_certificate", "immigrant_qualification",
    "aks", "education_capacity", "welfare_technology", "psychologists", "gp_recruitment", "leadership",
    "competence_grant", "other",
)


def _target_keys(lever: Lever) -> tuple[str, ...]:
    m = {_R: "regions", _G: "groups", _S: "sexes", _A: "ages", "work_age": "ages", _K: "services",
         _T: "transitions"}
    return tuple(m[d] for d in lever.dims)
