"""The dataset's parameters: one registry of names, dimensions, units and valid ranges.

Loader, validator, default builder, model and documentation all read this table, so a
parameter's unit and range are stated once. Units follow the OpenFisca habit of explicit
strings: ``persons``, ``FTE``, ``/1`` (a share or probability), ``/1 per year`` (a rate),
``persons per year``, ``FTE per person``, ``users per person``, ``births per woman per year``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import dims as D


@dataclass(frozen=True)
class ParamSpec:
    """Metadata of one dataset parameter.

    ``dims`` is the full dimension tuple; a file may omit any dimension except those in
    ``required_dims`` and is then broadcast along it (a national value for all regions).
    ``age`` is ``"population"`` (0..105+) or ``"work"`` (16..74) where ``age`` is a dim.
    ``sums_to_one`` names the dims over which the values must sum to 1. ``default``: a value
    for every cell where a dataset leaves the parameter out (a folder written before the
    parameter existed); ``None`` means the parameter is required.
    """

    name: str
    dims: tuple[str, ...]
    unit: str
    lo: float
    hi: float
    part: str
    description: str
    age: str = "population"
    required_dims: tuple[str, ...] = ()
    sums_to_one: tuple[str, ...] = ()
    default: float | None = None  #: value of every cell where a dataset leaves the parameter out


_P, _S, _DM = "population", "supply", "demand"
R, S, A, G, K, T, Q = D.REGION, D.SEX, D.AGE, D.GROUP, D.SERVICE, D.TRANSITION, D.SECTOR

PARAMETERS: dict[str, ParamSpec] = {
    p.name: p
    for p in (
        # --- population ----------------------------------------------------------------
        ParamSpec("population", (R, S, A), "persons", 0, 1e8, _P,
                  "Resident population on 1 January of the base year.", required_dims=(R, S, A)),
        ParamSpec("fertility", (R, A), "births per woman per year", 0, 0.5, _P,
                  "Births during the year per woman by her age on 1 January (zero outside 15-49)."),
        ParamSpec("mortality", (R, S, A), "/1 per year", 0, 1, _P,
                  "Probability of dying before next 1 January, by age on 1 January (base year)."),
        ParamSpec("mortality_decline", (R, S, A), "/1 per year", -0.05, 0.1, _P,
                  "Yearly rate at which death probabilities fall under the trend assumption: the step "
                  "t years after the base year has mortality × exp(−decline × t). 0 = constant.",
                  default=0.0),
        ParamSpec("fertility_trend", (R,), "/1 per year", -0.1, 0.1, _P,
                  "Change of log fertility from the base year to the next under the trend assumption; "
                  "each further year's change is the previous one × fertility_damping. 0 = constant.",
                  default=0.0),
        ParamSpec("net_migration", (R, S, A), "/1 per year", -0.9, 2.0, _P,
                  "Net migration (in - out, internal and international) per surviving resident "
                  "by age on 1 January; newborns' migration is part of effective fertility."),
        # --- supply --------------------------------------------------------------------
        ParamSpec("stock", (R, G, S, A), "persons", 0, 1e7, _S,
                  "Persons aged 16-74 with the education of the group, living in the region, "
                  "employed or not, on 1 January of the base year.", age="work",
                  required_dims=(R, G, S, A)),
        ParamSpec("exit_rate", (R, G, S, A), "/1 per year", 0, 1, _S,
                  "Probability of leaving the group's labour force for good (retirement, "
                  "disability, emigration beyond net migration), among survivors.", age="work"),
        ParamSpec("transition_rate", (R, T, S, A), "/1 per year", 0, 1, _S,
                  "Share of a group's stayers who move to another group (further education, "
                  "trade certificate, specialisation) during the year.", age="work"),
        ParamSpec("migration_between_counties", (R, S, A), "/1 per year", -0.9, 2.0, _S,
                  "Net migration rate of the municipality's county less the nation's, by sex and age (the "
                  "population's, weighted by population): the workforce's moves between labour markets "
                  "(times workforce_migration_factor).", age="work"),
        ParamSpec("migration_within_county", (R, S, A), "/1 per year", -0.9, 2.0, _S,
                  "Net migration rate of the municipality less its county's, by sex and age: the "
                  "workforce's moves within the county (times workforce_local_migration_factor).", age="work"),
        ParamSpec("graduates", (G,), "persons per year", 0, 1e6, _S,
                  "New graduates (for unskilled: new recruits) entering the national stock "
                  "each year."),
        ParamSpec("graduate_age_dist", (G, S, A), "/1", 0, 1, _S,
                  "Distribution of graduates by sex and age on the next 1 January.", age="work",
                  sums_to_one=(S, A)),
        ParamSpec("graduate_region_share", (R, G), "/1", 0, 1, _S,
                  "Share of each group's graduates who settle in the region.", sums_to_one=(R,)),
        ParamSpec("immigrants", (G,), "persons per year", 0, 1e6, _S,
                  "Immigrants with a recognised education of the group entering each year "
                  "(beyond what the population's net migration carries)."),
        ParamSpec("immigrant_age_dist", (G, S, A), "/1", 0, 1, _S,
                  "Distribution of immigrant entrants by sex and age.", age="work",
                  sums_to_one=(S, A)),
        ParamSpec("immigrant_region_share", (R, G), "/1", 0, 1, _S,
                  "Share of each group's immigrant entrants who settle in the region.",
                  sums_to_one=(R,)),
        ParamSpec("participation", (R, G, S, A), "/1", 0, 1, _S,
                  "Share of the stock that is employed.", age="work"),
        ParamSpec("share_in_health_care", (R, G, S, A), "/1", 0, 1, _S,
                  "Share of the employed who work in the health and care services modelled.",
                  age="work"),
        ParamSpec("sector_share", (R, Q, G), "/1", 0, 1, _S,
                  "Share of the group's health-care FTE working in each sector (care: KOSTRA's municipal "
                  "care services; primary: other municipal and county health services; specialist: "
                  "hospital trusts), by municipality of the labour pool.", sums_to_one=(Q,)),
        ParamSpec("supply_source", (R, Q, G), "code", 0, 2, _S,
                  "Provenance of the base-year FTE behind stock and sector_share: 0 synthetic, 1 estimated "
                  "by a documented rule, 2 measured (e.g. KOSTRA nurse FTE in municipal care)."),
        ParamSpec("avg_fte", (R, G, S, A), "FTE per person", 0, 1.2, _S,
                  "Average agreed position including extra hours (1 FTE = 37.5 h/week).",
                  age="work"),
        ParamSpec("sick_leave", (R, G), "/1", 0, 0.5, _S,
                  "Share of agreed working time lost to sick leave."),
        # --- demand --------------------------------------------------------------------
        ParamSpec("user_rate", (R, K, S, A), "users per person", 0, 1, _DM,
                  "Users (or contacts) of the service per inhabitant by sex and age; only its "
                  "relative change drives demand."),
        ParamSpec("base_demand_fte", (R, K, G), "FTE", 0, 1e6, _DM,
                  "FTE demanded in the base year: filled positions plus vacancies.",
                  required_dims=(R, K, G)),
        ParamSpec("standard_growth", (K,), "/1 per year", -0.05, 0.05, _DM,
                  "Yearly growth in FTE per user (SSB's standard change)."),
        ParamSpec("coverage_trend", (R, K, A), "/1 per year", -0.2, 0.2, _DM,
                  "Yearly relative change of users per inhabitant of each age (log scale), the same "
                  "for both sexes; applied damped, constant or not at all (scenario assumption "
                  "coverage_trend). 0 where no trend was estimated.", default=0.0),
    )
}

#: Years any imported table may hold (a code outside is not a year: checked before any year range
#: is built, so a file cannot ask for a table of thirty million years).
YEARS = (1800, 2200)

#: Scalars stored in the dataset's metadata file.
SCALARS: dict[str, tuple[str, float, float, str]] = {
    "sex_ratio_at_birth": ("boys per girl", 0.9, 1.2, "Boys born per girl born."),
    "workforce_migration_factor": ("/1", 0.0, 3.0,
                                   "Multiplier on the net migration between counties (the county's "
                                   "population net migration rate less the nation's, by sex and age) "
                                   "applied to the workforce stock."),
    "workforce_local_migration_factor": ("/1", 0.0, 3.0,
                                         "Multiplier on the net migration within the county (the "
                                         "municipality's rate less its county's) applied to the workforce."),
    "fertility_damping": ("/1", 0.0, 1.0,
                          "Share of a year's fertility trend (change of log fertility) kept the next "
                          "year: 1 = a straight trend, 0 = one year of change."),
}
#: Value of a scalar a dataset leaves out (older dataset folders).
SCALAR_DEFAULTS: dict[str, float] = {"fertility_damping": 0.5}


def coords(spec: ParamSpec, dim: str, region_codes) -> tuple:
    """Labels along ``dim`` for parameter ``spec`` (ages depend on the parameter)."""
    if dim == D.REGION:
        return tuple(region_codes)
    if dim == D.AGE:
        return tuple(int(a) for a in (D.WORK_AGES if spec.age == "work" else D.AGES))
    return D.coords_for(dim)


def shape(spec: ParamSpec, region_codes) -> tuple[int, ...]:
    """Full array shape of a parameter for the given regions."""
    return tuple(len(coords(spec, d, region_codes)) for d in spec.dims)
