"""Dimension names and label sets: the one place the model's axes are defined.

The personnel groups and the transitions between them come from the registry
``helsemod_py/groups.yaml`` (:mod:`helsemod_py.groups`); the rest is defined here.

Every module imports the dimension names and code lists from here (the pyam habit of
index constants), so a label typo is an ``ImportError`` or a validation error, never a
silently misaligned array.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from . import groups as _groups

# --- dimension names (also the column names of tidy tables) -------------------------
REGION = "region"
COUNTY = "county"
SEX = "sex"
AGE = "age"
GROUP = "group"
SERVICE = "service"
TRANSITION = "transition"
SECTOR = "sector"
TRUST = "trust"
YEAR = "year"
DRAW = "draw"

#: Columns of the long (tidy) result table, in order.
LONG_COLUMNS = (
    "scenario",
    "region",
    "region_name",
    "region_level",
    "county",  # the county a municipality (or a trust's main catchment) lies in; a county its own code
    "sector",
    "group",
    "service",
    "year",
    "variable",
    "unit",
    "value",
)

REGION_LEVELS = ("municipality", "county", "nation")
#: Every level results can be shown at: the regions above plus hospital trusts (specialist services).
RESULT_LEVELS = ("municipality", "trust", "county", "nation")
NATION_CODE = "0"
NATION_NAME = "Norge"

# --- sex and age ----------------------------------------------------------------------
SEXES = ("male", "female")
MAX_AGE = 105  #: last (open) population age group: 105 means 105 and older
AGES = np.arange(0, MAX_AGE + 1)  #: population ages 0..105+
WORK_AGE_MIN = 16
WORK_AGE_MAX = 74  #: persons older than this leave the workforce stock
WORK_AGES = np.arange(WORK_AGE_MIN, WORK_AGE_MAX + 1)  #: 59 one-year ages 16..74
FERTILE_AGE_MIN = 15
FERTILE_AGE_MAX = 49


@dataclass(frozen=True)
class Label:
    """A code with its Norwegian and English names."""

    code: str
    nb: str
    en: str


# --- personnel (education) groups: from the registry (helsemod_py/groups.yaml) ---------
#: Each group's code, Norwegian and English name, in the model's order (the registry's).
GROUP_LABELS = tuple(Label(g.code, g.nb, g.en) for g in _groups.registry().groups)
GROUPS = tuple(lbl.code for lbl in GROUP_LABELS)

# --- services demanding personnel -----------------------------------------------------
SERVICE_LABELS = (
    Label("nursing_home", "Sykehjem og heldøgns omsorg", "Nursing homes / 24-hour care"),
    Label("home_care", "Hjemmebaserte tjenester", "Home-based services"),
    Label("gp_emergency", "Fastlege og legevakt", "GP and emergency primary care"),
    Label("health_station", "Helsestasjon og skolehelsetjeneste", "Health stations and school health"),
    Label("mental_health", "Psykisk helse og rus", "Mental health and substance abuse"),
    Label("rehabilitation", "Habilitering og rehabilitering", "Rehabilitation"),
    Label("dental", "Tannhelsetjenesten (fylkeskommunal)", "Public dental service (county)"),
    Label("other_municipal", "Andre kommunale helse- og omsorgstjenester", "Other municipal health and care"),
    Label("specialist", "Spesialisthelsetjenesten (etter bosted)", "Specialist health service (by residence)"),
)
SERVICES = tuple(lbl.code for lbl in SERVICE_LABELS)
_groups.check_service_shares(SERVICES)

# --- sectors where personnel work -------------------------------------------------------
SECTOR_LABELS = (
    Label("care", "Kommunale omsorgstjenester (hjemmetjenester og heldøgns omsorg)",
          "Municipal care services (home-based and 24-hour care)"),
    Label("primary", "Andre kommunale og fylkeskommunale helsetjenester",
          "Other municipal and county health services"),
    Label("specialist", "Spesialisthelsetjenesten (helseforetak)", "Specialist health services (hospital trusts)"),
)
#: Sectors of work. ``care`` is KOSTRA's scope of municipal care (the services ``home_care`` and
#: ``nursing_home``), ``primary`` the other municipal services and the county dental service,
#: ``specialist`` the hospital trusts. Employed persons outside these work in other industries
#: or private practice without public funding; they are not part of supply.
SECTORS = tuple(lbl.code for lbl in SECTOR_LABELS)
#: The sector each service is delivered in.
SERVICE_SECTOR = {
    "nursing_home": "care", "home_care": "care", "gp_emergency": "primary", "health_station": "primary",
    "mental_health": "primary", "rehabilitation": "primary", "dental": "primary", "other_municipal": "primary",
    "specialist": "specialist",
}
#: Sectors whose supply and demand are located in the municipality (the rest at hospital trusts).
MUNICIPAL_SECTORS = ("care", "primary")
#: Groups with a nursing education (``nursing: true`` in the registry): their FTE in ``care`` is KOSTRA's "nurses in the care services"
#: (SSB 11924/14534; the panel's ``Y_5``), the result variable ``care_nurse_fte``.
NURSE_GROUPS = tuple(g.code for g in _groups.registry().groups if g.nursing)

# --- group-to-group transitions (further education, trade certificates, specialisation), in
# the registry's order: (from, to), e.g. ("unskilled", "health_worker") for a trade certificate
TRANSITION_PAIRS = tuple((t.source, t.target) for t in _groups.registry().transitions)
TRANSITIONS = tuple(f"{a}>{b}" for a, b in TRANSITION_PAIRS)

LABELS = {
    GROUP: {lbl.code: lbl for lbl in GROUP_LABELS},
    SERVICE: {lbl.code: lbl for lbl in SERVICE_LABELS},
    SECTOR: {lbl.code: lbl for lbl in SECTOR_LABELS},
}


def coords_for(dim: str) -> tuple:
    """Fixed labels of a dimension (regions and years depend on the dataset and run)."""
    fixed = {
        SEX: SEXES,
        GROUP: GROUPS,
        SERVICE: SERVICES,
        SECTOR: SECTORS,
        TRANSITION: TRANSITIONS,
    }
    if dim in fixed:
        return fixed[dim]
    raise KeyError(f"dimension {dim!r} has no fixed labels")


def service_sector_index() -> np.ndarray:
    """For each service, the position of its sector in ``SECTORS`` (int64)."""
    return np.array([SECTORS.index(SERVICE_SECTOR[k]) for k in SERVICES], dtype=np.int64)


def transition_index() -> tuple[np.ndarray, np.ndarray]:
    """Positions (from, to) in ``GROUPS`` of each transition, as int64 arrays."""
    src = np.array([GROUPS.index(a) for a, _ in TRANSITION_PAIRS], dtype=np.int64)
    dst = np.array([GROUPS.index(b) for _, b in TRANSITION_PAIRS], dtype=np.int64)
    return src, dst


#: Direction words that start many names ("Nord-Fron", "Sør-Odal"): never a name form of their own.
_PREFIXES = {"nord", "sor", "midt", "stor", "ovre", "nedre", "vestre", "ostre", "indre", "ytre"}
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "å": "a", "ŋ": "n", "đ": "d", "ŧ": "t", "ž": "z", "č": "c", "š": "s"})


def normalise_name(text: str) -> str:
    """A name for matching: lower case, Norwegian and Sámi letters folded (ø -> o, å -> a, æ -> ae,
    á -> a), spaces collapsed: "Tromsø" and "tromso" match, so do "Guovdageaidnu" forms."""
    import unicodedata

    low = " ".join(str(text).split()).lower().translate(_FOLD)
    return "".join(ch for ch in unicodedata.normalize("NFKD", low) if not unicodedata.combining(ch))


#: Counties that no longer exist (2024 structure): name or code -> (what happened, the 2024 county
#: codes that hold its municipalities). Planners still write them; the message names today's.
FORMER_COUNTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    **{k: ("a county 2020-2023, split in 2024", ("31", "32", "33")) for k in ("Viken", "30")},
    **{k: ("a county 2020-2023, split in 2024", ("39", "40")) for k in ("Vestfold og Telemark", "38")},
    **{k: ("a county 2020-2023, split in 2024", ("55", "56")) for k in ("Troms og Finnmark", "54")},
    **{k: ("a county until 2019, merged in 2020", ("34",)) for k in ("Hedmark", "Oppland")},
    **{k: ("a county until 2019, merged in 2020", ("42",)) for k in ("Aust-Agder", "Vest-Agder")},
    **{k: ("a county until 2019, merged in 2020", ("46",)) for k in ("Hordaland", "Sogn og Fjordane")},
    **{k: ("a county until 2017, merged in 2018", ("50",)) for k in ("Sør-Trøndelag", "Nord-Trøndelag")},
}


@dataclass(frozen=True)
class Regions:
    """The municipalities of a dataset and the counties they belong to.

    ``codes`` are municipality codes as text (leading zeros matter), ``county_codes`` the
    county of each municipality, ``county_names`` maps county code to name.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    county_codes: tuple[str, ...]
    county_names: dict[str, str] = field(default_factory=dict)
    #: Codes and normalised names of the country's regions a subset left out (a scenario may
    #: target them: they match no municipality of the subset).
    outside: frozenset = frozenset()

    def __post_init__(self) -> None:
        n = len(self.codes)
        if not (len(self.names) == len(self.county_codes) == n):
            raise ValueError("codes, names and county_codes must have the same length")
        if len(set(self.codes)) != n:
            raise ValueError("municipality codes must be unique")

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def counties(self) -> tuple[str, ...]:
        """County codes in order of first appearance."""
        return tuple(dict.fromkeys(self.county_codes))

    def county_index(self) -> np.ndarray:
        """For each municipality, the position of its county in ``counties`` (int64)."""
        pos = {c: i for i, c in enumerate(self.counties)}
        return np.array([pos[c] for c in self.county_codes], dtype=np.int64)

    def name_of(self, code: str) -> str:
        """Name of a municipality, county or the nation from its code."""
        if code == NATION_CODE:
            return NATION_NAME
        if code in self.county_names:
            return self.county_names[code]
        return self.names[self.codes.index(code)]

    @functools.cached_property
    def _names(self) -> dict[str, set]:
        """Normalised name forms -> every ``(level, code)`` that bears it: each full name, and each
        language form of SSB's joined names ("Oslo-Oslove", "Guovdageaidnu-Kautokeino") except
        direction prefixes ("Nord-", "Sør-")."""
        out: dict[str, set] = {}
        entries = [("county", c, n) for c, n in self.county_names.items()] + [
            ("municipality", c, n) for c, n in zip(self.codes, self.names)]
        for level, code, name in entries:
            out.setdefault(normalise_name(name), set()).add((level, code))
            for part in str(name).split("-"):
                key = normalise_name(part)
                if len(key) >= 3 and key not in _PREFIXES:
                    out.setdefault(key, set()).add((level, code))
        return out

    def _resolve(self, key: str) -> tuple[str, str] | None:
        """The one region a name form means: a municipality before a county of the same name;
        None where several municipalities (or, without one, several counties) bear it."""
        hits = self._names.get(key, set())
        for level in ("municipality", "county"):
            at = sorted(c for lv, c in hits if lv == level)
            if len(at) == 1:
                return (level, at[0])
            if len(at) > 1:
                return None
        return None

    def lookup(self, text: str) -> tuple[str, str] | None:
        """``("municipality", code)`` or ``("county", code)`` for a code or a name in any of its
        official forms (Norwegian, Sámi, Kven), ignoring case and accents; None if unknown.
        Municipalities win when a municipality and a county share a name."""
        c = str(text).strip()
        if c in self.codes:
            return ("municipality", c)
        if c in self.counties:
            return ("county", c)
        return self._resolve(normalise_name(c))

    def suggestions(self, text: str, n: int = 3) -> list[str]:
        """Names (or codes) close to ``text`` (for "did you mean ...?"), without repeats."""
        import difflib

        by_key: dict[str, str] = {}
        for code, name in [*zip(self.codes, self.names), *self.county_names.items()]:
            by_key.setdefault(normalise_name(name), name)
            for part in str(name).split("-"):
                if self._resolve(normalise_name(part)) is not None:
                    by_key.setdefault(normalise_name(part), part)
        for code in [*self.codes, *self.counties]:
            by_key.setdefault(code.lower(), code)
        near = difflib.get_close_matches(normalise_name(text), list(by_key), n=n * 2)
        return list(dict.fromkeys(by_key[k] for k in near))[:n]

    def _short_county(self, code: str) -> str:
        """A county's name as a planner types it: "Innlandet" for "Innlandet-Sisdajven"."""
        name = self.county_names.get(code, code)
        first = name.split("-")[0]
        return first if self.lookup(first) == ("county", code) else name

    def unknown_message(self, text: str, what: str) -> str:
        """``<what> '<text>': no municipality or county with that code or name; did you mean …?``"""
        same = sorted(c for lv, c in self._names.get(normalise_name(text), set()) if lv == "municipality")
        if len(same) > 1:
            where = ", ".join(f"{self.names[self.codes.index(c)]} {c} "
                              f"({self.county_names.get(self.county_codes[self.codes.index(c)], '')})" for c in same)
            return f"{what} {text!r}: {len(same)} municipalities match: {where}; give the code"
        former = {normalise_name(k): v for k, v in FORMER_COUNTIES.items()}.get(normalise_name(text))
        if former is not None and all(c in self.county_names for c in former[1]):
            now = [self._short_county(c) for c in former[1]]
            if len(now) == 1:
                return f"{what} {text!r}: {former[0]}; its municipalities are in {now[0]}: give {now[0]}"
            return (f"{what} {text!r}: {former[0]} into {', '.join(now[:-1])} and {now[-1]}: give one of them "
                    f"or several ({','.join(now)})")
        near = self.suggestions(text)
        hint = f"; did you mean {', '.join(near)}?" if near else (
            f" (allowed: municipality or county codes or names of the dataset, e.g. {', '.join(self.counties[:3])})")
        return f"{what} {text!r}: no municipality or county with that code or name{hint}"

    def subset(self, codes) -> "Regions":
        """The regions with the given municipality codes, in dataset order."""
        wanted = set(codes)
        keep = [i for i, c in enumerate(self.codes) if c in wanted]
        kept_counties = {self.county_codes[i] for i in keep}
        left = [(c, n) for i, (c, n) in enumerate(zip(self.codes, self.names)) if i not in set(keep)]
        left += [(c, n) for c, n in self.county_names.items() if c not in kept_counties]
        left += [(c, c) for c in self.counties if c not in kept_counties]
        return Regions(
            codes=tuple(self.codes[i] for i in keep),
            names=tuple(self.names[i] for i in keep),
            county_codes=tuple(self.county_codes[i] for i in keep),
            county_names={c: n for c, n in self.county_names.items() if c in kept_counties},
            outside=self.outside | {x for c, n in left for x in (c, normalise_name(n))},
        )

    def is_outside(self, text: str) -> bool:
        """True for a code or name of a region a subset left out (see ``outside``)."""
        return str(text).strip() in self.outside or normalise_name(text) in self.outside
