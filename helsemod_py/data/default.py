"""The embedded default dataset: Norway-like, built from the cited facts in ``default_facts.yaml``
and, for each personnel group, in its entry of the registry ``helsemod_py/groups.yaml``.

What is real and what is synthetic:

- real (published, cited): national population, county structure and rounded county
  populations, life expectancy, fertility, and every national personnel fact (employment,
  part-time, sick leave, age, pipeline, vacancies) listed in the facts file;
- synthetic: the 357 municipalities (codes ``K<county><nn>``, names, sizes from a rank-size
  rule, age profiles tilted older for small ones), regional migration, the national age
  pyramid (from stylised birth cohorts and the life table), user-rate age profiles, and the
  regional spread of personnel (in proportion to each region's base-year demand).

The build is deterministic and takes well under a second; :func:`default_dataset` caches it.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources

import numpy as np
import yaml
from scipy.optimize import brentq, root

from .. import dims as D
from ..errors import RegistryError
from ..groups import registry
from .dataset import Dataset
from .demography import fertility_schedule, life_expectancy, mortality_for_life_expectancy
from .regional import Measured, NationalSupply, migration_components, regional_supply
from .trends import FERTILITY_DAMPING
from .trusts import catchment

FACTS_FILE = "default_facts.yaml"


#: What the facts take from the registry of groups (``helsemod_py/groups.yaml``): section -> key.
FROM_REGISTRY = {"groups": None, "group_units": None, "transitions": "values", "vacancies": "values",
                 "services": "shares"}


def load_facts() -> dict:
    """The facts and assumptions behind the default dataset (parsed YAML), with each group's
    facts, units, vacancies and service shares and the transitions' flows from the registry of
    groups (:mod:`helsemod_py.groups`): ``groups``, ``group_units``, ``vacancies.values``,
    ``services.shares`` and ``transitions.values``, as if they were written in the facts file."""
    text = resources.files(__package__).joinpath(FACTS_FILE).read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when present
    reg = registry()
    here = [f"{k}.{sub}" if sub else k for k, sub in FROM_REGISTRY.items()
            if (k in raw if sub is None else sub in raw.get(k, {}))]
    if here:  # a developer error: a group's facts belong to its entry of groups.yaml
        raise RegistryError(f"{FACTS_FILE}: {', '.join(here)}: each group's facts are in its entry of "
                            f"helsemod_py/{reg.file} (the transitions' flows under transitions), not here")
    groups = copy.deepcopy({g.code: g.facts for g in reg.groups})
    out = {}
    for key, value in raw.items():
        out[key] = value
        if key == "population":  # where the groups' facts were written in the facts file
            out["groups"], out["group_units"] = groups, dict(reg.fact_units)
    out["transitions"] = {**raw["transitions"],
                          "values": copy.deepcopy({f"{t.source}>{t.target}": t.flow for t in reg.transitions})}
    out["vacancies"] = {**raw["vacancies"], "values": {g.code: g.vacancies for g in reg.groups
                                                       if g.vacancies is not None}}
    out["services"] = {**raw["services"], "shares": {g.code: list(g.service_shares) for g in reg.groups}}
    return out


def _bands(bands, ages) -> np.ndarray:
    """Values by age from ``[[first, last, value], ...]`` bands (0 outside them)."""
    out = np.zeros(len(ages))
    for lo, hi, val in bands:
        out[(ages >= lo) & (ages <= hi)] = val
    return out


# --- regions and population -------------------------------------------------------------
def _municipalities(facts) -> tuple[D.Regions, np.ndarray]:
    """Synthetic municipalities per county and their populations (persons)."""
    cf = facts["counties"]["values"]
    exponent = facts["municipality_sizes"]["rank_size_exponent"]["value"]
    minimum = facts["municipality_sizes"]["min_population"]["value"]
    nation = facts["national_population"]["value"]
    total = sum(v[2] for v in cf.values())
    codes, names, counties, sizes = [], [], [], []
    for county, (cname, n_mun, cpop) in cf.items():
        cpop = cpop * nation / total
        weights = 1.0 / np.arange(1, n_mun + 1) ** exponent
        pops = minimum + (cpop - minimum * n_mun) * weights / weights.sum()
        for i in range(n_mun):
            codes.append(f"K{county}{i + 1:02d}")
            names.append(cname if n_mun == 1 else f"{cname} {i + 1:02d} (synthetic)")
            counties.append(county)
            sizes.append(pops[i])
    regions = D.Regions(tuple(codes), tuple(names), tuple(counties), {c: v[0] for c, v in cf.items()})
    sizes = np.array(sizes)
    return regions, sizes * nation / sizes.sum()


def _life_tables(facts, slope: float | None = None) -> np.ndarray:
    """Gompertz-Makeham death probabilities [S, A] with the published life expectancies; the
    Gompertz slope (default) gives the base-year population the published number of deaths."""
    pf = facts["population"]
    if slope is None:
        slope = _gompertz_slope(facts)
    return np.stack([mortality_for_life_expectancy(pf["life_expectancy_male"]["value"], slope=slope),
                     mortality_for_life_expectancy(pf["life_expectancy_female"]["value"], slope=slope)])


def _gompertz_slope(facts) -> float:
    """Slope (per year of age) at which the base-year pyramid has ``deaths_last_year`` deaths."""
    target = facts["population"]["deaths_last_year"]["value"]

    def excess(slope):
        q = _life_tables(facts, slope)
        return (_national_pyramid(facts, q) * q).sum() - target

    return brentq(excess, 0.08, 0.16, xtol=1e-7)


def _mortality_decline(facts, q) -> np.ndarray:
    """Yearly rates of decline [S, A] (/1 per year) giving the published yearly gains in life
    expectancy: ``d_s`` up to age 80, falling linearly to ``oldest_share · d_s`` at 100+."""
    mi = facts["population"]["mortality_improvement"]
    low = mi["oldest_share"]["value"]
    shape = 1.0 - (1.0 - low) * np.clip((D.AGES - 80.0) / 20.0, 0.0, 1.0)
    out = np.empty_like(q)
    for s, gain in enumerate(mi["life_expectancy_gain"]["value"]):
        e0 = life_expectancy(q[s])
        rate = brentq(lambda d: life_expectancy(q[s] * np.exp(-d * shape)) - e0 - gain, 0.0, 0.2, xtol=1e-10)
        out[s] = rate * shape
    return out


def _national_pyramid(facts, q) -> np.ndarray:
    """Persons [S, A] on 1 Jan of the base year from birth cohorts, survival and immigrants."""
    base = facts["base_year"]
    pf = facts["population"]
    births = np.zeros(len(D.AGES))
    for first, last, n in pf["births_by_cohort"]["values"]:
        for y in range(first, last + 1):
            a = base - 1 - y
            if 0 <= a <= D.MAX_AGE:
                births[a] = n
    births[-1] = births[-1] * 3  # the open group 105+ holds several cohorts (tiny anyway)
    sr = pf["sex_ratio_at_birth"]["value"]
    shares = np.array([sr / (1 + sr), 1 / (1 + sr)])
    alive = np.concatenate([np.ones((2, 1)), np.cumprod(1 - q[:, :-1], axis=1)], axis=1)
    pyr = births[None, :] * shares[:, None] * alive
    imm = pf["immigrant_share_by_age"]["value"]
    boost = 1 + imm / (1 - imm) * np.exp(-0.5 * ((D.AGES - 38) / 13.0) ** 2)
    pyr = pyr * boost[None, :]
    # period survival overstates old cohorts' survival: fit the published numbers aged 67+, 80+
    # and 90+ by a smooth tilt, log-linear in age from 60 with a change of slope at 80 and at 90
    total = facts["national_population"]["value"]
    targets = np.array([pf[k]["value"] for k in ("aged_67plus", "aged_80plus", "aged_90plus")]) / total
    ages = D.AGES.astype(float)
    knots = np.stack([np.clip(ages - 60.0, 0.0, 20.0), np.clip(ages - 80.0, 0.0, 10.0), np.maximum(ages - 90.0, 0.0)])

    def shares(slopes):
        tilted = pyr.sum(axis=0) * np.exp(-slopes @ knots)
        return np.array([tilted[D.AGES >= lo].sum() for lo in (67, 80, 90)]) / tilted.sum()

    fit = root(lambda b: np.log(shares(b) / targets), np.zeros(3), tol=1e-13)
    if not fit.success:  # pragma: no cover - the facts are far from any tilt
        raise ValueError(f"default_facts.yaml: population: cannot fit the numbers aged 67+, 80+, 90+ ({fit.message})")
    pyr = pyr * np.exp(-fit.x @ knots)[None, :]
    return pyr * total / pyr.sum()


def _municipal_population(national, sizes, tilt) -> np.ndarray:
    """Persons [R, S, A]: national pyramid spread over municipalities, small ones older.

    Iterative proportional fitting keeps municipal totals (``sizes``) and national
    sex-age totals exact.
    """
    rel = np.log(sizes / sizes.max())  # 0 for the largest, negative for small ones
    rel = rel / np.abs(rel).max()
    age_effect = np.clip((D.AGES - 40.0) / 40.0, -1.0, 1.0)
    weight = np.exp(-tilt * rel[:, None] * age_effect[None, :])  # small (rel<0) -> older
    pop = sizes[:, None, None] * weight[:, None, :] * national[None] / national.sum()
    for _ in range(50):
        pop *= (national / np.maximum(pop.sum(axis=0), 1e-12))[None]
        pop *= (sizes / pop.sum(axis=(1, 2)))[:, None, None]
    return pop


def _net_migration(facts, population, sizes, regions) -> np.ndarray:
    """Net migration rate [R, S, A]: national immigration plus synthetic urbanisation."""
    pf = facts["population"]
    national = population.sum(axis=0)
    dens = np.exp(-0.5 * ((D.AGES - 27.0) / 8.0) ** 2) + 0.25 * np.exp(-0.5 * ((D.AGES - 5.0) / 4.0) ** 2)
    migrants = pf["net_international_migration"]["value"] * dens / dens.sum()
    rate_nat = np.divide(0.5 * migrants[None, :], national, out=np.zeros_like(national), where=national > 0)
    z = np.log(sizes)
    cidx = regions.county_index()
    for c in range(len(regions.counties)):
        m = cidx == c
        z[m] = z[m] - np.average(z[m], weights=sizes[m])
    z = z / max(np.abs(z).max(), 1e-12)
    young = ((D.AGES >= 18) & (D.AGES <= 34)).astype(float)
    urban = pf["internal_urbanisation"]["value"] * z[:, None] * young[None, :]
    # remove the population-weighted mean so internal moves net to about zero nationally
    w = population.sum(axis=1)
    urban = urban - (urban * w).sum(axis=0) / w.sum(axis=0)
    return np.clip(rate_nat[None, :, :] + urban[:, None, :], -0.9, 2.0)


def _user_rates(facts) -> np.ndarray:
    """Users per person [K, S, A] (national profiles)."""
    ur = facts["user_rates"]
    out = np.zeros((len(D.SERVICES), 2, len(D.AGES)))
    for k, srv in enumerate(D.SERVICES):
        base = _bands(ur["bands"][srv], D.AGES)
        out[k, 0] = base
        out[k, 1] = np.minimum(base * ur["female_factor"][srv], 1.0)
    return out


# --- supply -----------------------------------------------------------------------------
def _entry_dist(mean_age: float, female: float, wide: bool) -> np.ndarray:
    """Entrants by sex and working age [S, Aw] (sums to 1)."""
    sd = 9.0 if wide else 4.0
    a = D.WORK_AGES.astype(float)
    dens = np.exp(-0.5 * ((a - mean_age) / sd) ** 2) * (a >= 18)
    dens /= dens.sum()
    return np.stack([(1 - female) * dens, female * dens])


def _steady_profile(entry, survive, growth) -> np.ndarray:
    """Stock by sex and age [S, Aw] of a group fed by ``entry`` growing at ``growth`` a year."""
    n_age = entry.shape[1]
    stock = np.zeros_like(entry)
    for a in range(n_age):
        carried = stock[:, a - 1] * survive[:, a - 1] / (1 + growth) if a > 0 else 0.0
        stock[:, a] = carried + entry[:, a]
    return stock


def _group_stock(entry, survive, participation, share_55plus, employed) -> np.ndarray:
    """National stock [S, Aw] with the given employed total and share 55+ of the employed."""
    old = D.WORK_AGES >= 55

    def share(growth):
        emp = _steady_profile(entry, survive, growth) * participation[None, :]
        return emp[:, old].sum() / emp.sum()

    lo, hi = -0.3, 0.3
    target = np.clip(share_55plus, share(hi) + 1e-9, share(lo) - 1e-9)
    growth = brentq(lambda g: share(g) - target, lo, hi)
    stock = _steady_profile(entry, survive, growth)
    return stock * employed / (stock * participation[None, :]).sum()


def build_default_dataset() -> Dataset:
    """Build the embedded Norway-like default dataset from ``default_facts.yaml``."""
    facts = load_facts()
    regions, sizes = _municipalities(facts)
    n_reg = len(regions)
    pf = facts["population"]
    q = _life_tables(facts)
    national = _national_pyramid(facts, q)
    population = _municipal_population(national, sizes, facts["municipality_sizes"]["ageing_tilt"]["value"])
    fertility = fertility_schedule(pf["total_fertility"]["value"], pf["mean_age_at_birth"]["value"])
    part = {
        "population": population,
        "fertility": np.broadcast_to(fertility, (n_reg, len(D.AGES))),
        "fertility_trend": np.full(n_reg, pf["fertility_trend"]["value"]),
        "mortality": np.broadcast_to(q, (n_reg, 2, len(D.AGES))),
        "mortality_decline": np.broadcast_to(_mortality_decline(facts, q), (n_reg, 2, len(D.AGES))),
        "net_migration": _net_migration(facts, population, sizes, regions),
    }
    return dataset_from_population(regions, part, int(facts["base_year"]), name="helsemod-default",
                                   version=str(facts["version"]), meta=_metadata(facts), facts=facts,
                                   synthetic_regions=True)


def national_supply(facts: dict) -> NationalSupply:
    """Each group's national stock, rates and service shares from ``default_facts.yaml``."""
    q = _life_tables(facts)
    w0, w1 = D.WORK_AGE_MIN, D.WORK_AGE_MAX + 1
    ages = D.WORK_AGES
    exits_base = _bands(facts["exits"]["bands"], ages)
    part_base = _bands(facts["participation"]["bands"], ages)
    fte_profile = _bands([[16, 24, 0.85], [25, 59, 1.0], [60, 66, 0.92], [67, 74, 0.7]], ages)
    n_grp = len(D.GROUPS)
    out = {k: np.zeros((n_grp, 2, len(ages))) for k in ("stock", "exit_rate", "participation", "avg_fte", "entry_dist")}
    out.update({k: np.zeros(n_grp) for k in ("share_hc", "sick_leave", "graduates", "immigrants")})
    for g, code in enumerate(D.GROUPS):
        f = {k: v["value"] for k, v in facts["groups"][code].items()}
        unskilled = code == "unskilled"
        ex = np.maximum(exits_base, facts["exits"]["unskilled_turnover"]["value"]) if unskilled else exits_base
        ex = np.minimum(ex + f.get("extra_exit", 0.0), 1.0)
        part = np.ones(len(ages)) if unskilled else part_base
        out["exit_rate"][g] = ex[None, :]
        out["participation"][g] = part[None, :]
        out["entry_dist"][g] = _entry_dist(f["entry_age"], f["female"], wide=code in ("unskilled", "health_worker"))
        survive = (1 - q[:, w0:w1]) * (1 - ex[None, :])
        out["stock"][g] = _group_stock(out["entry_dist"][g], survive, part, f["share_55plus"], f["employed"])
        emp = out["stock"][g] * part[None, :]
        level = f["avg_fte"] / ((emp * fte_profile[None, :]).sum() / emp.sum())
        out["avg_fte"][g] = np.minimum(level * fte_profile, 1.2)[None, :]
        out["graduates"][g], out["immigrants"][g] = f["graduates"], f["immigrants"]
        out["share_hc"][g], out["sick_leave"][g] = f["hc_share"], f["sick_leave"]
    vac = facts["vacancies"]["values"]
    return NationalSupply(**out, vacancies=np.array([float(vac.get(g, 0.0)) for g in D.GROUPS]),
                          service_shares=np.array([facts["services"]["shares"][g] for g in D.GROUPS], dtype=float))


