"""Norwegian (bokmål) and English text of plots, tables and reports.

Every visible string of :mod:`helsemod_py.report` comes from here: :func:`t` looks up a
phrase, :func:`group_name` / :func:`service_name` name personnel groups and services
(short forms for plot axes, full forms from :mod:`helsemod_py.dims` for tables), and
:func:`fmt_num` formats numbers the way each language writes them (``-1 234,5`` in
Norwegian, ``-1,234.5`` in English, with a true minus sign).
"""

from __future__ import annotations

import math

from . import dims as D
from .errors import HelsemodError
from .groups import registry

LANGS = ("nb", "en")

#: phrase key -> {lang: text}; ``{name}`` placeholders are filled by :func:`t`.
TEXT: dict[str, dict[str, str]] = {
    # units
    "fte": {"nb": "årsverk", "en": "FTE"},
    "persons": {"nb": "personer", "en": "persons"},
    "thousand_persons": {"nb": "tusen personer", "en": "thousand persons"},
    "fte_per_1000": {"nb": "årsverk per 1000 innbyggere", "en": "FTE per 1,000 inhabitants"},
    "pct_of_demand": {"nb": "% av etterspørselen", "en": "% of demand"},
    "nok": {"nb": "kroner", "en": "NOK"},
    "nok_per_fte": {"nb": "kroner per årsverk", "en": "NOK per FTE"},
    "nok_per_fte_year": {"nb": "kroner per årsverk-år", "en": "NOK per FTE-year"},
    "fte_years": {"nb": "årsverk-år", "en": "FTE-years"},
    "year": {"nb": "År", "en": "Year"},
    # caption
    "caption_synthetic": {"nb": " — SYNTETISKE kommuner (standarddatasettet)",
                          "en": " — SYNTHETIC municipalities (the embedded default)"},
    "caption": {"nb": "helsemod_py {version}, datasett {dataset}, scenario {scenario}",
                "en": "helsemod_py {version}, dataset {dataset}, scenario {scenario}"},
    "nation": {"nb": "Norge", "en": "Norway"},
    "all_groups": {"nb": "Alle grupper", "en": "All groups"},
    "total": {"nb": "Totalt", "en": "Total"},
    # plot 1: supply vs demand
    "sd_title": {"nb": "Tilbud og etterspørsel etter personellgruppe, {region}",
                 "en": "Supply and demand by personnel group, {region}"},
    "supply": {"nb": "Tilbud", "en": "Supply"},
    "demand": {"nb": "Etterspørsel", "en": "Demand"},
    "shortage": {"nb": "Mangel", "en": "Shortage"},
    "surplus": {"nb": "Overskudd", "en": "Surplus"},
    "sd_ylabel": {"nb": "Årsverk", "en": "FTE"},
    "sd_gap": {"nb": "differanse {year}: {value}", "en": "gap {year}: {value}"},
    # plot 2: gap by county
    "county_title": {"nb": "Differanse mellom tilbud og etterspørsel etter fylke, {year}",
                     "en": "Gap between supply and demand by county, {year}"},
    "county_title_group": {"nb": "Differanse mellom tilbud og etterspørsel etter fylke, {year}: {group}",
                           "en": "Gap between supply and demand by county, {year}: {group}"},
    "county_xlabel": {"nb": "Årsverk (tilbud minus etterspørsel; negativt = mangel)",
                      "en": "FTE (supply minus demand; negative = shortage)"},
    "shortage_groups": {"nb": "Sum for grupper med mangel", "en": "Sum of groups with a shortage"},
    "surplus_groups": {"nb": "Sum for grupper med overskudd", "en": "Sum of groups with a surplus"},
    "net_gap": {"nb": "Netto differanse (tall: årsverk; per 1000 innbyggere)",
                "en": "Net gap (figures: FTE; per 1,000 inhabitants)"},
    "net_gap_nopop": {"nb": "Netto differanse (årsverk)", "en": "Net gap (FTE)"},
    "per_1000_short": {"nb": "per 1000", "en": "per 1,000"},
    # plot 3: heat map
    "heat_title": {"nb": "Differanse per 1000 innbyggere etter kommune og gruppe, {year}",
                   "en": "Gap per 1,000 inhabitants by municipality and group, {year}"},
    "heat_title_pct": {"nb": "Differanse i prosent av etterspørselen etter kommune og gruppe, {year}",
                       "en": "Gap as a percentage of demand by municipality and group, {year}"},
    "heat_cbar": {"nb": "Årsverk per 1000 innbyggere (negativt = mangel)",
                  "en": "FTE per 1,000 inhabitants (negative = shortage)"},
    "heat_cbar_pct": {"nb": "Differanse i % av etterspørselen (negativt = mangel)",
                      "en": "Gap in % of demand (negative = shortage)"},
    "heat_note": {"nb": "Kommuner gruppert etter fylke, innen fylket sortert etter samlet differanse per innbygger. "
                        "Fargeskalaen er kvadratrot-skalert og avkortet ved ±{lim}.",
                  "en": "Municipalities grouped by county, sorted within the county by total gap per "
                        "inhabitant. Square-root colour scale, clipped at ±{lim}."},
    "heat_note_pct": {"nb": "Kommuner gruppert etter fylke, innen fylket sortert etter samlet differanse i prosent av "
                            "etterspørselen. Fargeskalaen er kvadratrot-skalert og avkortet ved ±{lim}.",
                      "en": "Municipalities grouped by county, sorted within the county by the total gap as a "
                            "percentage of demand. Square-root colour scale, clipped at ±{lim}."},
    "municipalities": {"nb": "kommuner", "en": "municipalities"},
    # plot 4: pyramids
    "pyr_title": {"nb": "Befolkning etter alder og kjønn, {y0} og {y1}, {region}",
                  "en": "Population by age and sex, {y0} and {y1}, {region}"},
    "pyr_xlabel": {"nb": "Personer (tusen)", "en": "Persons (thousands)"},
    "pyr_ylabel": {"nb": "Alder (år)", "en": "Age (years)"},
    "men": {"nb": "Menn", "en": "Men"},
    "women": {"nb": "Kvinner", "en": "Women"},
    # plot 5: scenario comparison
    "cmp_title": {"nb": "Endring i differansen mot {baseline}, {year}, {region}",
                  "en": "Change in the gap versus {baseline}, {year}, {region}"},
    "cmp_xlabel": {"nb": "Endring i differansen (årsverk; positivt = mindre mangel)",
                   "en": "Change in gap (FTE; positive = smaller shortage)"},
    "no_change": {"nb": "Ingen endring i differansen", "en": "No change in the gap"},
    # plot 6: waterfall
    "wf_title": {"nb": "Bidrag fra hvert tiltak til endringen i differansen, {year}, {region}",
                 "en": "Contribution of each measure to the change in the gap, {year}, {region}"},
    "wf_xlabel": {"nb": "Endring i differansen (årsverk; positivt = mindre mangel)",
                  "en": "Change in gap (FTE; positive = smaller shortage)"},
    "wf_note": {"nb": "Shapley-fordeling: delene summerer seg til totalen. Samlet kostnad per årsverk i parentes; "
                      "* = antatt virkning.",
                "en": "Shapley attribution: the parts add up to the total. Total cost per FTE in brackets; "
                      "* = effect assumed."},
    "wf_title_shortage": {"nb": "Bidrag fra hvert tiltak til mindre mangel, {year}, {region}",
                          "en": "Contribution of each measure to the shortage reduction, {year}, {region}"},
    "wf_xlabel_shortage": {"nb": "Mindre mangel (årsverk; sum av negative differanser)",
                           "en": "Shortage reduction (FTE; sum of negative gaps)"},
    "wf_none": {"nb": "Scenarioet har ingen tiltak", "en": "The scenario has no measures"},
    "kr_per_fte_short": {"nb": "kr/årsverk", "en": "NOK/FTE"},
    # report
    "report_title": {"nb": "Helse- og omsorgspersonell: tilbud og etterspørsel",
                     "en": "Health and care personnel: supply and demand"},
    "report_sub": {"nb": "Framskriving {y0}–{y1}, scenario «{scenario}»",
                   "en": "Projection {y0}–{y1}, scenario “{scenario}”"},
    "sec_info": {"nb": "Om kjøringen", "en": "About this run"},
    "sec_synthetic": {"nb": "Hva er syntetisk", "en": "What is synthetic"},
    "sec_tables": {"nb": "Tabeller", "en": "Tables"},
    "sec_plots": {"nb": "Figurer", "en": "Figures"},
    "sec_sources": {"nb": "Kilder", "en": "Sources"},
    "sec_reading": {"nb": "Slik leser du tallene", "en": "How to read the figures"},
    "reading": {"nb": "Differanse = tilbud av årsverk minus etterspurte årsverk. Negativ differanse betyr "
                      "mangel, positiv betyr overskudd. Ett årsverk er 37,5 timer i uken. Fylker og landet er summen av "
                      "kommunene.",
                "en": "Gap = FTE supplied minus FTE demanded. A negative gap is a shortage, a positive gap a "
                      "surplus. One FTE is 37.5 hours a week. Counties and the nation are sums of their "
                      "municipalities."},
    "info_package": {"nb": "Programvare", "en": "Software"},
    "info_dataset": {"nb": "Datasett", "en": "Dataset"},
    "info_dataset_hash": {"nb": "Datasett-hash", "en": "Dataset hash"},
    "info_scenario": {"nb": "Scenario", "en": "Scenario"},
    "info_scenarios": {"nb": "Scenarioer (det første er sammenligningsgrunnlaget)",
                       "en": "Scenarios (the first is the reference)"},
    "info_scenario_hash": {"nb": "Scenario-hash", "en": "Scenario hash"},
    "info_years": {"nb": "År", "en": "Years"},
    "info_created": {"nb": "Laget", "en": "Created"},
    "info_command": {"nb": "Kommando", "en": "Command"},
    "info_seed": {"nb": "Frø (seed)", "en": "Seed"},
    "info_scenario_file": {"nb": "Scenariofil", "en": "Scenario file"},
    "info_python": {"nb": "Python / numpy / numba", "en": "Python / numpy / numba"},
    "syn_unknown": {"nb": "Datasettets metadata er ikke tilgjengelig her. Se dataset.yaml i datasettmappen "
                          "(feltene «synthetic» og «source»), eller kjør «helsemod info --data MAPPE».",
                    "en": "The dataset's metadata is not available here. See dataset.yaml in the dataset folder "
                          "(fields “synthetic” and “source”), or run “helsemod info --data FOLDER”."},
    "syn_intro": {"nb": "Parametere merket som syntetiske i datasettet:",
                  "en": "Parameters marked synthetic in the dataset:"},
    "syn_none": {"nb": "Ingen parametere er merket som syntetiske.",
                 "en": "No parameter is marked synthetic."},
    "syn_default": {"nb": "Standarddatasettet er «Norge-likt, ikke Norge»: nasjonale tall er publiserte fakta, "
                          "men de 357 kommunene er syntetiske (ekte fylkesstruktur og antall kommuner, oppdiktede "
                          "størrelser, navn og aldersprofiler). Kommunetall må ikke leses som tall for ekte "
                          "kommuner.",
                    "en": "The default dataset is “Norway-like, not Norway”: national figures are published "
                          "facts, but the 357 municipalities are synthetic (real county structure and "
                          "municipality counts, invented sizes, names and age profiles). Do not read municipal "
                          "figures as figures for real municipalities."},
    "syn_hash_differs": {"nb": "Datasettet har standarddatasettets navn, men en annen hash (et utvalg av kommuner "
                               "eller en redigert kopi). Merkingen under er standarddatasettets.",
                         "en": "The dataset has the default dataset's name but a different hash (a subset of "
                               "municipalities or an edited copy). The flags below are those of the default dataset."},
    "parameter": {"nb": "Parameter", "en": "Parameter"},
    "source": {"nb": "Kilde", "en": "Source"},
    "synthetic": {"nb": "Syntetisk", "en": "Synthetic"},
    "yes": {"nb": "ja", "en": "yes"},
    "no": {"nb": "nei", "en": "no"},
    "no_population": {"nb": "Resultatfilen har ikke befolkningstall, så befolkningspyramider mangler og "
                            "kommunekartet viser gap i prosent av etterspørselen.",
                      "en": "The results file has no population, so population pyramids are missing and the "
                            "municipality heat map shows the gap as a percentage of demand."},
    "general_sources": {"nb": "Metode og tiltak", "en": "Method and measures"},
    # table titles and columns
    "tab_nation": {"nb": "Tilbud, etterspørsel og differanse etter personellgruppe, {region}",
                   "en": "Supply, demand and gap by personnel group, {region}"},
    "col_in_scenario": {"nb": "{column}: {scenario}", "en": "{column}: {scenario}"},
    "tab_county": {"nb": "Differanse etter fylke (alle grupper)", "en": "Gap by county (all groups)"},
    "tab_county_group": {"nb": "Differanse etter fylke og personellgruppe, {year}",
                         "en": "Gap by county and personnel group, {year}"},
    "tab_comparison": {"nb": "Endring i differansen mot «{baseline}», {year}, {region}",
                       "en": "Change in the gap versus “{baseline}”, {year}, {region}"},
    "tab_attribution": {"nb": "Bidrag fra tiltak til endringen i differansen, {year}, Norge",
                        "en": "Contribution of measures to the change in the gap, {year}, Norway"},
    "tab_attribution_shortage": {"nb": "Bidrag fra tiltak til mindre mangel, {year}, Norge",
                                 "en": "Contribution of measures to the shortage reduction, {year}, Norway"},
    "tab_provenance": {"nb": "Hvor basisårets tilbud kommer fra: andel av årsverkene som er målt, anslått og "
                             "syntetiske, etter fylke",
                       "en": "Where the base-year supply comes from: share of FTE measured, estimated and "
                             "synthetic, by county"},
    "col_measured": {"nb": "Målt", "en": "Measured"},
    "col_estimated": {"nb": "Anslått", "en": "Estimated"},
    "col_synthetic_share": {"nb": "Syntetisk", "en": "Synthetic"},
    "col_measured_groups": {"nb": "Målte grupper", "en": "Measured groups"},
    "sheet_provenance": {"nb": "Datagrunnlag", "en": "Provenance"},
    "tab_ce": {"nb": "Kostnadseffektivitet (kostnad per årsverk vunnet: programkostnad og samlet kostnad med "
                     "lønn), Norge",
               "en": "Cost-effectiveness (cost per FTE gained: programme cost, and total cost with wages), Norway"},
    "col_group": {"nb": "Personellgruppe", "en": "Personnel group"},
    "col_code": {"nb": "Kode", "en": "Code"},
    "col_county": {"nb": "Fylke", "en": "County"},
    "col_scenario": {"nb": "Scenario", "en": "Scenario"},
    "col_measure": {"nb": "Tiltak", "en": "Measure"},
    "col_supply": {"nb": "Tilbud {year}", "en": "Supply {year}"},
    "col_demand": {"nb": "Etterspørsel {year}", "en": "Demand {year}"},
    "col_gap": {"nb": "Differanse {year}", "en": "Gap {year}"},
    "col_gap_per_1000": {"nb": "Differanse {year} per 1000 innb.", "en": "Gap {year} per 1,000 inh."},
    "col_population": {"nb": "Befolkning {year}", "en": "Population {year}"},
    "col_shortage": {"nb": "Sum mangel {year}", "en": "Sum of shortages {year}"},
    "col_change": {"nb": "Endring i differansen", "en": "Change in gap"},
    "col_cost": {"nb": "Kostnad {year}", "en": "Cost {year}"},
    "col_nok_per_fte": {"nb": "Kostnad per årsverk", "en": "Cost per FTE"},
    "col_fte_gained": {"nb": "Vunnet {year}", "en": "Gained {year}"},
    "col_fte_years": {"nb": "Vunnet, hele perioden", "en": "Gained, whole period"},
    "col_cost_cum": {"nb": "Kostnad, hele perioden", "en": "Cost, whole period"},
    "col_nok_per_fte_year": {"nb": "Kostnad per årsverk-år", "en": "Cost per FTE-year"},
    "col_shortage_change": {"nb": "Mindre mangel", "en": "Shortage reduction"},
    "col_status": {"nb": "Status", "en": "Status"},
    "col_evidence": {"nb": "Grunnlag for effekten", "en": "Evidence for the effect"},
    "col_local": {"nb": "Vunnet lokalt {year}", "en": "Gained locally {year}"},
    "col_cost_programme": {"nb": "Programkostnad {year}", "en": "Programme cost {year}"},
    "col_cost_wages": {"nb": "Lønn og arbeidsgiverkostnader {year}", "en": "Wages and employer's costs {year}"},
    "col_cost_other": {"nb": "Andre kostnader {year}", "en": "Other costs {year}"},
    "col_cost_total": {"nb": "Samlet kostnad {year}", "en": "Total cost {year}"},
    "col_npf_programme": {"nb": "Programkostnad per årsverk", "en": "Programme cost per FTE"},
    "col_npf_total": {"nb": "Samlet kostnad per årsverk", "en": "Total cost per FTE"},
    "col_cost_cum_programme": {"nb": "Programkostnad, hele perioden", "en": "Programme cost, whole period"},
    "col_cost_cum_total": {"nb": "Samlet kostnad, hele perioden", "en": "Total cost, whole period"},
    "col_npfy_programme": {"nb": "Programkostnad per årsverk-år", "en": "Programme cost per FTE-year"},
    "col_npfy_total": {"nb": "Samlet kostnad per årsverk-år", "en": "Total cost per FTE-year"},
    "col_fte_low": {"nb": "Vunnet, nedre ende av spennet", "en": "Gained, low end of range"},
    "col_fte_high": {"nb": "Vunnet, øvre ende av spennet", "en": "Gained, high end of range"},
    "evidence_assumption": {"nb": "antakelse", "en": "assumption"},
    "evidence_published": {"nb": "publisert kilde", "en": "published source"},
    "sheet_nation": {"nb": "Norge", "en": "Nation"},
    "sheet_county": {"nb": "Fylker", "en": "Counties"},
    "sheet_county_group": {"nb": "Fylke x gruppe", "en": "County x group"},
    "sheet_comparison": {"nb": "Scenarioer", "en": "Scenarios"},
    "sheet_attribution": {"nb": "Tiltak", "en": "Measures"},
    "sheet_ce": {"nb": "Kostnadseffektivitet", "en": "Cost-effectiveness"},
    "toc": {"nb": "Innhold", "en": "Contents"},
    "sheet_about": {"nb": "Om tallene", "en": "About"},
    "col_note": {"nb": "Merknad", "en": "Note"},
    "synthetic_note": {"nb": "SYNTETISKE DATA: kommunene i datasettet «{dataset}» er oppdiktede (størrelser, navn og "
                             "aldersprofiler); bare nasjonale tall er publiserte fakta. Kommunetall må ikke leses som "
                             "tall for ekte kommuner.",
                       "en": "SYNTHETIC DATA: the municipalities of the dataset “{dataset}” are made up (sizes, names "
                             "and age profiles); only national figures are published facts. Do not read municipal "
                             "figures as figures for real municipalities."},
    "headline": {"nb": "{region}, {year}: tilbud {supply}, etterspørsel {demand}, differanse {gap} årsverk "
                       "(scenario «{scenario}»).",
                 "en": "{region}, {year}: supply {supply}, demand {demand}, gap {gap} FTE (scenario “{scenario}”)."},
    "synthetic_banner": {"nb": "Merk: datasettet har syntetiske deler (se «Hva er syntetisk»).",
                         "en": "Note: the dataset has synthetic parts (see “What is synthetic”)."},
    "data_sources": {"nb": "Datakilder i datasettet", "en": "Data sources in the dataset"},
    "fig_supply_demand": {"nb": "Tilbud og etterspørsel over tid", "en": "Supply and demand over time"},
    "fig_county": {"nb": "Differanse etter fylke", "en": "Gap by county"},
    "fig_heat": {"nb": "Differanse etter kommune og gruppe", "en": "Gap by municipality and group"},
    "no_map_none": {"nb": "Ingen kart: resultatene har ingen kommuner.", "en": "No map: the results have no municipalities."},
    "no_map_synthetic": {"nb": "Ingen kart: kommunekodene i datasettet (f.eks. {example}) finnes ikke i kommunegrensene "
                               "for 2024; standarddatasettets kommuner er syntetiske. Bygg et datasett fra SSB "
                               "(helsemod data build) for kart over de virkelige kommunene.",
                         "en": "No map: the dataset's municipality codes (e.g. {example}) are not in the 2024 "
                               "municipal boundaries; the embedded default's municipalities are synthetic. Build a "
                               "dataset from SSB (helsemod data build) for maps of the real municipalities."},
    "no_map_missing": {"nb": "Ingen kart: {n} kommunekoder (f.eks. {example}) finnes ikke i kommunegrensene for 2024.",
                       "en": "No map: {n} municipality codes (e.g. {example}) are not in the 2024 boundaries."},
    "fig_map_gap": {"nb": "Kart: differansen i prosent av etterspørselen",
                    "en": "Map: the gap as a percentage of demand"},
    "fig_map_supply": {"nb": "Kart: endring i tilbud", "en": "Map: change in supply"},
    "fig_map_demand": {"nb": "Kart: endring i etterspørsel", "en": "Map: change in demand"},
    "map_municipality": {"nb": "Kommuner (kommunale helse- og omsorgstjenester)",
                         "en": "Municipalities (municipal health and care)"},
    "map_county": {"nb": "Fylker (alle sektorer, også sykehus)", "en": "Counties (all sectors, hospitals too)"},
    "map_gap_title": {"nb": "Differanse mellom tilbud og etterspørsel i {year}, i prosent av etterspørselen",
                      "en": "Gap between supply and demand in {year}, as a percentage of demand"},
    "map_gap_label": {"nb": "Differanse {year} i % av etterspørselen (negativt = mangel)",
                      "en": "Gap {year} as % of demand (negative = shortage)"},
    "map_supply_change_title": {"nb": "Endring i tilbud av årsverk {y0}–{year}",
                                "en": "Change in the supply of FTE {y0}–{year}"},
    "map_supply_change_label": {"nb": "Endring i tilbud {y0}–{year}, %", "en": "Change in supply {y0}–{year}, %"},
    "map_demand_change_title": {"nb": "Endring i etterspørsel etter årsverk {y0}–{year}",
                                "en": "Change in the demand for FTE {y0}–{year}"},
    "map_demand_change_label": {"nb": "Endring i etterspørsel {y0}–{year}, %",
                                "en": "Change in demand {y0}–{year}, %"},
    "fig_pyramid": {"nb": "Befolkningspyramider", "en": "Population pyramids"},
    "fig_comparison": {"nb": "Sammenligning av scenarioer", "en": "Scenario comparison"},
    "fig_waterfall": {"nb": "Bidrag fra tiltak (fossefall)", "en": "Attribution waterfall"},
    "fig_fan": {"nb": "Usikkerhet: differanse med kvantilbånd (viftediagram)", "en": "Uncertainty: gap with quantile bands (fan chart)"},
    "generated": {"nb": "Laget med helsemod_py {version}.", "en": "Generated by helsemod_py {version}."},
}

