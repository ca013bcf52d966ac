"""The study layer: a study file loaded into a typed cohort, its analysis and the checks of
published numbers.

:mod:`.load` reads the registry a study file names (:func:`load_study` → :class:`Study`),
:mod:`.analysis` computes every number of the report (:func:`analyse_study` →
:class:`StudyResults`), :mod:`.claims` compares published numbers with the computed ones.
"""

from survstudy.study.load import Study, load_study

__all__ = ["Study", "load_study"]
