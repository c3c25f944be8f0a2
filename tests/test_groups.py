"""The registry of personnel groups (``helsemod_py/groups.yaml``) is the one place a group is
defined: every module takes its groups from it, a new entry shows up everywhere, and an entry
that lacks something is refused with a message naming the group and the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helsemod_py import aliases as A
from helsemod_py import dims as D
from helsemod_py import economics as E
from helsemod_py import groups as G
from helsemod_py import labels as L
from helsemod_py.data import staff as S
from helsemod_py.data.default import load_facts
from helsemod_py.errors import RegistryError

ROOT = Path(__file__).resolve().parents[1]
REG = G.registry()


def test_every_module_takes_its_groups_from_the_registry():
    codes = REG.codes
    assert D.GROUPS == codes == tuple(D.LABELS[D.GROUP])
    assert [(lbl.nb, lbl.en) for lbl in D.GROUP_LABELS] == [(g.nb, g.en) for g in REG.groups]
    assert D.NURSE_GROUPS == tuple(g.code for g in REG.groups if g.nursing)
    assert D.TRANSITION_PAIRS == tuple((t.source, t.target) for t in REG.transitions)
    assert tuple(A.ALIASES["group"]) == codes and tuple(L.SHORT_GROUP) == codes
    assert tuple(E.facts()["wages"]) == codes
    facts = load_facts()
    assert tuple(facts["groups"]) == tuple(facts["services"]["shares"]) == codes
    assert set(facts["vacancies"]["values"]) <= set(codes)
    assert tuple(facts["transitions"]["values"]) == D.TRANSITIONS
    read_as = {r.group for _, r in S.EDUCATION_LABELS if r.group} | {r.group for r in S.YRKE_13953.values() if r.group}
    assert read_as == {g.code for g in REG.groups if g.ssb_labels or g.yrke_13953}


def test_the_tables_that_moved_are_not_written_twice():
    """The groups' facts, wages, names, aliases and SSB codes are written in groups.yaml only."""
    facts = (ROOT / "helsemod_py" / "data" / "default_facts.yaml").read_text(encoding="utf-8")
    econ = (ROOT / "helsemod_py" / "data" / "economics.yaml").read_text(encoding="utf-8")
    assert "\nwages:" not in econ and "\ngroups:" not in facts and "\ngroup_units:" not in facts
    for code in ("physician", "midwife", "occupational_therapist", "psychologist", "dental_hygienist"):
        assert f"{code}:" not in facts and f"{code}:" not in econ, code
        for module in ("dims.py", "aliases.py", "labels.py", "economics.py", "data/staff.py", "data/default.py"):
            text = (ROOT / "helsemod_py" / module).read_text(encoding="utf-8")
            assert f'"{code}"' not in text or code == "physician" and module == "data/staff.py", (code, module)


NEW_GROUP = """\
  paramedic:
    name: {nb: "Paramedisinere", en: "Paramedics"}
    short: {nb: "Paramedisinere", en: "Paramedics"}
    aliases: ["paramediker(e)", "ambulansearbeider(e)"]
    ssb:
      labels: ['paramedics?', 'ambulansearbeider(e)?', 'paramedisinere?']
      yrke_13953: ["16"]
    wage: {value: 620000, reference: "test"}
    vacancies: 40
    service_shares: [0.00, 0.00, 0.30, 0.00, 0.00, 0.00, 0.00, 0.10, 0.60]
    facts:
      employed: {value: 4000, reference: "test"}
      hc_share: {value: 0.9, reference: "test"}
      avg_fte: {value: 0.9, reference: "test"}
      sick_leave: {value: 0.07, reference: "test"}
      share_55plus: {value: 0.15, reference: "test"}
      graduates: {value: 200, reference: "test"}
      immigrants: {value: 10, reference: "test"}
      female: {value: 0.4, reference: "test"}
      entry_age: {value: 24, reference: "test"}
"""


