"""Staff in post by region, sector and personnel group: SSB's health-personnel tables as ONE tidy table.

The dataset builder reads two files of an import folder (``helsemod data import``):

* ``staff.csv`` (:data:`STAFF_COLUMNS`): agreed FTE by ``level`` (``municipality``: ``region``
  is a 2024 municipality code; ``trust``: a trust code of ``trusts_2024.yaml``), ``year``,
  ``sector`` (:data:`helsemod_py.dims.SECTORS`), ``group`` (:data:`helsemod_py.dims.GROUPS`),
  ``fte`` and the SSB ``table`` it came from; read and checked by :func:`read_staff_table`;
* ``employed.csv`` (:data:`EMPLOYED_COLUMNS`): employed persons with each health education by
  2024 municipality and year; :func:`read_employed_table`.

:func:`staff_from_jsonstat` / :func:`employed_from_jsonstat` convert a parsed JSON-stat2 file
(:func:`helsemod_py.data.jsonstat.parse_jsonstat2`) of one of the tables of :data:`CONFS`:

======= ========== ================================================================================
table   level      content and codes (V = verified, A = assumed)
======= ========== ================================================================================
11924   municipal  care FTE by education, 2015-2023 (closed). V: ``KOKkommuneregion0000``,
                   ``KOKkyrk200000``, ``ContentsCode`` ``KOSARBAARSVERKST0000``, ``KF01``-``KF04``
                   are the nurse categories (Fram's ``R/ssb_api.R``; 20 categories, the first
                   "Omsorgstjenestene i alt" (statbank page)). A: the other codes; every category
                   is read by its *label* (:data:`EDUCATION_LABELS`), KF01-KF04 must read as nurses.
14534   municipal  care FTE by position type and education, 2015-. V: ``KOKstillingkode0000``
                   (``TOT``), ``KOKutdanningoms0000`` (``01`` = all nurses, a sum), contents
                   ``KOSARBAARSVERKST0000`` (Fram, FACTS.md). A: the other education codes (by label).
11996   municipal  physician FTE by function. V (kapasitet's probe of the API, codes with labels):
                   ``KOKavtaleform0000`` ``sum``, ``KOKfunksjon0000`` ``FGK10`` (sum), ``120``,
                   ``232``, ``233``, ``241``, ``253``, ``256``, contents ``KOSlegeaarsverk0000``.
13953   trust      specialist FTE by trust and occupation. V (kapasitet, probed 2026-09-02):
                   ``HelseReg`` (organisation numbers, ``H00``, ``H03``...), ``Yrke`` (30 codes,
                   :data:`YRKE_13953`), ``HelseTjenomr`` ``TOT``, contents ``Arsverk``.
07940   municipal  employed persons with health education, current. V (a public client's query):
                   ``Region`` with ``agg:KommSummer``, ``UtdHelse``, ``Alder`` ``999A``,
                   ``NACE2007`` ``86-87`` (health and residential care), ``Sysselsatte``.
                   A: the ``UtdHelse`` codes (read by label; labels as in SSB's hesospers tables).
07944   municipal  the same by sector, 2008-2019 (closed): employed in health and social services.
                   A: every dimension id but ``Region`` (``UtdHelse`` assumed as in 07940); the
                   contents and the totals of other dimensions are found by label.
======= ========== ================================================================================

A category is read by its code where the code is verified (:attr:`Conf.codes`), else by its
label (:data:`EDUCATION_LABELS`, first match, Norwegian and English); anything else is an error
naming table, dimension, code and label -- a wrong assumption fails loudly, never silently.
Sums (totals, "all nurses") are never counted: they are dropped and listed in
``attrs['sums']``, and the categories mapped to the groups a sum covers must add up to at most
that sum (else a sub-total was read as a group: an error). Categories without a model group are
dropped and listed in ``attrs['dropped']``. Other dimensions are reduced to their total
(verified code, else the one category labelled as a total). Municipality codes of earlier
years go to 2024 (:class:`~helsemod_py.data.jsonstat.RegionResolver`; KOSTRA's aggregates
``EAK``, ``EKG..`` and 6-digit city districts are dropped); trusts by organisation number
(:data:`TRUST_ORGNR`), else by name; the nation, health regions, RHFs, units without a catchment
(:data:`NOT_TRUSTS`) and support units (pharmacies, IT) are dropped and listed, any other unit is
an error. Empty cells (``.``) are skipped; a 2024 cell with a
suppressed part (``:``, ``..``) is left out and counted in ``attrs['notes']``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import dims as D
from ..errors import ImportDataError, RegistryError
from ..groups import registry
from . import jsonstat as J
from . import regions as RG

STAFF_COLUMNS = ("level", "region", "year", "sector", "group", "fte", "table")
EMPLOYED_COLUMNS = ("region", "year", "group", "persons", "table")
STAFF_KEY = ("level", "region", "year", "sector", "group")
EMPLOYED_KEY = ("region", "year", "group")
LEVELS = ("municipality", "trust")
STAFF_FILE = "staff.csv"
EMPLOYED_FILE = "employed.csv"
_MAX_SHOWN = 5


# --- what a category becomes ------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One category of an SSB table: a model ``group`` (in ``sector``, else the table's), a sum
    of the categories mapped to ``sum_of`` (dropped), or neither (dropped: ``why``).
    ``within``: a verified code whose label must read as one of these groups."""

    group: str | None = None
    sector: str | None = None
    sum_of: tuple[str, ...] = ()
    why: str = ""
    within: tuple[str, ...] = ()

    @property
    def is_sum(self) -> bool:
        return bool(self.sum_of) or self.why.startswith("sum")


