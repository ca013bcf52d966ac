"""The study-file writer: what it writes parses back to the same configuration."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from survstudy.config.dump import dump_study_config
from survstudy.config.models import (
    Analysis,
    CohortStep,
    DataSection,
    Endpoint,
    FollowUp,
    StudyConfig,
    StudySection,
    Variable,
)
from survstudy.config.parse import load_config, parse_config

EXAMPLES = Path(__file__).parents[1] / "src" / "survstudy" / "examples"


@pytest.mark.parametrize("name", ["liver_resection", "rotterdam"])
def test_bundled_examples_round_trip(name: str) -> None:
    config = load_config(EXAMPLES / name / "study.toml").config
    assert parse_config(dump_study_config(config)).config == config


def test_tricky_values_round_trip() -> None:
    config = StudyConfig(
        study=StudySection(title='Quotes " and \\ and\nnew lines: "ça va"', time_unit="years"),
        data=DataSection(
            source="my data/registry 2024.xlsx",
            id="patient id",
            sheet=2,
            missing=["99", "unknown"],
            date_format="%d/%m/%Y",
        ),
        follow_up=FollowUp(cutoff=dt.date(2020, 2, 29), last_contact="last seen"),
        variables={
            "stage [TNM]": Variable(
                label="Stage",
                type="categorical",
                levels=["I", "II", "=1"],
                labels={"I": "Stage I", "=1": 'a [bracket], and "quote"'},
            ),
            "age": Variable(type="continuous", unit="years", missing=["-1"]),
        },
        cohort=[
            CohortStep(step="Adults", column="age", min=18.0),
            CohortStep(
                step="Operated in 2010s",
                column="op date",
                min=dt.date(2010, 1, 1),
                max=dt.date(2019, 12, 31),
            ),
            CohortStep(step="Stage known", column="stage [TNM]", is_=["I", "II"]),
        ],
        endpoints={
            "os": Endpoint(label="Overall survival", origin="op date", events=["death date"]),
            "dfs": Endpoint(time="t", event="status=1,2", unit="days"),
        },
        analysis=Analysis(
            groups="stage [TNM]", landmark_years=[0.5, 1.0, 2.5], characteristics=["age"]
        ),
    )
    text = dump_study_config(config, header="Made by a test\nsecond line")
    assert parse_config(text).config == config


def test_defaults_are_left_out_but_key_choices_are_written() -> None:
    config = StudyConfig(data=DataSection(source="r.csv", id="id"))
    raw = tomllib.loads(dump_study_config(config))
    assert raw == {
        "study": {"title": "Survival study", "time_unit": "months"},
        "data": {"source": "r.csv", "id": "id"},
        "analysis": {"landmark_years": [1, 3, 5]},
    }


def test_header_lines_are_comments() -> None:
    text = dump_study_config(
        StudyConfig(data=DataSection(source="r.csv", id="id")), header="line one\n\nline three"
    )
    assert text.splitlines()[:3] == ["# line one", "#", "# line three"]


def test_short_arrays_are_written_on_one_line() -> None:
    config = StudyConfig(
        data=DataSection(source="r.csv", id="id"), analysis=Analysis(landmark_years=[1.0, 3.0])
    )
    assert "landmark_years = [1, 3]" in dump_study_config(config).splitlines()
