"""The column-mapping step pre-filled from the inference ``survstudy init`` uses.

:func:`survstudy.data.infer.guess_file` types every column from what the file says (SPSS,
Stata and SAS value and variable labels, a REDCap dictionary) or from its values, finds the
id column and the candidate endpoint dates; :func:`survstudy.data.infer.draft_study` writes
them as the draft study file. The app reads that draft back: its variables (labels, types,
levels and their labels) become the base of the study the forms build, and its id and first
endpoint fill step 2. What the draft cannot say (a ready-made time and status, an ambiguous
date format) comes from :func:`survstudy.web.choices.guess_choices`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from survstudy.config.models import Analysis, FollowUp, StudyConfig, Variable
from survstudy.config.parse import parse_config
from survstudy.data.infer import draft_study, guess_file
from survstudy.errors import InputError
from survstudy.web.choices import Choices, choices_from_config, guess_choices, readable_label
from survstudy.web.preview import DataPreview

__all__ = ["inferred_choices", "inferred_study"]

log = logging.getLogger("survstudy.web")


def inferred_study(path: Path, source: str, dictionary: Path | None = None) -> StudyConfig | None:
    """The draft study of ``path`` as ``survstudy init`` writes it (``source``: the name the
    study file gives the registry); None for a file the inference does not read (Excel).

    Only the variables the file itself describes (value labels, variable labels, a REDCap
    dictionary) are kept: a type guessed from a few values (ages of 13 patients taken for
    categories) is left to the app's own reading of the values.
    """
    try:
        guesses = guess_file(path, dictionary)
    except InputError:
        return None
    if not guesses:
        return None
    text = draft_study(source, guesses, dictionary=dictionary.name if dictionary else None)
    try:
        draft = parse_config(text).config
    except InputError:  # a draft the study-file checks refuse: fall back on the names
        log.warning("the inferred draft study did not parse", exc_info=True)
        return None
    variables = {}
    for g in guesses:
        var = draft.variables.get(g.name)
        if var is None:
            continue  # the id column
        if g.how == "from the file":  # typed by the file: type, levels, value labels
            variables[g.name] = var.model_copy(update={"label": g.label or readable_label(g.name)})
        elif g.label:  # only a variable label: the type is read from the values
            variables[g.name] = Variable(label=g.label)
    data = draft.data.model_copy(update={"dictionary": None})  # the app names its own copy
    return draft.model_copy(update={"variables": variables, "data": data})


def inferred_choices(
    pv: DataPreview, draft: StudyConfig | None
) -> tuple[Choices, StudyConfig | None]:
    """The forms' first answers and the base study (the draft's variables only: endpoints,
    groups and characteristics are the user's to choose, not the draft's)."""
    guessed = guess_choices(pv)
    if draft is None:
        return guessed, None
    values = {c.name: c.values for c in pv.columns}
    found = choices_from_config(draft, values)
    base = draft.model_copy(
        update={"endpoints": {}, "analysis": Analysis(), "follow_up": FollowUp()}
    )
    common = {
        "title": guessed.title,
        "group": "",
        "group_levels": (),
        "characteristics": (),
        "covariates": (),
        "endpoint": "",
        "date_format": guessed.date_format,
        "sheet": pv.sheet,
    }
    if guessed.mode == "dates" and guessed.event_dates:
        found = guessed  # the names matched a death date: the app's own order of preference
    if found.mode == "dates" and found.origin and found.event_dates:
        return replace(found, **common), base  # type: ignore[arg-type]
    # no endpoint in the draft: the names' guess, with the draft's id column
    return replace(guessed, id_column=draft.data.id or guessed.id_column), base