#: Short group names for plot axes and panel titles, ``code -> (nb, en)``: each group's ``short``
#: names in the registry (``helsemod_py/groups.yaml``; full names are in :mod:`helsemod_py.dims`).
SHORT_GROUP = {g.code: (g.short_nb, g.short_en) for g in registry().groups}

#: Background references shown in every report.
GENERAL_SOURCES = (
    (("Statistisk sentralbyrå (SSB): HELSEMOD – framskrivinger av tilbud av og etterspørsel etter helse- og "
      "omsorgspersonell (SSB Rapporter)."),
     ("Statistics Norway (SSB): HELSEMOD – projections of supply of and demand for health and care personnel "
      "(SSB Reports).")),
    (("Helse- og omsorgsdepartementet: Kompetanseløft 2025 – regjeringens plan for rekruttering, kompetanse og "
      "fagutvikling i den kommunale helse- og omsorgstjenesten."),
     ("Ministry of Health and Care Services: Kompetanseløft 2025 (Competence Boost 2025), the government's plan "
      "for recruitment, competence and professional development in the municipal health and care services.")),
    ("SSB statistikkbank, tabell 07459: Befolkning etter kjønn og ettårig alder (1. januar).",
     "Statistics Norway StatBank, table 07459: Population by sex and one-year age groups (1 January)."),
)


