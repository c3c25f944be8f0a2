"""Names accepted wherever a personnel group, service or region level id is: one table.

The model's ids are English (``nurse``, ``home_care``, ``county``); planners write Norwegian
(``sykepleiere``, ``hjemmetjenester``, ``fylke``). :data:`ALIASES` lists the other names of each
id, singular and plural (``sykepleier(e)`` stands for both ``sykepleier`` and ``sykepleiere``);
the Norwegian and English names of :mod:`helsemod_py.dims` count too. Matching ignores case,
accents, ``æøå`` (``o`` for ``ø``), hyphens and underscores. The command line (``--groups``,
``--group``, ``intake GROUP``, ``--level``), scenario files (``target.groups``,
``target.services``) and the Python API (``Projection.select``, ``aggregate``,
``Attribution.waterfall``, ``required_intake``, ``sensitivity``) all resolve names here.

>>> from helsemod_py.aliases import resolve
>>> resolve("group", "Sykepleiere"), resolve("level", "fylke"), resolve("service", "hjemmetjenester")
('nurse', 'county', 'home_care')
"""

from __future__ import annotations

import functools
import re

from . import dims as D
from .errors import HelsemodError
from .groups import registry

#: id -> other names, per kind. ``word(e)`` / ``word(er)`` / ``word(r)``: singular and plural. A group's
#: names are its ``aliases`` in the registry of groups (``helsemod_py/groups.yaml``).
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "group": {g.code: g.aliases for g in registry().groups},  # helsemod_py/groups.yaml
    "service": {
        "nursing_home": ("sykehjem", "institusjon(er)", "heldøgns omsorg", "heldøgnsomsorg", "nursing home(s)"),
        "home_care": ("hjemmetjeneste(r)", "hjemmetjenesten", "hjemmebaserte tjenester", "hjemmesykepleie"),
        "gp_emergency": ("fastlege og legevakt", "legevakt", "allmennlegetjenesten"),
        "health_station": ("helsestasjon(er)", "skolehelsetjenesten", "helsestasjon og skolehelsetjeneste"),
        "mental_health": ("psykisk helse", "psykisk helse og rus", "rus"),
        "rehabilitation": ("rehabilitering", "habilitering"),
        "dental": ("tannhelse", "tannhelsetjenesten", "den offentlige tannhelsetjenesten"),
        "other_municipal": ("andre kommunale tjenester", "andre kommunale helse- og omsorgstjenester"),
        "specialist": ("spesialisthelsetjenesten", "sykehus"),
    },
    "level": {
        "municipality": ("kommune(r)", "kommunenivå", "municipalities"),
        "county": ("fylke(r)", "fylkesnivå", "counties"),
        "nation": ("nasjon", "nasjonalt", "land", "landet", "hele landet", "norge", "national", "country"),
        "trust": ("helseforetak", "foretak", "trusts", "hospital trust(s)"),
    },
}

#: Ids of each kind, in the model's order.
IDS = {"group": D.GROUPS, "service": D.SERVICES, "level": D.RESULT_LEVELS}

_PLURAL = re.compile(r"^(.*)\((e|er|r|s)\)$")


def _key(text: str) -> str:
    return D.normalise_name(re.sub(r"[-_]+", " ", str(text)))


def _forms(name: str) -> list[str]:
    m = _PLURAL.match(name.strip())
    return [m.group(1), m.group(1) + m.group(2)] if m else [name]


@functools.cache
def _table(kind: str) -> dict[str, str]:
    """Normalised name -> id for ``kind``: ids, the names in :mod:`dims`, and :data:`ALIASES`."""
    out: dict[str, str] = {}
    labels = D.LABELS.get({"group": D.GROUP, "service": D.SERVICE}.get(kind, ""), {})
    for code in IDS[kind]:
        names = [code, *ALIASES[kind].get(code, ())]
        if code in labels:
            names += [labels[code].nb, labels[code].en]
        for name in names:
            for form in _forms(name):
                key = _key(form)
                if out.setdefault(key, code) != code:
                    raise AssertionError(f"alias {form!r} means both {out[key]} and {code}")
    return out


def canonical(kind: str, text) -> str | None:
    """The id ``text`` names (an id, a Norwegian or English name, any case), or None."""
    if kind not in IDS:
        raise ValueError(f"kind {kind!r}: allowed {', '.join(IDS)}")
    return _table(kind).get(_key(text))


def examples(kind: str, ids=None) -> str:
    """``id (norsk)`` for the allowed ids of ``kind``: the list an error message gives."""
    ids = IDS[kind] if ids is None else ids
    return ", ".join(f"{c} ({_forms(ALIASES[kind][c][0])[-1]})" if ALIASES[kind].get(c) else c for c in ids)


def resolve(kind: str, text, allowed=None, what: str | None = None) -> str:
    """The id ``text`` names; a :class:`HelsemodError` naming the allowed ids otherwise.

    ``allowed``: the ids accepted here (default: all of ``kind``); ``what``: how the message
    names the input (default ``kind``)."""
    allowed = tuple(IDS[kind] if allowed is None else allowed)
    code = canonical(kind, text)
    if code is None or code not in allowed:
        label = what or kind
        raise HelsemodError(f"{label} {str(text)!r}: unknown {kind} (allowed: {examples(kind, allowed)})")
    return code


def resolve_all(kind: str, items, allowed=None, what: str | None = None) -> list[str]:
    """Ids of ``items`` (each resolved as by :func:`resolve`), every unknown one reported."""
    out, problems = [], []
    for item in items:
        try:
            out.append(resolve(kind, item, allowed, what))
        except HelsemodError as exc:
            problems += exc.problems
    if problems:
        raise HelsemodError(problems)
    return list(dict.fromkeys(out))
