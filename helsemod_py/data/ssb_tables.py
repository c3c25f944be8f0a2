"""The SSB tables the model uses (:data:`TABLES`: what each is, how to query it, how to convert it;
see :mod:`.fetch`) and two helpers fetching and importing share (:func:`_stamp`, :func:`_sha`)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Callable

from ..errors import ImportDataError
from . import jsonstat as J
from . import staff as S

LANG = "en"
#: SSB's limit on the number of cells in one query.
CELL_LIMIT = 800_000


AGE_CODES = tuple(f"{a:03d}" for a in range(105)) + ("105+",)  #: Alder codes of 07459


@dataclass(frozen=True)
class TableSpec:
    """One SSB table the model uses: what it is, how to query it, how to convert it.

    ``select``: dimension -> value codes (``"*"``, ``"from(2015)"``, ``"top(3)"`` or a tuple of
    codes); dimensions not named get ``"*"``. ``codelist``/``output_values``: PxWebApi v2's
    ``codelist[...]`` and ``outputValues[...]`` (e.g. SSB's aggregation to today's
    municipalities). ``chunk``: the dimension along which a query is split when it would
    exceed :data:`CELL_LIMIT`. ``kind``: ``population``, ``projection``, ``kostra``, ``staff``
    or ``employed`` (which converter :func:`import_files` uses). ``lang``: the labels' language.
    """

    id: str
    description: str
    used_for: str
    kind: str
    select: dict = field(default_factory=dict)
    codelist: dict = field(default_factory=dict)
    output_values: dict = field(default_factory=dict)
    chunk: str = "Tid"
    lang: str = LANG

    @property
    def converter(self) -> Callable:
        """The function turning the parsed table into the project's table."""
        return {"population": J.population_from_jsonstat, "projection": J.projection_from_jsonstat,
                "staff": S.staff_from_jsonstat, "employed": S.employed_from_jsonstat}.get(self.kind, J.long_table)

    def queries(self, metadata: dict[str, list[str]], cell_limit: int = CELL_LIMIT) -> list[dict[str, str]]:
        """The URL parameters of the data queries, given the table's metadata (dimension ->
        codes); split along :attr:`chunk` so each query has at most ``cell_limit`` cells
        (counted on the metadata's codes: an upper bound where a codelist aggregates)."""
        for d in list(self.select) + list(self.codelist):
            if d not in metadata:
                raise ImportDataError(f"table {self.id}: SSB's metadata has no dimension {d!r} "
                                      f"(dimensions: {', '.join(metadata)}); the query in TABLES needs updating")
        chosen = {d: _resolve(self.select.get(d, "*"), codes, self.id, d) for d, codes in metadata.items()}
        pieces = _split_plan(chosen, self.chunk, cell_limit)
        out = []
        for combo in itertools.product(*(pieces[d] for d in metadata)):
            params = {"lang": self.lang, "outputFormat": "json-stat2"}
            for d, piece in zip(metadata, combo):
                if d in self.codelist:
                    params[f"codelist[{d}]"] = self.codelist[d]
                if d in self.output_values:
                    params[f"outputValues[{d}]"] = self.output_values[d]
                sel = self.select.get(d, "*")
                if piece is not None:
                    params[f"valueCodes[{d}]"] = ",".join(piece)
                else:
                    params[f"valueCodes[{d}]"] = sel if isinstance(sel, str) else ",".join(sel)
            out.append(params)
        return out