def _with_new_group(text: str) -> str:
    """groups.yaml with the group ``paramedic`` added at the end of ``groups`` and a transition
    health_worker > paramedic."""
    head, tail = text.split("\ntransitions:\n")
    return (head.rstrip("\n") + "\n" + NEW_GROUP + "\ntransitions:\n" + tail.rstrip("\n")
            + '\n  - {from: health_worker, to: paramedic, flow: {value: 50, reference: "test"}}\n')


CHECK_NEW_GROUP = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import helsemod_py.groups as G
    G.FILE = Path(sys.argv[1])  # before anything reads the registry
    from helsemod_py import aliases, dims as D, economics, labels
    from helsemod_py.data import staff
    from helsemod_py.data.default import build_default_dataset, load_facts, national_supply
    import helsemod_py as hm
    facts = load_facts()
    nat = national_supply(facts)
    res = hm.project(build_default_dataset(), end_year=2026).aggregate("nation")
    print(json.dumps({
        "groups": list(D.GROUPS), "label": D.LABELS[D.GROUP]["paramedic"].en,
        "transitions": list(D.TRANSITIONS),
        "alias": aliases.resolve("group", "Ambulansearbeidere"),
        "short_nb": labels.group_name("paramedic", "nb"),
        "full_en": labels.group_name("paramedic", "en", short=False),
        "label_rule": staff.rule_for_label("Ambulansearbeidere").group,
        "yrke_16": staff.YRKE_13953["16"].group,
        "total_covers": "paramedic" in staff.TOTAL.sum_of,
        "wage": economics.wage_table().set_index("group").loc["paramedic", "wage_nok"].item(),
        "facts_employed": facts["groups"]["paramedic"]["employed"]["value"],
        "vacancies": float(nat.vacancies[-1]), "stock": float(nat.stock[-1].sum()),
        "result_groups": [str(g) for g in res.supply_fte.group.values],
        "supply_2026": float(res.total("supply_fte").sel(group="paramedic", year=2026).sum()),
    }))
