"""``survstudy table1``: JSON and text output, exit status 2 with messages for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import survstudy.cli.km
import survstudy.cli.table1  # noqa: F401  (registers the command)
from survstudy.cli import app

HERE = Path(__file__).parent
SEED = HERE.parent / "src" / "survstudy" / "examples" / "seed" / "seed_liver_resection_cohort.csv"
LUNG = HERE / "reference" / "lung.csv"
CASES = json.loads((HERE / "reference" / "table1_cases.json").read_text())
WANT = {c["id"]: c for c in json.loads((HERE / "reference" / "table1_reference.json").read_text())}

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["table1", *map(str, args)])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_public_reference_cases(case: dict) -> None:
    """The cases of tools/check-reference: same test and p within 1e-6 of R."""
    args = [HERE / "reference" / case["data"], "--group", case["group"], "--json"]
    if case["categorical"]:
        args += ["--categorical", ",".join(case["categorical"])]
    if case["continuous"]:
        args += ["--continuous", ",".join(case["continuous"])]
    result = run(*args)
    assert result.exit_code == 0, result.output
    rows = {r["variable"]: r for r in json.loads(result.stdout)["rows"]}
    for want in WANT[case["id"]]["rows"]:
        got = rows[want["variable"]]
        assert got["test"] == want["test"]
        assert got["p_value"] == pytest.approx(want["p_value"], rel=1e-6)
        if want["statistic"] is not None:
            assert got["statistic"] == pytest.approx(want["statistic"], rel=1e-6)


def test_json_shape() -> None:
    result = run(
        SEED, "--group", "group", "--categorical", "her2", "--continuous", "age_years", "--json"
    )
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["group"] == "group"
    assert doc["groups"] == ["extrahepatic", "solitary"]
    her2, age = doc["rows"]
    for key in (
        "variable",
        "type",
        "test",
        "reason",
        "statistic",
        "p_value",
        "levels",
        "missing",
        "smd",
        "odds_ratio",
    ):
        assert key in her2
    assert her2["test"] == "fisher"
    assert her2["reason"].startswith("expected count < 5")
    pos = next(lv for lv in her2["levels"] if lv["level"] == "pos")
    assert pos["n"] == {"extrahepatic": 4, "solitary": 1}
    assert pos["overall"] == {"n": 5, "percent": pytest.approx(100 * 5 / 13)}
    assert her2["missing"] == {"extrahepatic": 0, "solitary": 0}
    assert age["test"] == "t-test"
    assert age["reason"] == "Shapiro-Wilk p >= 0.05 in every group"
    assert age["summary"]["solitary"]["q1"] == 41.5
    assert age["overall"]["n"] == 13
    assert age["statistic"] == pytest.approx(0.2006, abs=1e-4)


def test_text_table_with_footnotes() -> None:
    result = run(
        SEED,
        "--group",
        "group",
        "--categorical",
        "her2,histologic_grade",
        "--continuous",
        "age_years",
        "--test",
        "age_years=welch",
    )
    assert result.exit_code == 0
    out = result.stdout
    assert "extrahepatic (n=6)" in out
    assert "Overall (n=13)" in out
    assert "(a) her2: Fisher's exact test, exact — expected count < 5" in out
    assert "(b) histologic_grade: Fisher's exact test, exact (network algorithm)" in out
    assert "(c) age_years: Welch's t-test" in out
    assert "chosen by the user" in out
    assert "nan" not in out.lower()


def test_not_testable_is_printed_not_nan(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("arm,age\nA,\nB,\nA,\n")
    result = run(path, "--group", "arm", "--continuous", "age")
    assert result.exit_code == 0
    assert "not testable" in result.stdout
    assert "nan" not in result.stdout.lower()
    doc = json.loads(run(path, "--group", "arm", "--continuous", "age", "--json").stdout)
    assert doc["rows"][0]["p_value"] is None
    assert doc["rows"][0]["testable"] is False


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("arm,age\nA,50\nA,60\n", ["--continuous", "age"], "only one value ('A')"),
        ("arm,age\nA,50\nB,sixty\n", ["--continuous", "age"], "row 3, column 'age'"),
        ("arm,age\nA,50\nB,60\n", ["--continuous", "agee"], "did you mean 'age'"),
        ("arm,age\nA,50\nB,60\n", ["--continuous", "age", "--test", "age=fisher"], "is continuous"),
        ("arm,age\nA,50\nB,60\n", ["--continuous", "age", "--test", "age"], "VARIABLE=TEST"),
        (
            "arm,age\nA,50\nB,60\nC,70\n",
            ["--continuous", "age", "--test", "age=t-test"],
            "compares two groups",
        ),
        ("arm,age\nA,50\nB,60\n", [], "at least one variable"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, text: str, args: list[str], message: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(text)
    result = run(path, "--group", "arm", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_installed_command_exit_status(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "survstudy"
    path = tmp_path / "d.csv"
    path.write_text("arm,age\nA,50\nA,60\n")
    p = subprocess.run(
        [exe, "table1", path, "--group", "arm", "--continuous", "age"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2
    assert "only one value" in p.stderr
    assert "Traceback" not in p.stderr
    p = subprocess.run(
        [exe, "table1", LUNG, "--group", "sex", "--categorical", "inst", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0
    row = json.loads(p.stdout)["rows"][0]
    assert row["test"] == "fisher"
    assert row["method"] == "exact (network algorithm)"
    assert row["p_value"] == pytest.approx(0.522369882182518, rel=1e-9)