def _transition_rates(facts, stock_nat) -> np.ndarray:
    """Transition rates [K, S, Aw]: the base-year flows of the facts spread evenly over source ages."""
    tf = facts["transitions"]
    t_lo, t_hi = tf["ages"]
    ages = D.WORK_AGES
    t_mask = (ages >= t_lo) & (ages <= t_hi)
    src, _ = D.transition_index()
    trans = np.zeros((len(D.TRANSITIONS), 2, len(ages)))
    for k, transition in enumerate(D.TRANSITIONS):
        trans[k][:, t_mask] = tf["values"][transition]["value"] / stock_nat[src[k]][:, t_mask].sum()
    return trans


def supply_arrays(regions: D.Regions, population: np.ndarray, user_rate: np.ndarray, facts: dict,
                  measured: Measured | None = None, synthetic: bool = False,
                  source_name: str = "measured") -> tuple[dict[str, np.ndarray], dict]:
    """The supply and demand parameters of a dataset (everything but population and user rates)
    from the national facts made regional (:func:`helsemod_py.data.regional.regional_supply`).

    Returns ``(arrays, notes)``; ``notes`` say which rules and measured tables were used.
    """
    n_reg, n_grp, n_aw = len(regions), len(D.GROUPS), len(D.WORK_AGES)
    nat = national_supply(facts)
    reg = regional_supply(regions, population, user_rate, nat, facts, catchment(regions), measured=measured,
                          synthetic=synthetic, source_name=source_name)
    arrays = {
        "stock": reg.stock,
        "exit_rate": np.broadcast_to(nat.exit_rate, (n_reg,) + nat.exit_rate.shape),
        "transition_rate": np.broadcast_to(_transition_rates(facts, nat.stock), (n_reg, len(D.TRANSITIONS), 2, n_aw)),
        "graduates": nat.graduates,
        "graduate_age_dist": nat.entry_dist,
        "graduate_region_share": reg.graduate_region_share,
        "immigrants": nat.immigrants,
        "immigrant_age_dist": nat.entry_dist,
        "immigrant_region_share": reg.immigrant_region_share,
        "participation": np.broadcast_to(nat.participation, (n_reg,) + nat.participation.shape),
        "share_in_health_care": np.broadcast_to(nat.share_hc[:, None, None], (n_reg, n_grp, 2, n_aw)),
        "sector_share": reg.sector_share,
        "supply_source": reg.supply_source,
        "avg_fte": np.broadcast_to(nat.avg_fte, (n_reg,) + nat.avg_fte.shape),
        "sick_leave": np.broadcast_to(nat.sick_leave, (n_reg, n_grp)),
        "base_demand_fte": reg.base_demand_fte,
        "standard_growth": standard_growth_by_service(facts),
        "coverage_trend": np.zeros((n_reg, len(D.SERVICES), len(D.AGES))),
    }
    return arrays, reg.notes