def check_lang(lang: str) -> str:
    """``lang`` if it is ``"nb"`` or ``"en"``, else a :class:`HelsemodError`."""
    if lang not in LANGS:
        raise HelsemodError(f"language {lang!r}: allowed {', '.join(LANGS)}")
    return lang


def t(key: str, lang: str, **fmt) -> str:
    """The phrase ``key`` in ``lang`` with ``{placeholders}`` filled from ``fmt``."""
    text = TEXT[key][check_lang(lang)]
    return text.format(**fmt) if fmt else text


def group_name(code: str, lang: str, short: bool = True) -> str:
    """Name of a personnel group: short (plots) or full (tables, from :data:`dims.GROUP_LABELS`)."""
    check_lang(lang)
    if short and code in SHORT_GROUP:
        return SHORT_GROUP[code][0 if lang == "nb" else 1]
    lbl = D.LABELS[D.GROUP].get(code)
    if lbl is None:
        return "Alle grupper" if code == "all" and lang == "nb" else ("All groups" if code == "all" else code)
    return getattr(lbl, lang)


def service_name(code: str, lang: str) -> str:
    """Name of a service from :data:`dims.SERVICE_LABELS` (the code itself if unknown)."""
    lbl = D.LABELS[D.SERVICE].get(code)
    return getattr(lbl, check_lang(lang)) if lbl is not None else code


