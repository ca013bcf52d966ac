"""Step 5 of the app: the study file's ``[[cohort]]`` inclusion steps, and the flow they make.

The user adds steps one at a time (a column, a rule, its values, the step's name and the
reason shown for the patients it excludes) and removes them from the list; the list becomes
the study file's ``[[cohort]]`` (through :class:`~survstudy.web.choices.Choices`), and beside
it the app shows the report's own flow numbers (:class:`~survstudy.data.cohort.CohortFlow`).
A bundled example's or an inferred study file's steps are listed when a registry is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Literal

from htmltools import Tag, tags
from shiny import Inputs, reactive, render, ui

from survstudy.config.models import CohortStep, StudyConfig
from survstudy.data.cohort import CohortFlow, rule_text
from survstudy.report.format import format_count
from survstudy.web.choices import derived_columns, readable_label
from survstudy.web.pipeline import Outcome
from survstudy.web.preview import DataPreview

__all__ = ["RULES", "Rule", "make_step", "panel", "register", "step_text"]

Rule = Literal["is", "is_not", "present", "missing", "min", "max"]

#: The rules a step can apply, as the form words them.
RULES: dict[str, str] = {
    "is": "is one of",
    "is_not": "is none of",
    "present": "is filled in",
    "missing": "is empty",
    "min": "is at least",
    "max": "is at most",
}


def _bound(text: str) -> float | dt.date:
    """A ``min``/``max`` bound from the form: a number, or a date written 2011-12-30."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"'{text}' is neither a number nor a date written as 2011-12-30."
        ) from None


def make_step(
    column: str,
    rule: str,
    values: Sequence[str] = (),
    bound: str = "",
    step: str = "",
    reason: str = "",
) -> CohortStep:
    """The ``[[cohort]]`` step the form describes (ValueError saying what is missing)."""
    if not column:
        raise ValueError("Choose the column the step looks at.")
    keys: dict[str, object] = {"column": column}
    shown = readable_label(column)
    if rule in ("is", "is_not"):
        if not values:
            raise ValueError("Choose the value(s) the step keeps or leaves out.")
        keys["is" if rule == "is" else "is_not"] = list(values)
        words = " or ".join(values)
        name = f"{shown}: {words}" if rule == "is" else f"{shown} not {words}"
    elif rule in ("present", "missing"):
        keys["present"] = rule == "present"
        name = f"{shown} {'recorded' if rule == 'present' else 'not recorded'}"
    elif rule in ("min", "max"):
        if not bound.strip():
            raise ValueError("Give the number or date the value must reach.")
        keys[rule] = _bound(bound)
        name = f"{shown} {'≥' if rule == 'min' else '≤'} {bound.strip()}"
    else:
        raise ValueError(f"Unknown rule '{rule}'.")
    keys["step"] = step.strip() or name
    if reason.strip():
        keys["reason"] = reason.strip()
    return CohortStep.model_validate(keys)


def step_text(step: CohortStep) -> str:
    """A step's rule as the report's flow chart words it ("liver_resection is yes")."""
    return rule_text(step)


def panel() -> ui.AccordionPanel:
    """The step's form: the steps so far (with their flow), and a step to add."""
    empty: dict[str, str] = {}
    return ui.accordion_panel(
        "5 · Patients included (optional)",
        tags.div(
            "Inclusion steps, applied in order: each keeps the patients meeting its rule. "
            "The report draws the flow from the registry to the patients analysed.",
            class_="step-help",
        ),
        ui.output_ui("cohort_steps"),
        tags.div("Add a step", class_="cohort-add-title"),
        ui.input_select("cohort_column", "Keep patients whose", empty),
        ui.input_select("cohort_rule", "Rule", RULES),
        ui.panel_conditional(
            "input.cohort_rule === 'is' || input.cohort_rule === 'is_not'",
            ui.input_selectize(
                "cohort_values", "Values", empty, multiple=True, options={"create": True}
            ),
        ),
        ui.panel_conditional(
            "input.cohort_rule === 'min' || input.cohort_rule === 'max'",
            ui.input_text("cohort_bound", "Number or date (2011-12-30)", ""),
        ),
        ui.input_text("cohort_step", "Name of the step (optional)", ""),
        ui.input_text("cohort_reason", "Reason shown for those left out (optional)", ""),
        ui.input_action_button("cohort_add", "Add step", class_="btn-outline-primary btn-sm"),
        ui.output_ui("cohort_message"),
        value="cohort",
    )