""")


def test_a_new_group_is_one_entry_of_the_registry(tmp_path):
    """A group added to a copy of groups.yaml (and nothing else) is a dimension label, a name
    planners may write, a plot label, an SSB category, a wage, and national facts that the
    default dataset and the model's inputs are built from."""
    reg = tmp_path / "groups.yaml"
    reg.write_text(_with_new_group(G.FILE.read_text(encoding="utf-8")), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HELSEMOD_CACHE_DIR": "off"}
    out = subprocess.run([sys.executable, "-c", CHECK_NEW_GROUP, str(reg)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["groups"] == [*D.GROUPS, "paramedic"]
    assert got["transitions"] == [*D.TRANSITIONS, "health_worker>paramedic"]
    assert (got["label"], got["alias"], got["short_nb"], got["full_en"]) == (
        "Paramedics", "paramedic", "Paramedisinere", "Paramedics")
    # SSB: the group's labels come before "no model group", its 13953 code replaces one
    assert (got["label_rule"], got["yrke_16"], got["total_covers"]) == ("paramedic", "paramedic", True)
    assert S.rule_for_label("Ambulansearbeidere").group is None  # in the package as it is
    assert got["wage"] == 620000 and got["facts_employed"] == 4000
    assert got["vacancies"] == 40 and got["stock"] > 0
    assert got["result_groups"] == got["groups"] and got["supply_2026"] > 0  # projected like any group


def _registry_with(tmp_path, edit) -> Path:
    text = edit(G.FILE.read_text(encoding="utf-8"))
    path = tmp_path / "groups.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _drop_line(start: str, after: str = ""):
    """Remove the first line that starts (stripped) with ``start`` after the line containing ``after``."""
    def edit(text):
        lines = text.split("\n")
        i0 = next(i for i, line in enumerate(lines) if after in line)
        i = next(i for i in range(i0, len(lines)) if lines[i].strip().startswith(start))
        return "\n".join(lines[:i] + lines[i + 1:])
    return edit


BAD = [
    ("missing_fact", _drop_line("employed:", "  midwife:"),
     r"groups.yaml:\d+: groups.midwife.facts: missing employed \(each \{value, reference\}; units in fact_units\)"),
    ("missing_wage", _drop_line("wage:", "  psychologist:"), r"groups.yaml:\d+: groups.psychologist: missing wage"),
    ("missing_name", _drop_line("name:", "  dentist:"), r"groups.yaml:\d+: groups.dentist: missing name"),
    ("missing_shares", _drop_line("service_shares:", "  aks:"), r"groups.aks: missing service_shares"),
    ("unknown_key", lambda t: t.replace("    nursing: true\n", "    nursing: true\n    nurse_like: true\n", 1),
     r"groups.yaml:\d+: groups.nurse.nurse_like: unknown key \(allowed: name, aliases, wage, service_shares, "
     r"facts, short, nursing, ssb, vacancies\)"),
    ("unknown_fact", lambda t: t.replace("      employed: {value: 1800,", "      employes: {value: 1,"
                                         "reference: x}\n      employed: {value: 1800,", 1),
     r"groups.dental_hygienist.facts.employes: unknown fact \(allowed: employed, "),
    ("duplicate_group", lambda t: t.replace("  gp:\n", "  physician:\n", 1),
     r"groups.yaml:\d+: groups.physician: duplicate key 'physician' \(first on line \d+\)"),
    ("shares_sum", lambda t: t.replace("service_shares: [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 1.00, 0.00, 0.00]",
                                       "service_shares: [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.90, 0.00, 0.00]", 1),
     r"groups.dental_hygienist.service_shares: the shares sum to 0.9, not 1"),
    ("wage_text", lambda t: t.replace("wage: {value: 661000,", "wage: {value: lots,", 1),
     r"groups.nurse.wage.value: must be a number >= 0"),
    ("transition_unknown", lambda t: t.replace("{from: nurse, to: aks,", "{from: nurse, to: akss,", 1),
     r"groups.yaml:\d+: transitions.3.to: unknown group 'akss' \(allowed: physician, gp, "),
    ("bad_code", lambda t: t.replace("  gp:\n", "  GP-doctor:\n", 1),
     r"groups.GP-doctor: a group's code is lower case letters, digits and _"),
    ("yaml", lambda t: t.replace("  gp:\n", "  gp: [\n", 1), r"groups.yaml:\d+: not valid YAML"),
]


@pytest.mark.parametrize("edit,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_an_incomplete_entry_is_refused_naming_group_and_field(tmp_path, edit, message):
    with pytest.raises(RegistryError, match=message):
        G.load(_registry_with(tmp_path, edit))


def test_service_shares_must_give_one_share_per_service(tmp_path, monkeypatch):
    path = _registry_with(tmp_path, lambda t: t.replace(
        "service_shares: [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 1.00, 0.00, 0.00]",
        "service_shares: [0.00, 0.00, 0.00, 0.00, 0.00, 1.00, 0.00, 0.00]", 1))
    monkeypatch.setattr(G, "FILE", path)
    with pytest.raises(RegistryError, match=r"groups.yaml: groups.dental_hygienist.service_shares: 8 shares for 9 "
                                            r"services \(nursing_home, home_care, "):
        G.check_service_shares(D.SERVICES)


def test_the_registry_reads_as_documented():
    g = REG.group("nurse")
    assert (g.nb, g.en, g.short_nb, g.nursing, g.yrke_13953) == ("Sykepleiere", "Nurses", "Sykepleiere", True, ("02",))
    assert REG.group("unskilled").ssb_labels_before_totals and not REG.group("nurse").ssb_labels_before_totals
    assert set(REG.optional_facts) == {"extra_exit"} and "extra_exit" in REG.group("gp").facts
    with pytest.raises(KeyError):
        REG.group("nobody")