#: Scenario names shown translated (the baseline file's name is an English word).
SCENARIO_NAMES = {"baseline": ("Referansebane", "baseline")}


def scenario_name(name: str, lang: str) -> str:
    """A scenario's name for display: ``baseline`` is ``Referansebane`` in Norwegian."""
    known = SCENARIO_NAMES.get(str(name))
    return known[0 if check_lang(lang) == "nb" else 1] if known else str(name)


def measure_name(measure_id: str) -> str:
    """Readable form of a measure id: ``torn_nurses`` -> ``torn nurses``."""
    return str(measure_id).replace("_", " ")


def region_label(code: str, name: str, lang: str) -> str:
    """Display name of a region: the nation is ``Norge``/``Norway``."""
    if str(code) == D.NATION_CODE:
        return t("nation", lang)
    return str(name)


def unit_label(unit: str, lang: str) -> str:
    """A model unit (``FTE``, ``persons``, ``NOK``, ...) in ``lang``."""
    key = {"FTE": "fte", "persons": "persons", "NOK": "nok", "NOK per FTE": "nok_per_fte",
           "FTE per 1000 inhabitants": "fte_per_1000", "NOK per FTE-year": "nok_per_fte_year",
           "FTE-years": "fte_years"}.get(unit)
    return t(key, lang) if key else unit


def fmt_num(x, lang: str, decimals: int = 0, sign: bool = False) -> str:
    """``x`` with the language's thousands and decimal separators and a true minus sign.

    Norwegian: ``−1 234,5``; English: ``−1,234.5``; NaN and None as an en dash. ``sign``
    adds ``+`` to positive numbers.
    """
    check_lang(lang)
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if round(x, decimals) == 0:
        x = 0.0
    s = f"{abs(x):,.{decimals}f}"
    if lang == "nb":
        s = s.replace(",", "\u00a0").replace(".", ",")
    if x < 0:
        s = "\u2212" + s
    elif sign and x > 0:
        s = "+" + s
    return s