def with_measured(dataset: Dataset, measured: Measured, facts: dict | None = None) -> Dataset:
    """``dataset`` with its supply and demand rebuilt around ``measured`` base-year FTE (e.g. an
    imported staff table), population and user rates kept."""
    facts = facts or load_facts()
    supply, notes = supply_arrays(dataset.regions, dataset["population"], dataset["user_rate"], facts,
                                  measured=measured)
    supply = {k: v for k, v in supply.items() if k not in ("standard_growth", "coverage_trend")}
    meta = dict(dataset.meta)
    meta["regional_supply"] = _jsonable(notes)
    params = dict(meta.get("parameters", {}))
    for name in ("stock", "sector_share", "supply_source", "base_demand_fte"):
        params[name] = {**params.get(name, {}), "synthetic": False,
                        "source": "measured where the tables give it (" + "; ".join(measured.sources)
                                  + "), estimated by the rules of helsemod_py.data.regional elsewhere"}
    meta["parameters"] = params
    return Dataset(dataset.regions, dataset.base_year, {**dataset.arrays, **supply}, dict(dataset.scalars),
                   dataset.name, dataset.version, meta).validate()


def dataset_from_population(regions: D.Regions, population_part: dict, base_year: int, name: str,
                            version: str, meta: dict | None = None, facts: dict | None = None,
                            sex_ratio_at_birth: float | None = None, user_rate: np.ndarray | None = None,
                            measured: Measured | None = None, synthetic_regions: bool = False,
                            fertility_damping: float | None = None) -> Dataset:
    """A full dataset for ``regions`` from its population part and the national personnel facts.

    ``population_part`` holds ``population``, ``fertility``, ``mortality`` and
    ``net_migration``, and may hold ``mortality_decline`` and ``fertility_trend`` (trends
    damped by ``fertility_damping``; e.g. from :func:`helsemod_py.data.ssb.population_dataset_part`).
    Personnel supply and demand take the national levels of ``default_facts.yaml`` made
    regional by :func:`helsemod_py.data.regional.regional_supply` (``measured`` base-year FTE
    where given, estimates otherwise; ``user_rate`` [R, K, S, A] defaults to the facts' national
    profiles); ``synthetic_regions`` marks every regional value synthetic.
    """
    facts = facts or load_facts()
    pf = facts["population"]
    population = np.asarray(population_part["population"], dtype=np.float64)
    if user_rate is None:
        user_rate = np.broadcast_to(_user_rates(facts), (len(regions), len(D.SERVICES), 2, len(D.AGES)))
    supply, notes = supply_arrays(regions, population, user_rate, facts, measured=measured,
                                  synthetic=synthetic_regions)
    between, within = migration_components(population_part["net_migration"], population, regions)
    supply.update(migration_between_counties=between, migration_within_county=within)
    arrays = {**population_part, **supply, "user_rate": user_rate}
    arrays = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()}
    if meta is None:
        meta = _metadata(facts)
        meta.update(synthetic=True, description=f"{name}: population from the given source; personnel supply "
                    "and demand from the national default facts made regional by documented rules (estimated).",
                    description_nb=f"{name}: befolkning fra den oppgitte kilden; tilbud og etterspørsel av personell "
                    "fra standarddatasettets nasjonale fakta, fordelt på kommuner etter dokumenterte regler (anslått).")
    meta = dict(meta)
    meta["regional_supply"] = _jsonable(notes)
    return Dataset(
        regions=regions,
        base_year=int(base_year),
        arrays=arrays,
        scalars={"sex_ratio_at_birth": float(sex_ratio_at_birth or pf["sex_ratio_at_birth"]["value"]),
                 "workforce_migration_factor": float(facts["regional"]["workforce_migration_factor"]["value"]),
                 "workforce_local_migration_factor":
                     float(facts["regional"]["workforce_local_migration_factor"]["value"]),
                 "fertility_damping": float(FERTILITY_DAMPING if fertility_damping is None else fertility_damping)},
        name=name,
        version=version,
        meta=meta,
    ).validate()


