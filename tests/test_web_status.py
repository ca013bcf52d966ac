"""The status line and the download buttons follow the current choices only."""

from __future__ import annotations

from survstudy.config.models import DataSection, StudyConfig
from survstudy.errors import Problem
from survstudy.web.choices import Choices
from survstudy.web.pipeline import Outcome
from survstudy.web.status import download_buttons, status_line

CONFIG = StudyConfig(data=DataSection(source="r.csv", id="id"))


def test_status_says_what_is_missing_then_the_errors_then_up_to_date() -> None:
    assert "Still to choose: the column that identifies each patient" in str(
        status_line(Choices(), None)
    )
    done = Choices(id_column="id", mode="ready", time_column="t", event_column="e",
                   event_codes=("1",))  # fmt: skip
    assert status_line(done, None) is None
    error = Problem(severity="error", message="bad date")
    failed = Outcome(config=CONFIG, study_toml="", problems=(error, error))
    assert "2 problems in the data must be fixed" in str(status_line(done, failed))
    fine = Outcome(config=CONFIG, study_toml="", problems=())
    assert "up to date with your choices. The data checks found no problem." in str(
        status_line(done, fine)
    )


def test_downloads_are_disabled_until_there_is_something_current() -> None:
    nothing = str(download_buttons(None))
    assert nothing.count("<button disabled") == 2
    failed = Outcome(config=CONFIG, study_toml="x", problems=())
    html = str(download_buttons(failed))  # a study file, but no results to zip
    assert html.count("<button disabled") == 1
    assert 'id="download_toml"' in html
