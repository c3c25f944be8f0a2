"""Bad scenario files each give their own one-line error, with file, line, key path and the
allowed values, and never another exception type or a traceback; plus the loader's good paths.

The corpus lives in ``tests/bad_scenarios/`` (one failure mode per file); :data:`EXPECTED`
maps every file to where its error must point and what it must say. Files too big or too
odd to commit (over the size limit, nested thousands deep) are written into ``tmp_path``.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

import helsemod_py as hm
from helsemod_py.errors import ScenarioError
from helsemod_py.scenario import Measure, Scenario
from helsemod_py.scenario.loader import MAX_BYTES, MAX_DEPTH, parse_yaml, read_scenario_file

BAD = Path(__file__).parent / "bad_scenarios"

GROUPS_LISTED = "(allowed: physician, gp, nurse, specialist_nurse, aks, public_health_nurse, midwife, health_worker,"
MEASURE_KEYS = ("(allowed: id, title, family, description, parameter, multiply, add, set, shift, path, target, "
                "cost, reference, status, in_baseline, recruited_from)")

#: file -> (line or None, key path or None, substrings the message must contain).
#: A line of None means the problem is about the file as a whole (no line to point at).
EXPECTED: dict[str, tuple[int | None, str | None, list[str]]] = {
    # --- unknown keys ----------------------------------------------------------------
    "unknown_top_level_key.yaml": (2, "horizon", [
        "unknown key 'horizon'", "(allowed: name, description, extends, reference, assumptions, measures, uncertainty)"]),
    "unknown_measure_key.yaml": (8, "measures[0].comment", ["unknown key 'comment'", MEASURE_KEYS]),
    "unknown_target_key.yaml": (9, "measures[0].target.municipalities", [
        "unknown key 'municipalities'", "(allowed: groups, services, transitions, sexes, ages, regions)"]),
    # --- unknown codes -----------------------------------------------------------------
    "group_typo.yaml": (8, "measures[0].target.groups[1]", ["unknown group 'nurce'", GROUPS_LISTED]),
    "service_typo.yaml": (8, "measures[0].target.services[1]", [
        "unknown service 'nursing_hom'", "(allowed: nursing_home, home_care, gp_emergency,"]),
    "unknown_transition.yaml": (8, "measures[0].target.transitions[0]", [
        "unknown transition 'nurse>physician'", "(allowed: unskilled>health_worker, health_worker>nurse,"]),
    "unknown_parameter.yaml": (4, "measures[0].parameter", [
        "unknown parameter 'avg_ftes'", "(allowed: avg_fte, sick_leave, exit_rate,", "did you mean 'avg_fte'?"]),
    "unknown_sex.yaml": (9, "measures[0].target.sexes[0]", ["unknown value 'men'", "(allowed: male, female)"]),
    "target_not_a_dimension.yaml": (9, "measures[0].target.services", [
        "not a dimension of avg_fte", "(allowed: regions, groups, sexes, ages)"]),
    "bad_measure_id.yaml": (3, "measures[0].id", ["'TØRN-2025' is not a valid id", "lower-case letters"]),
    # --- values, units and ranges ------------------------------------------------------
    "rate_above_one.yaml": (5, "measures[0].set.value", ["1.7 is outside 0 to 1 (/1 per year)"]),
    "unit_percent.yaml": (5, "measures[0].multiply.unit", [
        "'%' is not the unit of this change", "(allowed: '/1')"]),
    "unit_graduates_fte.yaml": (5, "measures[0].add.unit", [
        "'FTE' is not the unit of this change", "(allowed: 'persons per year')"]),
    "value_without_unit.yaml": (5, "measures[0].multiply", [
        "expected a mapping with keys value, unit, reference", "got 1.05"]),
    "value_not_a_number.yaml": (5, "measures[0].multiply.value", ["'five percent' is not a (finite) number"]),
    "value_nan.yaml": (5, "measures[0].multiply.value", ["nan is not a finite number"]),
    "negative_cost.yaml": (8, "measures[0].cost.value", ["-40 must be at least 0"]),
    "cost_unit_eur.yaml": (8, "measures[0].cost.unit", [
        "'EUR'", "(allowed: NOK per year, kNOK per year, MNOK per year)"]),
    "standard_growth_unit.yaml": (3, "assumptions.standard_growth.unit", [
        "'%' is not the unit of standard_growth", "(allowed: '/1 per year')"]),
    "end_year_out_of_range.yaml": (3, "assumptions.end_year", ["2075 must be at most 2050"]),
    "coverage_trend_unknown.yaml": (3, "assumptions.coverage_trend", [
        "unknown coverage_trend 'linear'", "(allowed: none, damped, constant)"]),
    "coverage_damping_out_of_range.yaml": (4, "assumptions.coverage_damping.value", ["1.4 is outside 0 to 1 (/1)"]),
    "healthier_ageing_with_trend.yaml": (3, "assumptions.healthier_ageing", [
        "needs coverage_trend: none (got the default damped)", "(allowed: none)"]),
    "staff_mix_trend_no_reference.yaml": (3, "assumptions.staff_mix_trend", [
        "nurse.reference: missing", "'assumption: ...'"]),
    "mortality_typo.yaml": (3, "assumptions.mortality", [
        "unknown assumption 'trnd'", "(allowed: constant, trend, external)", "did you mean 'trend'?"]),
    "mortality_scale_out_of_range.yaml": (4, "assumptions.mortality.scale", ["5 must be at most 3"]),
    "mortality_external_without_file.yaml": (3, "assumptions.mortality.file", [
        "missing (external needs file: PATH.csv)"]),
    "fertility_damping_without_trend.yaml": (5, "assumptions.fertility.damping", [
        "only allowed with assumption: trend (got constant)"]),
    "fertility_damping_out_of_range.yaml": (5, "assumptions.fertility.damping", ["1.5 must be at most 1"]),
    # --- evidence ranges, additionality and where recruits come from ---------------------
    "effect_outside_range.yaml": (5, "measures[0].multiply.value", [
        "0.8 is outside its stated range (allowed: 0.95 to 1)"]),
    "cost_outside_range.yaml": (9, "measures[0].cost.value", ["40 is outside its stated range (allowed: 10 to 30)"]),
    "range_reversed.yaml": (5, "measures[0].multiply.range", [
        "[1.05, 1] must be two finite numbers", "(allowed: [low, high] with low at most high)"]),
    "recruit_source_unknown.yaml": (9, "measures[0].recruited_from.source", [
        "unknown source 'elsewhere'", "(allowed: other_regions, abroad, new_graduates, outside_workforce)"]),
    "recruits_nowhere_from.yaml": (3, "measures[0].recruited_from", [
        "recruits into every region cannot come from other regions",
        "(allowed: abroad, new_graduates, outside_workforce, or other_regions with a target.regions)"]),
    "recruited_from_not_recruits.yaml": (8, "measures[0].recruited_from", [
        "only for parameter recruits (got graduates)"]),
    "scaled_up_without_baseline.yaml": (3, "measures[0].in_baseline", [
        "missing; status scaled_up needs what the base period already has"]),
    "continued_with_effect.yaml": (7, "measures[0].add.value", [
        "a continued programme is already in the baseline and adds nothing", "(allowed: 0;"]),
    "status_unknown.yaml": (4, "measures[0].status", [
        "unknown status 'expanded'", "(allowed: new, scaled_up, continued)"]),
    "budget_chapter_unknown.yaml": (8, "measures[0].cost.chapter", [
        "unknown chapter '999'", "(allowed: 761, 762, 765, 769, 770, 780, outside)"]),
    # --- operations --------------------------------------------------------------------
    "two_operations.yaml": (3, "measures[0]", ["give exactly one of multiply, add, set (found 2: multiply, add)"]),
    "no_operation.yaml": (3, "measures[0]", ["give exactly one of multiply, add, set (found none)"]),
    "operation_not_allowed.yaml": (5, "measures[0].add", [
        "not allowed for fte_per_user", "(allowed: multiply)"]),
    "task_shift_to_source.yaml": (5, "measures[0].shift.to_group", ["'nurse' is also a source group"]),
    # --- time paths and targets --------------------------------------------------------
    "missing_path.yaml": (3, "measures[0].path", ["missing (give at least start: YEAR)"]),
    "path_full_before_start.yaml": (6, "measures[0].path", ["full (2025) must not be before start (2030)"]),
    "ages_reversed.yaml": (9, "measures[0].target.ages", ["ages [67, 60] must be an increasing range within 0..105"]),
    # --- duplicates and contradictions ---------------------------------------------------
    "duplicate_measure_id.yaml": (8, "measures[1].id", [
        "measure id 'torn' is used twice", "(first in measures[0])"]),
    "duplicate_yaml_key.yaml": (8, "measures[0].path", ["duplicate key 'path' (first on line 6)"]),
    "contradictory_set.yaml": (8, "measures[1]", [
        "'full_time_b' sets avg_fte", "that 'full_time_a' also sets", "contradictory measures"]),
    # --- extends -----------------------------------------------------------------------
    # a cycle is reported at the `extends:` line that closes it (in the last file of the chain)
    "extends_cycle_a.yaml": (2, "extends", [
        "cycle extends_cycle_a.yaml -> extends_cycle_b.yaml -> extends_cycle_a.yaml"]),
    "extends_cycle_b.yaml": (2, "extends", [
        "cycle extends_cycle_b.yaml -> extends_cycle_a.yaml -> extends_cycle_b.yaml"]),
    "extends_self.yaml": (2, "extends", ["cycle extends_self.yaml -> extends_self.yaml"]),
    "extends_missing.yaml": (2, "extends", [
        "file 'kompetanseloft_base.yaml' not found next to extends_missing.yaml"]),
    # --- unsafe or malformed YAML --------------------------------------------------------
    "alias_bomb.yaml": (3, None, ["alias '*a' is not allowed", "anchors and aliases"]),
    "python_tag.yaml": (2, None, ["tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"]),
    "tab_indentation.yaml": (8, None, ["not valid YAML: tab character in column 1", "indent with spaces"]),
    "empty.yaml": (1, None, ["empty file", "needs at least 'name:'"]),
    "comments_only.yaml": (1, None, ["empty file"]),
    "top_level_list.yaml": (1, None, [
        "the top level must be a mapping with keys name, description, extends", "(got a list)"]),
    "unclosed_bracket.yaml": (7, None, [
        "not valid YAML: expected ',' or ']', but got '}'", "while parsing a flow sequence started on line 7"]),
    "not_utf8.yaml": (1, None, ["not UTF-8 text (byte 0xf8 at offset 17)", "save the file as UTF-8"]),
    # --- only visible with a dataset or when applied ---------------------------------------
    "unknown_region.yaml": (9, "measures[0].target.regions[0]", [
        "unknown region 'Trondhjem'", "did you mean Trøndelag?"]),
    "out_of_range_after_apply.yaml": (5, "measures[0].multiply.value", [
        "measure 'torn' takes avg_fte to", "outside 0 to 1.2 (FTE per person)", "reduce the change"]),
    "recruit_source_region_unknown.yaml": (10, "measures[0].recruited_from.regions[1]", [
        "unknown region 'Atlantis'", "(allowed: municipality or county codes or names of the dataset"]),
    "recruit_source_in_target.yaml": (10, "measures[0].recruited_from.regions[1]", [
        "'55' is also a target region", "(allowed: municipalities and counties outside target.regions)"]),
    "measure_fte_per_user_huge.yaml": (5, "measures[0].multiply.value", [
        "measure 'intensity' takes fte_per_user to 1.0", "e+308, outside 0 to 100 (/1)"]),
    "graduates_add_huge.yaml": (5, "measures[0].add.value", ["1e+308 is outside -1e+06 to 1e+06 (persons per year)"]),
    "immigrants_set_huge.yaml": (5, "measures[0].set.value", ["1e+308 is outside 0 to 1e+06 (persons per year)"]),
    # --- hostile files: characters, numbers, paths ---------------------------------------
    "control_character.yaml": (2, None, ["not valid YAML: control character U+0007 in column 22"]),
    "nul_byte.yaml": (2, None, ["not valid YAML: control character U+0000 in column 14"]),
    "integer_too_long.yaml": (3, None, ["number of 5000 characters is too long (at most 40)"]),
    "date_invalid.yaml": (2, None, ["'2024-13-45' looks like a date but is none (month must be in 1..12)"]),
    "extends_outside.yaml": (2, "extends", [
        "'../../scenarios/baseline.yaml' is outside the scenario's folder", "--allow-outside"]),
    "driver_outside.yaml": (3, "assumptions.population_driver.file", [
        "'/etc/passwd' is outside the scenario's folder", "--allow-outside"]),
    # --- uncertainty: distributions and the range of what they draw ------------------------
    "truncate_no_mass.yaml": (6, "uncertainty[0].distribution.truncate", [
        "[50, 60] holds 0 of the normal distribution's probability (at least 1e-06)"]),
    "draw_not_finite.yaml": (6, "uncertainty[0].distribution", ["its draws reach 0 to inf, not finite numbers"]),
    "draw_negative_factor.yaml": (6, "uncertainty[0].distribution", [
        "draws of the factor on avg_fte go down to -11; a factor must be at least 0"]),
    "draw_out_of_range.yaml": (6, "uncertainty[0].distribution", [
        "draws of 'position' can take avg_fte to 1.276", "outside 0 to 1.2 (FTE per person)", "factors from 1 to 1.5"]),
    "draw_migration_huge.yaml": (6, "uncertainty[0].distribution", [
        "draws of 'migration' can take net_migration to", "outside -0.9 to 2 (/1 per year)"]),
}

#: Files whose problem is reported in another file of their `extends` chain.
REPORTED_IN = {"extends_cycle_a.yaml": "extends_cycle_b.yaml", "extends_cycle_b.yaml": "extends_cycle_a.yaml"}

#: Files that load and validate on their own and fail only against a dataset (at run time).
NEEDS_DATASET = {"unknown_region.yaml", "out_of_range_after_apply.yaml", "recruit_source_region_unknown.yaml",
                 "recruit_source_in_target.yaml", "measure_fte_per_user_huge.yaml"}
#: Files that fail only against a dataset when their draws run.
NEEDS_DRAWS = {"draw_out_of_range.yaml", "draw_migration_huge.yaml"}


@pytest.fixture(scope="module")
def dataset():
    return hm.load_dataset()


def check_problem_lines(exc: ScenarioError, path: Path, line, key, words):
    """Every problem is one plain line starting with the file; the first one is specific."""
    assert type(exc) is ScenarioError
    assert exc.problems, "a ScenarioError must say what is wrong"
    assert str(exc) == "\n".join(exc.problems)
    for p in exc.problems:
        assert isinstance(p, str) and p and "\n" not in p, f"not one line: {p!r}"
        assert "Traceback" not in p and 'File "' not in p, p
    # no chained traceback either (errors are raised 'from None' or outside except blocks)
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)
    assert len(exc.problems) == 1, exc.problems
    msg = exc.problems[0]
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert msg.startswith(where), f"{msg!r} does not start with {where!r}"
    if key is not None:
        assert msg[len(where):].startswith(f"{key}: "), f"key path {key!r} missing in {msg!r}"
    for w in words:
        assert w in msg, f"{w!r} missing in {msg!r}"


def test_corpus_is_complete():
    files = {p.name for p in BAD.glob("*.yaml")}
    assert files == set(EXPECTED), (f"untested: {sorted(files - set(EXPECTED))}, "
                                    f"missing: {sorted(set(EXPECTED) - files)}")
    assert len(files) >= 24


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - NEEDS_DATASET - NEEDS_DRAWS))
def test_bad_file_is_refused_on_load(name):
    path = BAD / name
    line, key, words = EXPECTED[name]
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(path)
    check_problem_lines(info.value, BAD / REPORTED_IN.get(name, name), line, key, words)


@pytest.mark.parametrize("name", sorted(NEEDS_DATASET))
def test_bad_file_is_refused_before_running(name, dataset):
    path = BAD / name
    line, key, words = EXPECTED[name]
    scenario = Scenario.from_yaml(path)  # valid on its own
    with pytest.raises(ScenarioError) as info:
        hm.project(dataset, scenario, end_year=dataset.base_year + 3)
    check_problem_lines(info.value, path, line, key, words)


@pytest.mark.parametrize("name", sorted(NEEDS_DRAWS))
def test_bad_draws_are_refused_before_drawing(name, dataset):
    from helsemod_py.uncertainty import project_ensemble

    path = BAD / name
    line, key, words = EXPECTED[name]
    scenario = Scenario.from_yaml(path)  # valid on its own
    hm.project(dataset, scenario, end_year=dataset.base_year + 3)  # no draws: nothing out of range
    with pytest.raises(ScenarioError) as info:
        project_ensemble(dataset, scenario, draws=2, end_year=dataset.base_year + 3)
    check_problem_lines(info.value, path, line, key, words)


@pytest.mark.parametrize("name", sorted(NEEDS_DATASET | NEEDS_DRAWS))
def test_validate_refuses_what_run_refuses(name, dataset):
    """``helsemod validate`` (check_scenario) refuses the files that fail only when run, with the
    same line."""
    from helsemod_py.checks import check_scenario

    path = BAD / name
    line, key, words = EXPECTED[name]
    with pytest.raises(ScenarioError) as info:
        check_scenario(dataset, Scenario.from_yaml(path), end_year=dataset.base_year + 3)
    check_problem_lines(info.value, path, line, key, words)


def test_unknown_region_is_listed_by_problems(dataset):
    path = BAD / "unknown_region.yaml"
    problems = Scenario.from_yaml(path).problems(dataset)
    assert problems == [p for p in problems if "\n" not in p] and len(problems) == 1
    assert problems[0].startswith(f"{path}:9: measures[0].target.regions[0]: unknown region 'Trondhjem'")


def test_region_typo_gets_did_you_mean(dataset):
    county = dataset.regions.counties[0]
    name = dataset.regions.county_names.get(county) or dataset.regions.names[0]
    typo = name[:-1] + ("x" if name[-1] != "x" else "y")
    s = Scenario("t", [dict(id="x", parameter="sick_leave", multiply={"value": 0.9, "unit": "/1"},
                            path={"start": 2026}, target={"regions": [typo]})])
    (p,) = s.problems(dataset)
    assert f"unknown region {typo!r}; did you mean" in p and name in p


# --- safety: aliases, size, nesting ------------------------------------------------------

def test_alias_bomb_is_refused_fast_and_small():
    text = (BAD / "alias_bomb.yaml").read_text()
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ScenarioError, match=r"alias '\*a' is not allowed"):
            parse_yaml(text, "bomb.yaml")
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 2 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while refusing an alias bomb"


def test_bigger_alias_bomb_from_a_file_is_refused_fast(tmp_path):
    lines = ['name: lol', 'a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 20)}]" for i in range(1, 30)]
    lines += ["measures: []"]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(path)
    assert time.perf_counter() - t0 < 1.0
    check_problem_lines(info.value, path, 3, None, ["alias '*a0' is not allowed"])


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "huge.yaml"
    body = "name: huge\nmeasures: []\n" + "# padding comment line to grow the file ................\n" * (
        MAX_BYTES // 50)
    path.write_text(body)
    assert path.stat().st_size > MAX_BYTES
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(path)
    check_problem_lines(info.value, path, None, None, [f"over the {MAX_BYTES // 1024} KiB limit"])
    with pytest.raises(ScenarioError, match="over the 256 KiB limit"):
        parse_yaml(body, "text.yaml")


def test_huge_file_is_not_read_whole(tmp_path):
    path = tmp_path / "sparse.yaml"
    with path.open("wb") as fh:  # 4 GiB sparse file: reading it whole would take seconds and memory
        fh.write(b"name: x\n")
        fh.truncate(4 * 1024**3)
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        read_scenario_file(path)
    assert time.perf_counter() - t0 < 1.0
    check_problem_lines(info.value, path, None, None, ["file is 4194304 KiB, over the 256 KiB limit"])


def test_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\nmeasures: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(path)
    check_problem_lines(info.value, path, 2, None, [f"nested more than {MAX_DEPTH} levels deep"])


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(path)
    check_problem_lines(info.value, path, None, None, ["scenario file not found"])


def test_several_problems_give_one_line_each(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(
        "name: many\n"
        "horizon: 2040\n"
        "measures:\n"
        "  - id: torn\n"
        "    parameter: avg_fte\n"
        "    multiply: {value: 1.05, unit: /1}\n"
        "    path: {start: 2025}\n"
        "    target: {groups: [nurce], municipalities: ['0301']}\n")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(path)
    probs = info.value.problems
    assert all("\n" not in p for p in probs)
    assert any(p.startswith(f"{path}:2: horizon: unknown key 'horizon'") for p in probs), probs
    assert any(p.startswith(f"{path}:8: measures[0].target.groups[0]: unknown group 'nurce'") for p in probs), probs
    assert any(p.startswith(f"{path}:8: measures[0].target.municipalities: unknown key") for p in probs), probs


# --- good paths --------------------------------------------------------------------------

VALID = """\
name: test
measures:
  - id: torn
    parameter: avg_fte
    multiply: {value: 1.05, unit: /1, reference: assumption}
    path: {start: 2025, full: 2030}
    target: {groups: [nurse]}
