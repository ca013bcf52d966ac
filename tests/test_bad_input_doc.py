"""docs/bad-input.md runs: each of its cases is a recipe and the exact lines it must print.

A case is a ``### N. title`` heading followed by a ```` ```case ```` block and a
```` ```output ```` block. The case block says which files to start from, how to change them
and which command to run; every line of the output block must appear, exactly, as a line of
what the command prints (stdout and stderr). The command runs in a fresh folder, so the file
names in the messages are as a user who typed them there would see them.

Case lines:

- ``use: example`` (the liver_resection study.toml and registry.csv), ``use: broken NAME``
  (a folder of tests/broken/), ``use: seed`` (the seed cohort as cohort.csv) or
  ``use: nothing``;
- ``edit FILE: OLD => NEW`` (the first OLD, which must be there), ``write FILE: TEXT``,
  ``keep FILE: N`` (the first N lines); backslash escapes (``\\n``, ``\\x00``) are decoded;
- ``without: MODULE`` (as if that package were not installed);
- ``run: ARGS`` (the survstudy command line, without ``survstudy``);
- ``exit: N`` (default 2).
"""

from __future__ import annotations

import codecs
import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from survstudy.cli import _register, app

_register()
ROOT = Path(__file__).parents[1]
DOC = ROOT / "docs/bad-input.md"
EXAMPLE = ROOT / "src/survstudy/examples/liver_resection"
SEED = ROOT / "src/survstudy/examples/seed/seed_liver_resection_cohort.csv"
BROKEN = Path(__file__).parent / "broken"

_CASE = re.compile(
    r"^### (\d+)\. (.+?)\n.*?```case\n(.*?)```\n+```output\n(.*?)```", re.S | re.M
)


@dataclass(frozen=True)
class Case:
    number: int
    title: str
    recipe: tuple[str, ...]
    output: tuple[str, ...]
    steps: list[tuple[str, str]] = field(default_factory=list, compare=False)


def parse(text: str) -> list[Case]:
    return [
        Case(int(n), title.strip(), tuple(recipe.strip().splitlines()),
             tuple(out.rstrip("\n").splitlines()))
        for n, title, recipe, out in _CASE.findall(text)
    ]


def _decode(text: str) -> str:
    return codecs.decode(text, "unicode_escape") if "\\" in text else text


def run_case(case: Case, where: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Result, int]:
    """Lay out the case's files in ``where``, run its command there; (result, expected exit)."""
    monkeypatch.chdir(where)
    args: list[str] = []
    status = 2
    for line in case.recipe:
        verb, _, rest = line.partition(":")
        verb, rest = verb.strip(), rest.strip()
        if verb == "use":
            kind, _, name = rest.partition(" ")
            if kind == "example":
                for f in ("study.toml", "registry.csv"):
                    shutil.copy(EXAMPLE / f, where / f)
            elif kind == "broken":
                for f in (BROKEN / name).iterdir():
                    shutil.copy(f, where / f.name)
            elif kind == "seed":
                shutil.copy(SEED, where / "cohort.csv")
            elif kind != "nothing":
                raise ValueError(f"case {case.number}: unknown use {rest!r}")
        elif verb.startswith("edit "):
            path = where / verb[5:]
            old, new = (_decode(x.strip()) for x in rest.split("=>"))
            with path.open(newline="") as f:
                text = f.read()
            assert old in text, f"case {case.number}: {old!r} is not in {path.name}"
            path.write_text(text.replace(old, new, 1), newline="")
        elif verb.startswith("write "):
            (where / verb[6:]).write_text(_decode(rest), newline="")
        elif verb.startswith("keep "):
            path = where / verb[5:]
            lines = path.read_text().splitlines(keepends=True)
            path.write_text("".join(lines[: int(rest)]))
        elif verb == "without":
            monkeypatch.setitem(sys.modules, rest, None)
        elif verb == "run":
            args = shlex.split(rest)
        elif verb == "exit":
            status = int(rest)
        else:
            raise ValueError(f"case {case.number}: unknown line {line!r}")
    assert args, f"case {case.number} runs no command"
    return CliRunner().invoke(app, args), status


CASES = parse(DOC.read_text())


def test_the_document_has_every_class_of_bad_input() -> None:
    assert len(CASES) >= 40
    assert [c.number for c in CASES] == list(range(1, len(CASES) + 1))
    assert all(c.output for c in CASES)
    # every registry of tests/broken/ is a case of the document
    used = {line.split()[2] for c in CASES for line in c.recipe if line.startswith("use: broken")}
    assert used == {p.name for p in BROKEN.iterdir() if p.is_dir()}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.number}-{c.title}" for c in CASES])
def test_case_prints_what_the_document_says(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, status = run_case(case, tmp_path, monkeypatch)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == status, result.output
    printed = result.output.splitlines()
    for line in case.output:
        assert line in printed, f"{line!r} not printed; got:\n{result.output}"
    if status == 2:  # nothing written by a command that failed
        assert not (tmp_path / "out").is_dir()