def _split_plan(chosen: dict[str, list[str]], first: str, limit: int) -> dict[str, list]:
    """Pieces of each dimension's codes (``[None]`` = not split) so every query has at most
    ``limit`` cells: split ``first`` first, then the largest other dimensions as needed."""
    sizes = {d: max(1, len(v)) for d, v in chosen.items()}
    pieces: dict[str, list] = {d: [None] for d in chosen}
    cells = math.prod(sizes.values())
    order = ([first] if first in chosen else []) + sorted((d for d in chosen if d != first), key=lambda d: -sizes[d])
    for d in order:
        if cells <= limit:
            break
        others = cells // sizes[d]
        per = max(1, limit // max(1, others))
        if per < sizes[d]:
            codes = chosen[d]
            pieces[d] = [codes[i:i + per] for i in range(0, len(codes), per)]
            cells = others * per
    return pieces


def _resolve(sel, codes: list[str], table: str, dim: str) -> list[str]:
    if isinstance(sel, (tuple, list)):
        missing = [c for c in sel if c not in codes]
        if missing:
            raise ImportDataError(f"table {table}: dimension {dim!r}: SSB's metadata has no code {missing[0]!r}")
        return list(sel)
    sel = str(sel).strip()
    if sel == "*":
        return list(codes)
    m = re.fullmatch(r"from\((.+)\)", sel)
    if m:
        return [c for c in codes if c >= m.group(1)]
    m = re.fullmatch(r"top\((\d+)\)", sel)
    if m:
        return list(codes[-int(m.group(1)):])
    return [sel]


_POP = dict(select={"Region": "*", "Kjonn": ("1", "2"), "Alder": "*", "ContentsCode": ("Personer1",),
                    "Tid": "from(2015)"},
            codelist={"Region": "agg_KommSummer"}, output_values={"Region": "aggregated"}, chunk="Alder")
_PROJ = dict(select={"Region": "*", "Kjonn": ("1", "2"), "Alder": "*", "ContentsCode": "*", "Tid": "*"},
             chunk="Alder")
_KOSTRA = dict(select={"Tid": "from(2015)"}, chunk="Tid")
_STAFF = "staff.csv: agreed FTE by level, region, year, sector and personnel group (see helsemod_py.data.staff)"
_UNVERIFIED = "codes not verified against SSB's metadata are read by their labels (staff.py says which)"


def _personnel(table: str, **select) -> dict:
    """The query of a personnel table: every code of its region and category dimensions (named, so
    that a wrong dimension id fails against SSB's metadata before any download), Norwegian labels."""
    conf = S.CONFS[table]
    return dict(select={conf.region: "*", conf.category: "*", **select}, lang="no")

#: The SSB tables the model uses (id -> :class:`TableSpec`).
TABLES: dict[str, TableSpec] = {s.id: s for s in (
    TableSpec("07459", "Population 1 January by region, sex, one-year age and year (municipalities summed to "
                       "today's borders: agg_KommSummer)",
              "population history: base-year population, fertility and net migration (data build)",
              "population", **_POP),
    TableSpec("14288", "Projected population 1 January by region, sex, age and year, all alternatives "
                       "(2024 projections)",
              "external population projection as the demand driver (scenario population_driver: source: file)",
              "projection", **_PROJ),
    TableSpec("14746", "Projected population 1 January by region, sex, age and year, all alternatives "
                       "(assumed the same layout as 14288)",
              "external population projection as the demand driver", "projection", **_PROJ),
    TableSpec("04686", "KOSTRA: municipal health and care services (kept as a long table)",
              "KOSTRA care panel: users of home-based services", "kostra", **_KOSTRA),
    TableSpec("12292", "KOSTRA: residents of institutions and users of home-based services by need and age",
              "KOSTRA care panel: nursing-home residents and home-care users by age", "kostra", **_KOSTRA),
    TableSpec("11645", "KOSTRA: municipal care services (kept as a long table)",
              "KOSTRA care panel", "kostra", **_KOSTRA),
    TableSpec("11924", "KOSTRA: agreed FTE in municipal care services by education, municipalities, 2015-2023 "
                       "(closed). Verified: KOKkommuneregion0000, KOKkyrk200000 (KF01-KF04 nurse categories), "
                       f"ContentsCode KOSARBAARSVERKST0000; {_UNVERIFIED}",
              _STAFF + ", sector care", "staff",
              **_personnel("11924", ContentsCode=("KOSARBAARSVERKST0000",), Tid="from(2015)")),
    TableSpec("14534", "KOSTRA: FTE in municipal care services by position type and education, 2015-. Verified: "
                       "KOKkommuneregion0000, KOKstillingkode0000 (TOT), KOKutdanningoms0000 (01 = all nurses), "
                       f"ContentsCode KOSARBAARSVERKST0000; {_UNVERIFIED}",
              _STAFF + ", sector care", "staff",
              **_personnel("14534", KOKstillingkode0000=("TOT",), ContentsCode=("KOSARBAARSVERKST0000",),
                           Tid="from(2015)")),
    TableSpec("11996", "KOSTRA: physician FTE in municipal health and care services by agreement and function. "
                       "Verified: KOKkommuneregion0000, KOKavtaleform0000 (sum), KOKfunksjon0000 (FGK10, 120, 232, "
                       "233, 241, 253, 256), ContentsCode KOSlegeaarsverk0000",
              _STAFF + ": GPs (function 241) and other physicians, sectors primary and care", "staff",
              **_personnel("11996", KOKavtaleform0000=("sum",), ContentsCode=("KOSlegeaarsverk0000",),
                           Tid="from(2015)")),
    TableSpec("13953", "Agreed FTE in the specialist health service by health trust, occupation and service area. "
                       "Verified: HelseReg (organisation numbers), Yrke (TOT, 01-19, 20a, 20b, 21-27, 99), "
                       "HelseTjenomr (TOT), ContentsCode Arsverk",
              _STAFF + ", level trust, sector specialist", "staff",
              **_personnel("13953", HelseTjenomr=("TOT",), ContentsCode=("Arsverk",))),
    TableSpec("07940", "Employed persons with health and social education by municipality (summed to today's "
                       "borders), education, age and industry. Verified (a public client's query): Region with "
                       "agg_KommSummer, UtdHelse, Alder 999A, NACE2007 86-87, ContentsCode Sysselsatte; the UtdHelse "
                       "codes are read by their labels",
              "employed.csv: employed persons with each health education by municipality and year, in human "
              "health and residential care (NACE 86-87)", "employed",
              codelist={"Region": "agg_KommSummer"}, output_values={"Region": "aggregated"},
              **_personnel("07940", Alder=("999A",), NACE2007=("86-87",), ContentsCode=("Sysselsatte",),
                           Tid="from(2015)")),
    TableSpec("07944", "Employed persons in health and social services with health education by sector and "
                       "municipality, 2008-2019 (closed). Assumed: dimensions Region and UtdHelse (as 07940); the "
                       "contents and the totals of the other dimensions (sector, sex) are found by their labels",
              "employed.csv (2015-2019: municipality codes are mapped from 2015 on)", "employed",
              **_personnel("07944", Tid="from(2015)")),
)}
#: Projection tables read from SSB's long CSV (earlier vintages: 2020 and 2022 projections).
EXTRA_PROJECTION_TABLES = ("12882", "13600")


# --- shared by fetching and importing ---------------------------------------------------------
def _stamp(now: _dt.datetime | None) -> tuple[str, str]:
    now = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ"), now.isoformat(timespec="seconds").replace("+00:00", "Z")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
