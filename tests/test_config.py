"""The study file: models, defaults, and errors that name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from survstudy.config.models import key_lines
from survstudy.config.parse import load_config, parse_config
from survstudy.errors import InputError

EXAMPLE = Path(__file__).parents[1] / "src/survstudy/examples/liver_resection/study.toml"

MINIMAL = """\
[data]
source = "registry.csv"
id = "patient_id"

[follow_up]
cutoff = 2011-12-30
last_contact = "last_contact_date"

[endpoints.os]
origin = "resection_date"
events = "death_date"
"""


def problems(text: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InputError) as e:
        parse_config(text, "study.toml")
    return [(p.row, p.column, p.message) for p in e.value.problems]


def test_example_study_file() -> None:
    study = load_config(EXAMPLE)
    c = study.config
    assert c.study.time_unit == "months"
    assert str(c.follow_up.cutoff) == "2011-12-30"
    assert c.analysis.landmark_years == [1, 3]
    assert c.variables["group"].levels == ["solitary", "extrahepatic"]
    assert c.analysis_endpoints == ["os"]
    assert study.resolve("registry.csv") == str(EXAMPLE.parent / "registry.csv")


def test_minimal_defaults() -> None:
    c = parse_config(MINIMAL).config
    assert c.study.time_unit == "months"
    assert c.endpoints["os"].events == ["death_date"]  # a single name becomes a list
    assert c.analysis.landmark_years == [1, 3, 5]
    assert c.days_per_unit == 30.4375


def test_numbers_as_codes() -> None:
    text = (
        MINIMAL + '\n[variables.grade]\ntype = "categorical"\nlevels = [1, 2, 3]\nmissing = [99]\n'
    )
    var = parse_config(text).config.variables["grade"]
    assert var.levels == ["1", "2", "3"]
    assert var.missing == ["99"]


def test_wrong_value_names_line_and_key() -> None:
    text = MINIMAL.replace("[data]", '[study]\ntime_unit = "weeks"\n\n[data]')
    [(row, key, message)] = problems(text)
    assert (row, key) == (2, "study.time_unit")
    assert "'days', 'months' or 'years'" in message


def test_misspelt_key_gets_a_hint() -> None:
    text = MINIMAL.replace('last_contact = "', 'last_contakt = "')
    [(row, key, message)] = problems(text)
    assert (row, key) == (7, "follow_up.last_contakt")
    assert "did you mean 'last_contact'" in message


def test_missing_required_key_points_at_its_table() -> None:
    text = MINIMAL.replace('id = "patient_id"\n', "")
    [(row, key, message)] = problems(text)
    assert (row, key) == (1, "data.id")
    assert "required key 'id'" in message


def test_bad_date_in_study_file() -> None:
    text = MINIMAL.replace("cutoff = 2011-12-30", 'cutoff = "30/12/2011"')
    [(row, key, _)] = problems(text)
    assert (row, key) == (6, "follow_up.cutoff")


def test_every_problem_at_once() -> None:
    text = (
        MINIMAL.replace("cutoff = 2011-12-30", "cutoff = 12").replace(
            'origin = "resection_date"', 'origin = "resection_date"\nunits = "days"'
        )
        + '\n[analysis]\nendpoints = ["rfs"]\n'
    )
    got = problems(text)
    assert {(r, k) for r, k, _ in got} == {(6, "follow_up.cutoff"), (11, "endpoints.os.units")}


def test_cross_references() -> None:
    text = (
        MINIMAL
        + """
[intervals.interval]
start = "a"
end = "b"
flag = "synchronous"

[[cohort]]
step = "adults"
column = "age"

[analysis]
endpoints = ["OS"]
landmark_years = [1, 0]
"""
    )
    got = problems(text)
    assert got[0][:2] == (
        13,
        "intervals.interval",
    )
    assert "flag_within_days" in got[0][2]
    assert got[1][:2] == (18, "cohort[1]")
    assert "exactly one rule" in got[1][2]
    assert got[2][:2] == (23, "analysis.endpoints[1]")
    assert "did you mean 'os'" in got[2][2]
    assert got[3][:2] == (24, "analysis.landmark_years[2]")


def test_ready_made_endpoint() -> None:
    text = MINIMAL.replace(
        '[endpoints.os]\norigin = "resection_date"\nevents = "death_date"',
        '[endpoints.os]\ntime = "months"\nevent = "status=2"\nunit = "months"',
    )
    ep = parse_config(text).config.endpoints["os"]
    assert ep.time == "months"
    assert ep.event == "status=2"
    bad = text.replace('unit = "months"', 'unit = "months"\norigin = "x"')
    [(row, key, message)] = problems(bad)
    assert key == "endpoints.os.origin"
    assert row == 13
    assert "remove it" in message


def test_toml_syntax_error_names_the_line() -> None:
    [(row, key, message)] = problems(MINIMAL.replace('id = "patient_id"', 'id = "patient_id'))
    assert row == 3
    assert key is None
    assert "not valid TOML" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(InputError, match=r"no study\.toml"):
        load_config(tmp_path)


def test_key_lines() -> None:
    text = """\
# comment
[a]
x = 1
y = [
  1, "]",
]
"z w".q = { r = 1 }

[[c]]
k = '''
multi = 1
'''
[[c]]
k = 2
[a.b]
m = 3
"""
    lines = key_lines(text)
    assert lines[("a",)] == 2
    assert lines[("a", "x")] == 3
    assert lines[("a", "y")] == 4
    assert lines[("a", "z w", "q")] == 7
    assert ("a", "multi") not in lines
    assert ("c", 0, "multi") not in lines
    assert lines[("c", 0, "k")] == 10
    assert lines[("c", 1, "k")] == 14
    assert lines[("a", "b", "m")] == 16