"""


def test_valid_file_loads(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(VALID)
    s = Scenario.from_yaml(path)
    assert s.name == "test" and s.measure_ids == ("torn",)
    (m,) = s.measures
    assert isinstance(m, Measure)
    assert m.operation == "multiply" and m.change.value == 1.05 and m.change.reference == "assumption"
    assert m.target.groups == ["nurse"] and m.path.full == 2030
    assert s.source == str(path) and s.lines[("measures", 0, "target")] == 7
    model, lines, label = read_scenario_file(path)
    assert model.measures[0].id == "torn" and lines[("measures", 0, "parameter")] == 4 and label == str(path)


def test_extends_merges_measures_and_assumptions(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "name: base\n"
        "assumptions:\n"
        "  end_year: 2040\n"
        "  standard_growth: {value: 0.01, unit: /1 per year}\n"
        "measures:\n"
        "  - id: torn\n"
        "    parameter: avg_fte\n"
        "    multiply: {value: 1.05, unit: /1}\n"
        "    path: {start: 2025, full: 2030}\n"
        "    target: {groups: [nurse]}\n"
        "  - id: grads\n"
        "    parameter: graduates\n"
        "    multiply: {value: 1.1, unit: /1}\n"
        "    path: {start: 2026, delay: 3}\n"
        "    target: {groups: [nurse]}\n")
    (tmp_path / "sub").mkdir()
    child = tmp_path / "sub" / "child.yaml"
    child.write_text(
        "name: child\n"
        "extends: ../base.yaml\n"
        "assumptions:\n"
        "  end_year: 2035\n"
        "measures:\n"
        "  - id: sick\n"
        "    parameter: sick_leave\n"
        "    multiply: {value: 0.9, unit: /1}\n"
        "    path: {start: 2026}\n"
        "  - id: torn\n"
        "    parameter: avg_fte\n"
        "    multiply: {value: 1.1, unit: /1}\n"
        "    path: {start: 2025, full: 2030}\n"
        "    target: {groups: [nurse, health_worker]}\n")
    with pytest.raises(ScenarioError, match=r"child.yaml:2: extends: '../base.yaml' is outside the scenario's folder "
                       r".*/sub; move the file there, or allow files outside it explicitly \(--allow-outside"):
        Scenario.from_yaml(child)  # the parent lies outside the child's folder
    s = Scenario.from_yaml(child, allow_outside=True)
    assert s.name == "child"
    assert s.measure_ids == ("torn", "grads", "sick")  # parent order, child's torn in its place
    torn = s.measures[0]
    assert torn.change.value == 1.1 and torn.target.groups == ["nurse", "health_worker"]
    assert s.assumptions.end_year == 2035  # child overrides
    assert s.assumptions.standard_growth.value == 0.01  # inherited
    # an error in the parent names the parent file
    (tmp_path / "base.yaml").write_text("name: base\nmeasures:\n  - id: x\n    paramter: avg_fte\n")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(child, allow_outside=True)
    assert any(p.startswith(f"{tmp_path / 'sub' / '..' / 'base.yaml'}:4: measures[0].paramter: unknown key")
               and "did you mean 'parameter'?" in p for p in info.value.problems), info.value.problems


def test_extends_cycle_of_three(tmp_path):
    for a, b in (("a", "b"), ("b", "c"), ("c", "a")):
        (tmp_path / f"{a}.yaml").write_text(f"name: {a}\nextends: {b}.yaml\n")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(tmp_path / "a.yaml")
    assert len(info.value.problems) == 1
    assert info.value.problems[0].endswith("c.yaml:2: extends: cycle a.yaml -> b.yaml -> c.yaml -> a.yaml")


MEASURE = dict(id="torn", parameter="avg_fte", multiply={"value": 1.05, "unit": "/1", "reference": "assumption"},
               path={"start": 2025, "full": 2030}, target={"groups": ["nurse"]})


def test_python_scenario_validates_like_yaml(tmp_path):
    s = Scenario("test", measures=[MEASURE])
    path = tmp_path / "ok.yaml"
    path.write_text(VALID)
    assert s.hash == Scenario.from_yaml(path).hash
    assert s.measures == Scenario.from_yaml(path).measures

    cases = [
        (dict(MEASURE, target={"groups": ["nurce"]}), ["unknown group 'nurce'", GROUPS_LISTED]),
        (dict(MEASURE, foo=1), ["unknown key 'foo'", MEASURE_KEYS]),
        (dict(MEASURE, multiply={"value": 1.05, "unit": "%"}), ["multiply.unit: '%' is not the unit",
                                                                "(allowed: '/1')"]),
        (dict(MEASURE, parameter="avg_ftes"), ["unknown parameter 'avg_ftes'", "(allowed: avg_fte,"]),
        (dict(MEASURE, set={"value": 1.7, "unit": "/1 per year"}, multiply=None, parameter="exit_rate"),
         ["set.value: 1.7 is outside 0 to 1"]),
    ]
    for bad, words in cases:
        with pytest.raises(ScenarioError) as info:
            Scenario("test", measures=[bad])
        (msg,) = info.value.problems
        assert "\n" not in msg and all(w in msg for w in words), msg
    with pytest.raises(ScenarioError) as info:
        Scenario("test", measures=[MEASURE, MEASURE])
    assert "measures[1].id: measure id 'torn' is used twice" in info.value.problems[0]
    with pytest.raises(ScenarioError) as info:
        Scenario("test", measures=[MEASURE], assumptions={"end_year": 2075})
    assert info.value.problems == ["<scenario>:1: assumptions.end_year: 2075 must be at most 2050"]
    # contradictory set measures built in Python
    a = dict(id="a", parameter="sick_leave", set={"value": 0.05, "unit": "/1"}, path={"start": 2026})
    with pytest.raises(ScenarioError, match="'b' sets sick_leave for targets and years that 'a' also sets"):
        Scenario("test", measures=[a, dict(a, id="b", set={"value": 0.06, "unit": "/1"})])


def test_hash_is_stable_and_follows_content():
    s1 = Scenario("one", measures=[MEASURE])
    s2 = Scenario("two", measures=[dict(reversed(list(MEASURE.items())))], description="other words")
    assert s1.hash == s2.hash  # same content: key order, name and description do not matter
    assert s1.hash == Scenario("one", measures=[Measure.model_validate(MEASURE)]).hash
    assert len(s1.hash) == 64 and int(s1.hash, 16) >= 0
    changed = Scenario("one", measures=[dict(MEASURE, multiply={"value": 1.06, "unit": "/1",
                                                                "reference": "assumption"})])
    assert changed.hash != s1.hash
    assert Scenario("one", measures=[MEASURE], assumptions={"end_year": 2040}).hash != s1.hash
    assert Scenario("one", measures=[dict(MEASURE, path={"start": 2026, "full": 2030})]).hash != s1.hash


# --- errors raised outside the loader keep file, line and key path -----------------------

def test_python_measure_error_names_the_measure():
    with pytest.raises(ScenarioError) as info:
        Scenario("test", measures=[MEASURE, dict(MEASURE, id="b", target={"groups": ["nurce"]})])
    assert "measures[1].target.groups[0]: unknown group 'nurce'" in info.value.problems[0]


def test_python_nan_value_is_refused():
    with pytest.raises(ScenarioError):
        Scenario("test", measures=[dict(MEASURE, multiply={"value": float("nan"), "unit": "/1"})])


def test_extends_cycle_names_the_line():
    path = BAD / "extends_self.yaml"
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(path)
    assert info.value.problems[0].startswith(f"{path}:2: extends: ")


def test_out_of_range_after_apply_names_the_measure(dataset):
    path = BAD / "out_of_range_after_apply.yaml"
    with pytest.raises(ScenarioError) as info:
        hm.project(dataset, Scenario.from_yaml(path), end_year=dataset.base_year + 3)
    assert info.value.problems[0].startswith(f"{path}:5: measures[0].multiply.value: ")