def G(group: str, sector: str | None = None) -> Rule:
    return Rule(group, sector)


TOTAL = Rule(sum_of=D.GROUPS, why="sum of all categories")
ALL_NURSES = Rule(sum_of=D.NURSE_GROUPS, why="sum of the nurse categories")
LEVEL_SUM = Rule(why="sum of an education level")
SECONDARY = Rule(why="no model group (upper-secondary or other education)")
NOT_CARE = Rule(why="no model group (administration, service or unspecified)")
NURSE_CODE = Rule(within=D.NURSE_GROUPS)

#: Each group's label patterns (``ssb.labels`` of the registry, ``helsemod_py/groups.yaml``), in the
#: registry's order: ``(group, pattern, before_totals)``.
_GROUP_LABELS = tuple((g.code, "|".join(g.ssb_labels), g.ssb_labels_before_totals)
                      for g in registry().groups if g.ssb_labels)

#: Education and occupation labels -> rule, tried in order on the label in lower case (trailing
#: footnote digits and "mv." removed); the first pattern that matches the whole label wins: the
#: sum of the nurse categories, the groups whose labels come before totals (``labels_before_totals``
#: in the registry: "uten helsefaglig utdanning i alt" is a group), totals, the other groups'
#: labels (the registry's ``ssb.labels``), then educations without a model group and level sums.
#: Norwegian labels as in SSB's statbank and hesospers tables, English as in ssb.no/en.
EDUCATION_LABELS: tuple[tuple[str, Rule], ...] = (
    (r"(alle )?sykepleiere?,? i alt|alle sykepleiere|all nurses|nurses,? total|total,? nurses", ALL_NURSES),
    *((p, G(g)) for g, p, first in _GROUP_LABELS if first),
    (r"(.+?),? (i alt|totalt?)|total,? (.+)|(alle|all|sum) (.+)|i alt|totalt?|sum|omsorgstjenestene"
     r"|begge kjønn|both sexes", TOTAL),
    *((p, G(g)) for g, p, first in _GROUP_LABELS if not first),
    (r"helsesekretær(er)?|ambulansearbeider(e)?|apotektekniker(e)?|fotterapeut(er)?|barne- og ungdomsarbeider(e)?"
     r"|tannhelsesekretær(er)?|tanntekniker(e)?|aktivitør(er)?|annen (videregående|vg\.?) helse.*"
     r"|medisinstudent(er)? med lisens|medical secretar(y|ies)|paramedics?|pharmacy technicians?|chiropodists?"
     r"|child care workers?"
     r"|dental secretar(y|ies)|dental technicians?|unqualified occupational therapists?|health care education,? "
     r"secondary level|licen[cs]ed medical students?", SECONDARY),
    (r"servicefunksjon(er)?|administrativt personell|administrasjon|service (functions?|staff|personnel)"
     r"|administrative (staff|personnel)|uoppgitt|uspesifisert|unspecified|ukjent|unknown", NOT_CARE),
    (r"(ungdomsskole- og )?videregående( skole)?( nivå)?|(høgskole|høyskole|universitets)nivå"
     r"|.*utdanning på .+nivå|(upper )?secondary level|college level|university level", LEVEL_SUM),
)


def _compile(pattern: str, rule: Rule) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:  # a group's ssb.labels in the registry
        raise RegistryError(f"{registry().file}: groups.{rule.group}.ssb.labels: not a regular expression "
                            f"({exc})") from None


_COMPILED = tuple((_compile(p, r), r) for p, r in EDUCATION_LABELS)

#: SSB 13953's ``Yrke`` (occupation) codes (verified with their labels, kapasitet 2026-09-02). The
#: groups' codes are their ``ssb.yrke_13953`` in the registry (``helsemod_py/groups.yaml``; e.g.
#: ``02`` Sykepleiere, ``05``/``06`` Legespesialister/Andre leger); the codes without a model group
#: are here (a group of the registry that claims one of them takes it).
_YRKE_NO_GROUP = {
    "16": Rule(why="no model group (ambulance personnel)"),
    "18": SECONDARY,  # Helsesekretærer
    **{c: NOT_CARE for c in ("20a", "20b", "21", "22", "23", "24", "25", "26", "27", "99")},  # leaders, admin...
}
_YRKE_GROUPS = {c: G(g.code) for g in registry().groups for c in g.yrke_13953}
if "TOT" in _YRKE_GROUPS:
    raise RegistryError(f"{registry().file}: ssb.yrke_13953: 'TOT' is SSB 13953's total, not a group's code")