def _jsonable(obj):
    """Notes as plain YAML-safe values (lists, dicts, str, float)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    return obj if isinstance(obj, (str, bool)) or obj is None else str(obj)


def _metadata(facts) -> dict:
    """Description, sources and synthetic flags of the default dataset's parameters."""
    syn = "synthetic"
    improvement = facts["population"]["mortality_improvement"]
    src = {
        "population": (syn, "national total SSB 07459 (1 Jan 2024); county totals rounded from SSB 07459; "
                            "municipalities and age profiles synthetic"),
        "fertility": ("fact", pf_ref(facts, "total_fertility") + "; age schedule assumption"),
        "mortality": ("fact", "life expectancy " + pf_ref(facts, "life_expectancy_male") + " and " +
                      pf_ref(facts, "life_expectancy_female") + "; Gompertz-Makeham shape with the slope that gives "
                      + pf_ref(facts, "deaths_last_year")),
        "mortality_decline": ("fact", "yearly gains in life expectancy: "
                              + improvement["life_expectancy_gain"]["reference"] + "; by age: "
                              + improvement["oldest_share"]["reference"]),
        "fertility_trend": ("assumption", pf_ref(facts, "fertility_trend")),
        "net_migration": (syn, "national level assumption near SSB MMMM; regional urbanisation synthetic"),
        "base_demand_fte": (syn, "national FTE from the personnel facts plus NAV vacancies by county; service "
                                 "split assumption; made regional by the rules of helsemod_py.data.regional over "
                                 "the synthetic municipalities"),
        "user_rate": ("assumption", facts["user_rates"]["reference"]),
        "standard_growth": ("fact", facts["services"]["standard_growth"]["reference"]),
        "coverage_trend": ("assumption", "assumption: no coverage trend (use rates by age held at their base-year "
                                         "level); a dataset built with `helsemod data build --kostra` carries trends "
                                         "estimated from the KOSTRA care panel"),
    }
    supply_note = ("national level from default_facts.yaml groups (each with its source); made regional by the rules of "
                   "helsemod_py.data.regional over the synthetic municipalities")
    params = {}
    from .schema import PARAMETERS

    for name, spec in PARAMETERS.items():
        kind, source = src.get(name, (syn if spec.part == "supply" else "assumption", supply_note))
        params[name] = {"source": source, "synthetic": kind == syn, "description": spec.description}
    return {
        "description": "Norway-like default dataset built by helsemod_py from published national facts. "
                       "Municipalities are SYNTHETIC (real county structure, invented municipalities); "
                       "use `helsemod data` to build a dataset from real SSB tables.",
        "description_nb": "Norgelignende standarddatasett laget av helsemod_py fra publiserte nasjonale fakta. "
                          "Kommunene er SYNTETISKE (ekte fylkesstruktur, oppdiktede kommuner); bruk `helsemod data` "
                          "for å lage et datasett fra ekte SSB-tabeller.",
        "synthetic": True,
        "facts_file": f"helsemod_py/data/{FACTS_FILE}",
        "parameters": params,
        "scalar_sources": {
            "sex_ratio_at_birth": facts["population"]["sex_ratio_at_birth"]["reference"],
            "workforce_migration_factor": facts["regional"]["workforce_migration_factor"]["reference"],
            "workforce_local_migration_factor": facts["regional"]["workforce_local_migration_factor"]["reference"],
        },
    }


def standard_growth_by_service(facts) -> np.ndarray:
    """Standard growth per service (/1 per year) from ``services.standard_growth.values``."""
    values = facts["services"]["standard_growth"]["values"]
    missing = [k for k in D.SERVICES if k not in values]
    unknown = [k for k in values if k not in D.SERVICES]
    if missing or unknown:
        raise ValueError(f"{FACTS_FILE}: services.standard_growth.values: "
                         + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}")
                         + f" (allowed: {', '.join(D.SERVICES)})")
    return np.array([float(values[k]["value"]) for k in D.SERVICES])


def pf_ref(facts, key) -> str:
    return facts["population"][key]["reference"]


@functools.lru_cache(maxsize=1)
def _cached() -> Dataset:
    return build_default_dataset()


def default_dataset() -> Dataset:
    """The embedded default dataset (built once per process; a fresh copy each call)."""
    ds = _cached()
    return Dataset(ds.regions, ds.base_year, {k: v.copy() for k, v in ds.arrays.items()}, dict(ds.scalars),
                   ds.name, ds.version, dict(ds.meta))
