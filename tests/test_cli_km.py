"""``survstudy km``: the JSON document, R parity through the CLI, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from survstudy.cli import _register, app
from tests.conftest import REFERENCE, SEED_COHORT, close, load_reference

_register()
runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def km_json(*args: str) -> dict[str, Any]:
    result = run("km", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_seed_json_shape_and_values() -> None:
    out = km_json(SEED_COHORT, "--time", "survival_months", "--event", "died", "--group",
                  "group", "--at", "12,36")
    assert out["time"] == "survival_months"
    assert out["event"] == "died"
    assert out["conf_type"] == "log-log"
    assert out["conf_level"] == 0.95
    groups = {g["group"]: g for g in out["groups"]}
    solitary = groups["solitary"]
    assert solitary["n"] == 7
    assert solitary["events"] == 3
    assert solitary["median"] == pytest.approx(57.9)
    assert solitary["median_ci"] == [pytest.approx(15.6), None]
    at12 = solitary["at"][0]
    assert at12 == {"time": 12, "n_risk": 7, "cumulative_events": 0, "survival": 1.0,
                    "std_err": 0.0, "ci_lower": 1.0, "ci_upper": 1.0}
    assert groups["extrahepatic"]["at"][0]["survival"] == pytest.approx(0.8)
    assert out["test"]["method"] == "log-rank"
    assert out["test"]["df"] == 1
    assert out["test"]["p_value"] == pytest.approx(0.0578, abs=5e-5)
    assert out["excluded"] == {"rows": 0}


def test_without_group_one_curve_named_all_and_no_test() -> None:
    out = km_json(REFERENCE / "lung.csv", "--time", "time", "--event", "status=2", "--at",
                  "2000")
    assert [g["group"] for g in out["groups"]] == ["all"]
    assert out["test"] is None
    assert out["groups"][0]["at"][0]["survival"] is None  # past the last observation
    seed = km_json(SEED_COHORT, "--time", "survival_months", "--event", "died", "--at", "100")
    assert seed["groups"][0]["at"][0]["survival"] == 0.0  # the curve had reached 0


def test_all_public_r_cases_through_the_cli() -> None:
    cases = {c["id"]: c for c in load_reference("cases.json")}
    for ref in (r for r in load_reference("reference.json") if r["kind"] == "km"):
        c = cases[ref["id"]]
        ev = c["event"]["column"] + "=" + ",".join(map(str, c["event"]["values"]))
        args = [REFERENCE / c["data"], "--time", c["time"], "--event", ev, "--conf-type",
                c["conf_type"], "--at", ",".join(map(str, c["at"]))]
        if c.get("group"):
            args += ["--group", c["group"]]
        out = km_json(*args)
        if "test" in ref:
            for key in ("statistic", "df", "p_value"):
                assert close(out["test"][key], ref["test"][key]), (ref["id"], key)
        assert len(out["groups"]) == len(ref["groups"])


def test_rows_with_missing_values_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("t,e,g\n1,1,a\n2,,a\nNA,1,b\n3,0,\n4,1,b\n5,0,a\n")
    out = km_json(path, "--time", "t", "--event", "e", "--group", "g")
    assert out["excluded"] == {"rows": 3}
    assert sum(g["n"] for g in out["groups"]) == 3


def test_xlsx_and_parquet_give_the_same_answer(tmp_path: Path) -> None:
    frame = pd.read_csv(SEED_COHORT)
    frame.to_excel(tmp_path / "seed.xlsx", index=False)
    frame.to_parquet(tmp_path / "seed.parquet")
    args = ("--time", "survival_months", "--event", "died", "--group", "group", "--at", "12,36")
    want = km_json(SEED_COHORT, *args)
    for name in ("seed.xlsx", "seed.parquet"):
        assert km_json(tmp_path / name, *args)["groups"] == want["groups"]


def test_event_codes(tmp_path: Path) -> None:
    out = km_json(REFERENCE / "lung.csv", "--time", "time", "--event", "status=2")
    assert out["groups"][0]["events"] == 165
    out = km_json(REFERENCE / "lung.csv", "--time", "time", "--event", "status=1,2")
    assert out["groups"][0]["events"] == 228


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    (tmp_path / "text_time.csv").write_text("t,e\n1,1\nabc,0\n3,1\n")
    (tmp_path / "negative.csv").write_text("t,e\n1,1\n-2,0\n3,1\n-4,1\n")
    (tmp_path / "codes.csv").write_text("t,e\n1,1\n2,0\n3,2\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header_only.csv").write_text("t,e\n")
    return tmp_path


@pytest.mark.parametrize(
    ("file", "args", "expected"),
    [
        ("text_time.csv", ["--event", "e"], ["row 3", "column 't'", "'abc'", "not a number"]),
        ("negative.csv", ["--event", "e"], ["row 3", "row 5", "column 't'", "negative"]),
        ("codes.csv", ["--event", "e"], ["row 4", "column 'e'", "'2'", "not 0/1"]),
        ("codes.csv", ["--event", "e=5"], ["column 'e'", "event code 5 does not occur"]),
        ("empty.csv", ["--event", "e"], ["empty.csv", "empty"]),
        ("header_only.csv", ["--event", "e"], ["header_only.csv", "no data rows"]),
        ("missing.csv", ["--event", "e"], ["missing.csv", "not found"]),
        ("codes.csv", ["--event", "event"], ["column 'event'", "not found", "columns are: t, e"]),
        ("codes.csv", ["--event", "ee"], ["column 'ee'", "did you mean 'e'"]),
    ],
)
def test_bad_input_names_file_row_and_column(
    bad: Path, file: str, args: list[str], expected: list[str]
) -> None:
    result = run("km", bad / file, "--time", "t", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.stderr, (text, result.stderr)


def test_the_installed_command_exits_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "neg.csv"
    path.write_text("t,e\n-1,1\n")
    exe = Path(sys.executable).parent / "survstudy"
    proc = subprocess.run([str(exe), "km", str(path), "--time", "t", "--event", "e"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: {path}, row 2, column 't', value '-1': time is negative; times count from the "
        "origin and cannot be below 0"
    ]
    assert "Traceback" not in proc.stderr


def test_exact_log_rank_for_the_seed_cohort() -> None:
    out = km_json(SEED_COHORT, "--time", "survival_months", "--event", "died", "--group",
                  "group", "--test", "exact")
    test = out["test"]
    assert test["method"] == "exact permutation"
    assert test["n_relabelings"] == 1716
    assert test["p_value"] == pytest.approx(test["n_extreme"] / 1716)
    assert test["asymptotic_p_value"] == pytest.approx(0.0578, abs=5e-5)


def test_stratified_comparison_through_the_api() -> None:
    import survstudy as ss

    result = ss.compare_survival(REFERENCE / "lung.csv", "time", "status=2", "sex",
                                 strata="ph.ecog")
    assert result.statistic == pytest.approx(10.79506, rel=1e-6)  # R survdiff + strata()
    assert result.strata == ("0", "1", "2", "3")


def test_unknown_test_is_a_clean_error() -> None:
    result = run("km", SEED_COHORT, "--time", "survival_months", "--event", "died",
                 "--test", "wilcoxon")
    assert result.exit_code == 2
    assert "--test must be one of" in result.stderr


def test_group_labels_are_read_as_written(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("t,e,chemo\n1,1,yes\n2,0,no\n3,1,yes\n4,1,no\n")
    out = km_json(path, "--time", "t", "--event", "e", "--group", "chemo")
    assert [g["group"] for g in out["groups"]] == ["no", "yes"]  # not sniffed into booleans