YRKE_13953 = {"TOT": TOTAL, **dict(sorted({**_YRKE_NO_GROUP, **_YRKE_GROUPS}.items()))}

#: SSB 11996's ``KOKfunksjon0000`` (KOSTRA functions, verified with their labels).
FUNKSJON_11996 = {
    "FGK10": TOTAL,  # Kommunehelsetjenester knyttet til fysioterapi- og legeårsverk (the sum of the others)
    "120": G("physician"),  # Administrasjon (community medicine)
    "232": G("physician"),  # Helsestasjons- og skolehelsetjeneste
    "233": G("physician"),  # Annet forebyggende helsearbeid
    "241": G("gp"),  # Diagnose, behandling, habilitering og rehabilitering: GPs (fastleger) and emergency duty
    "253": G("physician", "care"),  # Helse- og omsorgstjenester i institusjon: nursing-home physicians
    "256": G("physician"),  # Øyeblikkelig hjelp døgntilbud (municipal acute beds)
}

#: SSB's ``HelseReg`` codes (organisation numbers; kapasitet's KLASS 629 / 13942 probe) of the trusts
#: of ``trusts_2024.yaml``. Haraldsplass is the local hospital of a part of Bergen that SKDE counts in
#: Helse Bergen's catchment, so it is counted with ``bergen``.
TRUST_ORGNR = {
    "983974880": "finnmark", "983974899": "unn", "983974910": "nordland", "983974929": "helgeland",
    "983974791": "nord_trondelag", "883974832": "st_olavs", "997005562": "more_romsdal", "983974732": "forde",
    "983974724": "bergen", "984027737": "bergen", "983974694": "fonna", "983974678": "stavanger",
    "983971768": "ostfold", "993467049": "ous", "965985166": "lovisenberg", "982791952": "diakonhjemmet",
    "983971636": "ahus", "983971709": "innlandet", "894166762": "vestre_viken", "983975259": "vestfold",
    "983975267": "telemark", "983975240": "sorlandet",
}
#: Units of ``HelseReg`` without a catchment in ``trusts_2024.yaml`` (dropped, listed): the regional
#: health authorities, Sunnaas and private hospitals and DPSs with agreements.
NOT_TRUSTS = {
    "883658752": "Helse Nord RHF", "983658725": "Helse Vest RHF", "983658776": "Helse Midt-Norge RHF",
    "991324968": "Helse Sør-Øst RHF", "883971752": "Sunnaas sykehus HF", "916270097": "Voss DPS NKS Bjørkeli",
    "919865636": "Solli DPS", "922716552": "Betanien sykehus", "981275721": "Betanien Hospital Skien",
    "985773238": "Revmatismesykehuset", "985962170": "Martina Hansens Hospital",
    "986106839": "Haugesund Sanitetsforenings Revmatismesykehus", "987554401": "NKS Olaviken",
    "996380041": "NKS Jæren DPS",
}
_AGGREGATE_UNIT = re.compile(r"^H\d\d|\brhf\b|helseregion|health region|hele landet|the whole country|"
                             r"^helse (nord|vest|midt-norge|sør-øst)$", re.IGNORECASE)
#: Support units of the specialist service (no patients, no catchment), recognised by name: dropped, listed.
_SUPPORT_UNIT = re.compile(r"apotek|\bikt\b|innkjøp|pasientreiser|sykehusbygg|sykehuspartner|nasjonal ikt"
                           r"|helseforetakenes", re.IGNORECASE)
#: KOSTRA's region aggregates (``EAK`` the nation, ``EKG..`` groups, ``EKA..`` counties) and city districts.
KOSTRA_AGGREGATE = re.compile(r"^(E[A-Z]\w*|\d{6})$")
_TOTAL_CODES = ("TOT", "0", "00", "999A", "sum", "Ialt", "IALT", "00-99", "_T")


# --- the tables --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Conf:
    """How one SSB table becomes staff (or employed) rows; see the module docstring."""

    table: str
    kind: str  # staff | employed
    level: str  # municipality | trust
    region: str
    category: str
    contents: str | None = None
    contents_label: str = ""
    sector: str | None = None
    codes: dict = field(default_factory=dict)
    by_label: bool = False
    totals: dict = field(default_factory=dict)  # dimension -> the code to keep (its total, or a chosen one)
    other_groups: tuple[str, ...] = ()  # groups this table leaves to another (dropped, listed)


_CARE = dict(kind="staff", level="municipality", region="KOKkommuneregion0000", contents="KOSARBAARSVERKST0000",
             sector="care", by_label=True, other_groups=("physician", "gp"))
