"""The study file (``study.toml``) as typed models: read by the data layer, the study layer and
the faces; it knows nothing above :mod:`survstudy.errors`.

:mod:`.models` holds one pydantic model per section, :mod:`.parse` turns TOML into a checked
:class:`StudyFile`, :mod:`.dump` writes a :class:`StudyConfig` back to TOML.
"""

from survstudy.config.dump import dump_study_config
from survstudy.config.models import (
    DAYS_PER_UNIT,
    Analysis,
    CohortStep,
    DataSection,
    Endpoint,
    FollowUp,
    Interval,
    JoinSpec,
    Key,
    PublishedValue,
    ReportSection,
    StudyConfig,
    StudyFile,
    StudySection,
    TimeUnit,
    Variable,
    did_you_mean,
    key_lines,
)
from survstudy.config.parse import load_config, parse_config

__all__ = [
    "DAYS_PER_UNIT",
    "Analysis",
    "CohortStep",
    "DataSection",
    "Endpoint",
    "FollowUp",
    "Interval",
    "JoinSpec",
    "Key",
    "PublishedValue",
    "ReportSection",
    "StudyConfig",
    "StudyFile",
    "StudySection",
    "TimeUnit",
    "Variable",
    "did_you_mean",
    "dump_study_config",
    "key_lines",
    "load_config",
    "parse_config",
]