def _flow_counts(flow: CohortFlow | None, i: int) -> Tag | None:
    if flow is None or i >= len(flow.steps):
        return None
    s = flow.steps[i]
    out = f"{format_count(s.n_before)} → {format_count(s.n_after)}"
    if s.n_excluded:
        out += f" ({format_count(s.n_excluded)} left out: {s.reason})"
    return tags.div(out, class_="cohort-flow")


def steps_tag(steps: Sequence[CohortStep], flow: CohortFlow | None) -> Tag:
    """The steps with a remove button each and, once analysed, the report's flow numbers."""
    items = [
        tags.li(
            tags.div(
                tags.strong(s.step),
                tags.button(
                    "Remove",
                    type="button",
                    class_="btn btn-link btn-sm p-0 ms-2 cohort-remove",
                    onclick=f"Shiny.setInputValue('cohort_remove', {i}, {{priority: 'event'}})",
                    **{"aria-label": f"Remove step {s.step}"},
                ),
            ),
            tags.div(step_text(s), class_="form-text m-0"),
            _flow_counts(flow, i),
        )
        for i, s in enumerate(steps)
    ]
    if flow is not None:
        start = f"Registry: {format_count(flow.n_registry)} patients"
        end = f"Analysed: {format_count(flow.n_final)} patients"
    else:
        start = end = ""
    return tags.div(
        tags.div(start, class_="cohort-flow") if start else None,
        tags.ol(*items, class_="cohort-list")
        if items
        else tags.p(
            "No inclusion step: every patient in the registry is analysed.", class_="report-note"
        ),
        tags.div(end, class_="cohort-flow") if end else None,
        id="cohort-steps",
        class_="cohort-box",
    )


def register(
    input: Inputs,
    preview: Callable[[], DataPreview | None],
    base: Callable[[], StudyConfig | None],
    outcome: Callable[[], Outcome | None],
) -> reactive.Value[tuple[CohortStep, ...]]:
    """The step's server part; returns the steps the user has (read by the choices)."""
    steps: reactive.Value[tuple[CohortStep, ...]] = reactive.value(())
    message: reactive.Value[str] = reactive.value("")

    @reactive.effect
    @reactive.event(preview)
    def _cohort_loaded() -> None:
        pv = preview()
        with reactive.isolate():
            start = base()
        steps.set(tuple(start.cohort) if start is not None and pv is not None else ())
        message.set("")
        names = [*(pv.names if pv else ()), *(derived_columns(start) if start else ())]
        ui.update_select(
            "cohort_column",
            choices={"": "Choose a column…", **{n: n for n in dict.fromkeys(names)}},
            selected="",
        )

    @reactive.effect
    @reactive.event(input.cohort_column, ignore_init=True)
    def _cohort_values() -> None:
        pv = preview()
        info = pv.column(input.cohort_column()) if pv else None
        ui.update_selectize("cohort_values", choices=list(info.values) if info else [])

    @reactive.effect
    @reactive.event(input.cohort_add)
    def _cohort_add() -> None:
        try:
            step = make_step(
                input.cohort_column() or "",
                input.cohort_rule(),
                tuple(input.cohort_values() or ()),
                input.cohort_bound(),
                input.cohort_step(),
                input.cohort_reason(),
            )
        except ValueError as e:
            message.set(str(e))
            return
        steps.set((*steps(), step))
        message.set("")
        ui.update_selectize("cohort_values", selected=[])
        ui.update_text("cohort_bound", value="")
        ui.update_text("cohort_step", value="")
        ui.update_text("cohort_reason", value="")

    @reactive.effect
    @reactive.event(input.cohort_remove)
    def _cohort_remove() -> None:
        i = int(input.cohort_remove())
        now = steps()
        if 0 <= i < len(now):
            steps.set(now[:i] + now[i + 1 :])

    @render.ui
    def cohort_message() -> Tag | None:
        text = message()
        return tags.div(text, class_="alert alert-warning py-1 small mt-2") if text else None

    @render.ui
    def cohort_steps() -> Tag | None:
        if preview() is None:
            return None
        o, now = outcome(), steps()
        same = o is not None and o.study is not None and list(now) == o.config.cohort
        return steps_tag(now, o.study.flow if same and o and o.study else None)

    return steps