CONFS: dict[str, Conf] = {c.table: c for c in (
    Conf("11924", category="KOKkyrk200000", codes={f"KF0{i}": NURSE_CODE for i in range(1, 5)}, **_CARE),
    Conf("14534", category="KOKutdanningoms0000", codes={"01": ALL_NURSES}, totals={"KOKstillingkode0000": "TOT"},
         **_CARE),
    Conf("11996", "staff", "municipality", "KOKkommuneregion0000", "KOKfunksjon0000", "KOSlegeaarsverk0000",
         sector="primary", codes=FUNKSJON_11996, totals={"KOKavtaleform0000": "sum"}),
    Conf("13953", "staff", "trust", "HelseReg", "Yrke", "Arsverk", sector="specialist", codes=YRKE_13953,
         totals={"HelseTjenomr": "TOT"}),
    Conf("07940", "employed", "municipality", "Region", "UtdHelse", "Sysselsatte", by_label=True,
         totals={"Alder": "999A", "NACE2007": "86-87"}),
    Conf("07944", "employed", "municipality", "Region", "UtdHelse", None,
         r"(sysselsatte|employed)( personer| persons)?", by_label=True),
)}
#: Why a care table drops physicians: their FTE come from 11996 (which counts GPs with agreements too).
OTHER_GROUPS_NOTE = "physicians in care are taken from 11996"


def _norm(label: str) -> str:
    text = re.sub(r"(?<=[^\d\s])\d+$", "", str(label).casefold().strip())  # footnote digits
    text = re.sub(r"\s+(mv|m\.v)\.?$", "", text.strip()).strip(" .")
    return re.sub(r"\s+", " ", text)


def rule_for_label(label: str) -> Rule | None:
    """The rule of :data:`EDUCATION_LABELS` for a category label, None if none matches."""
    text = _norm(label)
    return next((r for p, r in _COMPILED if p.fullmatch(text)), None)


def _category_rules(frame: pd.DataFrame, conf: Conf, col: str, name: str) -> dict[str, Rule]:
    labels = frame.attrs.get("labels", {}).get(col, {})
    out, bad = {}, []
    for code in pd.unique(frame[col]):
        code = str(code)
        label = str(labels.get(code, code))
        if label.startswith(code + " ") and label != code:
            label = label[len(code) + 1:]  # "KF01 Psykiatrisk sykepleier"
        rule = conf.codes.get(code)
        if rule is None or rule.within:
            read = rule_for_label(label) if label != code else None
            if rule is not None:  # a verified code whose label must read as one of rule.within
                if read is None or read.group not in rule.within:
                    as_ = "no education of EDUCATION_LABELS" if read is None else read.group or read.why
                    bad.append(f"{name}: dimension {col!r}: code {code!r} is one of SSB's {'/'.join(rule.within)} "
                               f"categories, but its label {label!r} reads as {as_} (check the code table of "
                               "staff.py)")
                    continue
                rule = read
            elif conf.by_label:
                rule = read
        if rule is None:
            known = ", ".join(list(conf.codes)[:12])
            bad.append(f"{name}: dimension {col!r}: unknown code {code!r} ({label}): not in the code table of "
                       f"staff.py" + (f" (known: {known})" if known else "")
                       + (" and its label matches no education of EDUCATION_LABELS" if conf.by_label else ""))
            continue
        if rule.group in conf.other_groups:
            rule = Rule(why=f"no model group here ({OTHER_GROUPS_NOTE})")
        out[code] = rule
    if bad:
        raise ImportDataError(_capped(bad, name, col))
    return out


def _capped(lines: list[str], name: str, col: str) -> list[str]:
    if len(lines) <= _MAX_SHOWN:
        return lines
    return lines[:_MAX_SHOWN] + [f"{name}: column {col!r}: ... and {len(lines) - _MAX_SHOWN} more like these"]


# --- converters --------------------------------------------------------------------------------
def staff_from_jsonstat(frame: pd.DataFrame, regions: D.Regions | None = None, weights=None,
                        label: str | None = None) -> pd.DataFrame:
    """The staff table (:data:`STAFF_COLUMNS`) of one SSB table of :data:`CONFS` (11924, 14534,
    11996, 13953), parsed by :func:`~helsemod_py.data.jsonstat.parse_jsonstat2` (several files of
    the table may be concatenated). ``regions``: the 2024 municipalities (other codes are errors);
    ``weights``: 2024 code -> population, to share out split municipalities (else the documented
    shares). ``attrs``: ``table``, ``notes``, ``dropped`` and ``sums`` (lists of lines)."""
    return _convert(frame, "staff", regions, weights, label)


def employed_from_jsonstat(frame: pd.DataFrame, regions: D.Regions | None = None, weights=None,
                           label: str | None = None) -> pd.DataFrame:
    """The employed table (:data:`EMPLOYED_COLUMNS`) of SSB 07940 or 07944; as
    :func:`staff_from_jsonstat`."""
    return _convert(frame, "employed", regions, weights, label)


def _convert(frame, kind, regions, weights, label) -> pd.DataFrame:
    name = J._label(frame, label)
    table = frame.attrs.get("table")
    conf = CONFS.get(str(table))
    if conf is None or conf.kind != kind:
        known = ", ".join(t for t, c in CONFS.items() if c.kind == kind)
        raise ImportDataError(f"{name}: table {table} is not {'an' if kind[0] in 'aeiou' else 'a'} {kind} table "
                              f"(known: {known})")
    if frame.empty:
        raise ImportDataError(f"{name}: no cells")
    rc, cc, tc = (J._dim(frame, d, name) for d in (conf.region, conf.category, J.TIME))
    frame, notes = _reduce_dims(frame, conf, {rc, cc, tc}, name)
    rules = _category_rules(frame, conf, cc, name)
    labels = frame.attrs.get("labels", {}).get(cc, {})
    work = pd.DataFrame({"_code": frame[rc].astype(str).to_numpy(), "year": J._years(frame, tc, name),
                         "_cat": frame[cc].astype(str).to_numpy(), "value": frame["value"].to_numpy(float),
                         "status": J._status_col(frame)})
    empty = work["value"].isna() & ~work["status"].isin([s for s in J.SUPPRESSED if s != "."])
    work = work[~empty]
    early = (work["year"] < RG.FIRST_YEAR).to_numpy() & (conf.level == "municipality")
    if early.any():  # the correspondence of municipality codes starts in 2015
        notes.append(f"{name}: dropped the years before {RG.FIRST_YEAR} "
                     f"({J._span(sorted(set(work.loc[early, 'year'])))}): municipality codes are mapped from "
                     f"{RG.FIRST_YEAR} on")
        work = work[~early]
    if (work["value"] < 0).any():
        r = work[work["value"] < 0].iloc[0]
        raise ImportDataError(f"{name}: dimension {cc!r}: code {r['_cat']!r}: negative value {r['value']:g} for "
                              f"{rc}={r['_code']!r}, {tc}={r['year']}")
    work, more = (_trusts(work, frame, rc, name) if conf.level == "trust"
                  else _municipalities(work, regions, weights, rc, name))
    notes += more
    sums = _check_sums(work, rules, labels, cc, name)
    dropped = [f"{cc}={c} ({labels.get(c, c)}): {r.why}" for c, r in rules.items() if r.group is None and not r.is_sum]
    keep = work["_cat"].map(lambda c: rules[c].group is not None).to_numpy(bool)
    work = work[keep].copy()
    work["group"] = work["_cat"].map(lambda c: rules[c].group)
    work["sector"] = work["_cat"].map(lambda c: rules[c].sector or conf.sector)
    out, more = _aggregate(work, conf, name)
    out.attrs.update(table=conf.table, notes=notes + more, dropped=dropped, sums=sums)
    return out


def _reduce_dims(frame: pd.DataFrame, conf: Conf, used: set, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Keep the contents of :attr:`Conf.contents` and the total (or chosen) code of every other dimension."""
    notes = []
    for d in [c for c in frame.columns if c not in used | {"value", "status", "_file"}]:
        codes = [str(c) for c in pd.unique(frame[d])]
        labels = frame.attrs.get("labels", {}).get(d, {})
        want = conf.totals.get(d)
        if d.lower() == J.CONTENTS.lower():
            want = conf.contents
            if want is None:
                hits = [c for c in codes if re.fullmatch(conf.contents_label, _norm(labels.get(c, c)))]
                want = hits[0] if len(hits) == 1 else None
                if want is None:
                    raise ImportDataError(f"{name}: dimension {d!r}: {len(hits)} contents match "
                                          f"{conf.contents_label!r} (codes: {', '.join(codes[:8])}); need one")
        if want is None:
            hits = [c for c in codes if c in _TOTAL_CODES or rule_for_label(labels.get(c, c)) is TOTAL]
            if len(hits) != 1:
                raise ImportDataError(f"{name}: dimension {d!r} has {len(codes)} categories and "
                                      f"{'no' if not hits else len(hits)} total(s) (codes: {', '.join(codes[:8])}): "
                                      "select its total (the table is read by region, year and category only)")
            want = hits[0]
            notes.append(f"{name}: dimension {d!r}: kept the total {want!r} ({labels.get(want, want)})")
        if want not in codes:
            raise ImportDataError(f"{name}: dimension {d!r}: code {want!r} not found (codes: {', '.join(codes[:8])})"
                                  + ("" if d.lower() == J.CONTENTS.lower() else "; the table needs it"))
        frame = frame[frame[d].astype(str) == want]
    return frame, notes


def _municipalities(work, regions, weights, rc, name) -> tuple[pd.DataFrame, list[str]]:
    agg = work["_code"].str.match(KOSTRA_AGGREGATE.pattern)
    notes = []
    if agg.any():
        codes = sorted(set(work.loc[agg, "_code"]))
        notes.append(f"{name}: dropped KOSTRA aggregate(s) and city districts {', '.join(codes[:10])}"
                     + (" ..." if len(codes) > 10 else ""))
    resolver = J.RegionResolver(regions if regions is not None else _regions_2024(), weights)
    long, more = J._expand_regions(work[~agg], resolver, name, rc)
    return long, notes + more


@lru_cache(maxsize=1)
def _regions_2024() -> D.Regions:
    """The 2024 municipalities by code only (when no municipality list is given)."""
    codes = tuple(sorted(municipality_codes()))
    return D.Regions(codes, codes, tuple(c[:2] for c in codes), {})


@lru_cache(maxsize=1)
def _trust_names() -> dict[str, str]:
    from .trusts import _table

    out = {}
    for code, t in _table()["trusts"].items():
        full = _norm(t["name"])
        out[full] = code
        out[re.sub(r"\s+(hf|as)$", "", full)] = code
    return out


def resolve_trust(code: str, label: str = "") -> str | None:
    """The trust code of ``trusts_2024.yaml`` for an SSB ``HelseReg`` code (and label), ``None``
    for a unit that is no such trust (nation, health region, RHF, :data:`NOT_TRUSTS`, support units
    such as hospital pharmacies and IT by name); raises ``KeyError`` for an unknown unit."""
    code = str(code).strip()
    if code in TRUST_ORGNR:
        return TRUST_ORGNR[code]
    name = _norm(re.sub(r"\s*\([^()]*\d{4}[^()]*\)\s*$", "", str(label)))
    if code in NOT_TRUSTS or _AGGREGATE_UNIT.search(code) or _AGGREGATE_UNIT.search(name) \
            or _SUPPORT_UNIT.search(name):
        return None
    hit = _trust_names().get(name) or _trust_names().get(re.sub(r"\s+(hf|as)$", "", name))
    if hit is None:
        raise KeyError("unknown trust")
    return hit


def _trusts(work, frame, rc, name) -> tuple[pd.DataFrame, list[str]]:
    labels = frame.attrs.get("labels", {}).get(rc, {})
    mapping, dropped, bad = {}, [], []
    for code in pd.unique(work["_code"]):
        try:
            mapping[code] = resolve_trust(code, labels.get(code, ""))
        except KeyError:
            bad.append(f"{name}: dimension {rc!r}: unknown trust {code!r} ({labels.get(code, 'no label')}): not a "
                       f"trust of trusts_2024.yaml by organisation number or name, nor a health region, RHF or "
                       "support unit (add it to TRUST_ORGNR or NOT_TRUSTS in staff.py)")
        if mapping.get(code, 0) is None:
            dropped.append(f"{code} ({labels.get(code, code)})")
    if bad:
        raise ImportDataError(_capped(bad, name, rc))
    out = work.assign(region=work["_code"].map(mapping))
    notes = [f"{name}: dropped units that are no trust of trusts_2024.yaml: {', '.join(dropped)}"] if dropped else []
    merged = {t: sorted(c for c, v in mapping.items() if v == t) for t in set(mapping.values()) - {None}}
    notes += [f"{name}: trust {t!r} is the sum of {' + '.join(cs)}" for t, cs in sorted(merged.items()) if len(cs) > 1]
    return out[out["region"].notna()].drop(columns="_code"), notes


def _check_sums(work, rules, labels, col, name) -> list[str]:
    """Drop-listed sums; a sum whose parts are absent, or exceeded by them, is an error."""
    sums = []
    parts_of = work.assign(_g=work["_cat"].map(lambda c: rules[c].group))
    for code, rule in rules.items():
        if not rule.is_sum:
            continue
        label = labels.get(code, code)
        sums.append(f"{col}={code} ({label}): {rule.why}")
        if not rule.sum_of:
            continue
        parts = parts_of[parts_of["_g"].isin(rule.sum_of)]
        if parts.empty:
            raise ImportDataError(f"{name}: dimension {col!r}: code {code!r} ({label}) is a {rule.why}, but the file "
                                  "has none of them: download every category (it is never counted itself)")
        key = ["region", "year"]
        tot = work[work["_cat"] == code].groupby(key)["value"].sum(min_count=1).dropna().rename("t")
        both = tot.to_frame().join(parts.groupby(key)["value"].sum().rename("p"), how="inner")
        total, have = float(both["t"].sum()), float(both["p"].sum())
        if have > total * 1.01 + 1.0:
            raise ImportDataError(f"{name}: dimension {col!r}: the categories read as {', '.join(rule.sum_of[:3])}"
                                  f"{'...' if len(rule.sum_of) > 3 else ''} add up to {have:,.1f}, more than their "
                                  f"sum {code!r} ({label}, {total:,.1f}): a sub-total is read as a group (double "
                                  "counting); check the code table of staff.py")
    return sums


def _aggregate(work, conf, name) -> tuple[pd.DataFrame, list[str]]:
    keys = ["region", "year", "group"] + (["sector"] if conf.kind == "staff" else [])
    sup = work["value"].isna()
    cells = work.assign(_sup=sup).groupby(keys, sort=False).agg(value=("value", "sum"), _sup=("_sup", "any"))
    notes = []
    if cells["_sup"].any():
        notes.append(f"{name}: left out {int(cells['_sup'].sum())} cell(s) with a part suppressed by SSB "
                     "(':', '..' or '...')")
    cells = cells[~cells["_sup"]].reset_index()
    if cells.empty:
        raise ImportDataError(f"{name}: no cells left: every category is a sum or has no model group, or every "
                              "value is missing")
    cells["year"] = cells["year"].astype(np.int64)
    cells["table"] = conf.table
    if conf.kind == "employed":
        out = cells.rename(columns={"value": "persons"})[list(EMPLOYED_COLUMNS)]
        order = ["region", "year", "_g"]
    else:
        out = cells.rename(columns={"value": "fte"}).assign(level=conf.level)[list(STAFF_COLUMNS)]
        out["_s"] = out["sector"].map(D.SECTORS.index)
        order = ["region", "year", "_s", "_g"]
    out["_g"] = out["group"].map(D.GROUPS.index)
    out = out.sort_values(order, kind="stable").drop(columns=[c for c in ("_s", "_g") if c in out])
    return out.reset_index(drop=True), notes


def combine(frames: list[pd.DataFrame], kind: str = "staff") -> pd.DataFrame:
    """Several converted tables as one (``kind`` ``staff`` or ``employed``); cells given by two
    tables are an error, one line per pair of tables: a later table never overwrites another's."""
    key = list(STAFF_KEY if kind == "staff" else EMPLOYED_KEY)
    out = pd.concat(frames, ignore_index=True)
    dup = out[out.duplicated(key, keep=False)]
    if len(dup):
        pairs = dup.groupby(key, sort=False)["table"].agg(lambda t: " and ".join(sorted(set(t))))
        lines = []
        for tables, cells in pairs.groupby(pairs, sort=False):
            first = cells.index[0]
            where = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={int(v)}" for k, v in zip(key, first))
            years = J._span(sorted({int(c[key.index("year")]) for c in cells.index}))
            lines.append(f"{STAFF_FILE if kind == 'staff' else EMPLOYED_FILE}: {len(cells)} cell(s) of {years} come "
                         f"from both tables {tables}, first {where}: give one table per cell and year")
        raise ImportDataError(lines)
    out.attrs = {"tables": sorted({t for f in frames for t in f["table"].unique()})}
    return out


def write_table(frame: pd.DataFrame, path, kind: str = "staff") -> None:
    """Write ``staff.csv`` / ``employed.csv`` (codes as text)."""
    cols = list(STAFF_COLUMNS if kind == "staff" else EMPLOYED_COLUMNS)
    frame[cols].to_csv(path, index=False, float_format="%.10g")


# --- reading the project's CSV ------------------------------------------------------------------
@lru_cache(maxsize=1)
def municipality_codes() -> frozenset:
    """The 357 municipality codes of 2024 (those of ``trusts_2024.yaml``'s catchments)."""
    from .trusts import _table

    return frozenset(c for t in _table()["trusts"].values() for c in t["municipalities"])


def trust_codes() -> tuple[str, ...]:
    from .trusts import _table

    return tuple(_table()["trusts"])


def read_staff_table(path) -> pd.DataFrame:
    """Read and check ``staff.csv`` (:data:`STAFF_COLUMNS`, codes as text). Every problem is one
    line of :class:`~helsemod_py.errors.ImportDataError` naming file, row, column, value and what is
    allowed (at most five lines per column). Returns ``year`` as int, ``fte`` as float."""
    frame, name = _read(path, STAFF_COLUMNS)
    problems = _check_common(frame, name, "fte")
    problems += _check_codes(frame, name, "level", LEVELS)
    problems += _check_codes(frame, name, "sector", D.SECTORS)
    problems += _check_regions(frame, name)
    problems += _check_duplicates(frame, name, STAFF_KEY)
    if problems:
        raise ImportDataError(problems)
    out = _typed(frame, "fte")
    out.attrs["file"] = name
    return out


def read_employed_table(path) -> pd.DataFrame:
    """Read and check ``employed.csv`` (:data:`EMPLOYED_COLUMNS`); as :func:`read_staff_table`."""
    frame, name = _read(path, EMPLOYED_COLUMNS)
    problems = _check_common(frame, name, "persons")
    problems += _check_regions(frame.assign(level="municipality"), name)
    problems += _check_duplicates(frame, name, EMPLOYED_KEY)
    if problems:
        raise ImportDataError(problems)
    return _typed(frame, "persons")


def _read(path, columns) -> tuple[pd.DataFrame, str]:
    path = J.check_input(Path(path))
    name = path.name
    with open(path, "rb") as fh:  # blank: whitespace only (read no more than a header's worth)
        blank = not fh.read(4096).strip() and path.stat().st_size <= 4096
    if blank:
        raise ImportDataError(f"{name}: empty file (need a header {','.join(columns)} and one row per cell)")
    from .ssb import _read_csv

    frame = _read_csv(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    lines = [f"{name}: missing column {c!r} (need {', '.join(columns)})" for c in columns if c not in frame]
    lines += [f"{name}: unexpected column {c!r} (allowed: {', '.join(columns)})" for c in frame if c not in columns]
    if lines:
        raise ImportDataError(lines)
    if frame.empty:
        raise ImportDataError(f"{name}: no rows (only a header)")
    return frame[list(columns)].apply(lambda s: s.str.strip()), name


def _bad(frame, name, col, mask, what) -> list[str]:
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    return _capped([f"{name}: row {i + 2}: column {col!r}: {frame[col].iloc[i]!r} {what}" for i in rows], name, col)


def _check_codes(frame, name, col, allowed) -> list[str]:
    return _bad(frame, name, col, ~frame[col].isin(allowed), f"is not allowed (allowed: {', '.join(allowed)})")


def _check_common(frame, name, value_col) -> list[str]:
    problems = _check_codes(frame, name, "group", D.GROUPS)
    problems += _bad(frame, name, "year", ~frame["year"].str.fullmatch(r"(19|20)\d\d"), "is not a year")
    values = pd.to_numeric(frame[value_col], errors="coerce").to_numpy(float)
    problems += _bad(frame, name, value_col, ~np.isfinite(values), "is not a number")
    problems += _bad(frame, name, value_col, np.isfinite(values) & (values < 0), "is negative (allowed: >= 0)")
    problems += _bad(frame, name, "table", ~frame["table"].str.fullmatch(r"\d{5}"),
                     "is not an SSB table id (allowed: five digits, e.g. 11924)")
    return problems


def _check_regions(frame, name) -> list[str]:
    lines, mismatch = [], []
    trusts, munis = trust_codes(), municipality_codes()
    for i, (level, code) in enumerate(zip(frame["level"], frame["region"])):
        if level == "trust" and code not in trusts:
            lines.append(f"{name}: row {i + 2}: column 'region': {code!r} is not a trust code (allowed: "
                         f"{', '.join(trusts)})")
        elif level == "municipality" and code not in munis:
            note = RG.retired_code_note(code)
            lines.append(f"{name}: row {i + 2}: column 'region': {code!r} is not a 2024 municipality code"
                         + (f" ({note})" if note else "") + f" (allowed: the {len(munis)} codes of 2024, e.g. 0301)")
        elif "sector" in frame and level in LEVELS and frame["sector"].iloc[i] in D.SECTORS and \
                (level == "trust") != (frame["sector"].iloc[i] == "specialist"):
            mismatch.append(f"{name}: row {i + 2}: column 'sector': {frame['sector'].iloc[i]!r} does not go with level "
                         f"{level!r} (allowed: specialist at trust level, care or primary at municipality level)")
    return _capped(lines, name, "region") + _capped(mismatch, name, "sector")


def _check_duplicates(frame, name, key) -> list[str]:
    key = list(key)
    first = pd.Series(np.arange(len(frame))).groupby([frame[k].to_numpy() for k in key]).transform("first")
    dup = np.flatnonzero(frame.duplicated(key, keep="first").to_numpy())
    lines = [f"{name}: row {i + 2}: duplicate of row {first.iloc[i] + 2} ("
             + ", ".join(f"{k}={frame[k].iloc[i]!r}" for k in key) + "): one row per cell" for i in dup]
    return _capped(lines, name, "+".join(key))


def _typed(frame, value_col) -> pd.DataFrame:
    out = frame.copy()
    out["year"] = out["year"].astype(np.int64)
    out[value_col] = out[value_col].astype(float)
    return out


# --- import ------------------------------------------------------------------------------------
def import_tables(frames: dict[str, list[pd.DataFrame]], kind: str, regions=None, weights=None
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Convert the parsed files of each table (table id -> frames, ``_file`` naming each) and
    combine them; returns the table and the notes for the import manifest."""
    convert = staff_from_jsonstat if kind == "staff" else employed_from_jsonstat
    outs, notes = [], []
    for table, group in frames.items():
        frame = pd.concat(group, ignore_index=True)
        frame.attrs = dict(group[0].attrs)
        labels: dict = {}
        for g in group:  # the parts of a split download may hold different codes
            for d, m in g.attrs.get("labels", {}).items():
                labels.setdefault(d, {}).update(m)
        frame.attrs["labels"] = labels
        files = sorted(set(frame["_file"])) if "_file" in frame else []
        label = " + ".join(files) if 0 < len(files) <= 3 else f"table {table}"
        dims = [c for c in frame.columns if c not in ("value", "status", "_file")]
        J._check_duplicates(frame, dims, label)
        out = convert(frame, regions=regions, weights=weights, label=label)
        notes += out.attrs["notes"]
        notes += [f"{label}: not counted: {line}" for line in out.attrs["sums"] + out.attrs["dropped"]]
        outs.append(out)
    return combine(outs, kind), notes
