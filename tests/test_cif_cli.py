"""``survstudy cif`` and ``survstudy finegray``: JSON, R parity through the CLI, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from survstudy.cli import _register, app
from tests.conftest import REFERENCE, close, load_reference

_register()
runner = CliRunner()
CASES = {c["id"]: c for c in load_reference("competing_cases.json")}
REFS = load_reference("competing_reference.json")


def run(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def as_json(*args: object) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def spec(e: dict[str, Any]) -> str:
    return e["column"] + "=" + ",".join(e["values"])


@pytest.mark.parametrize("ref", REFS, ids=[r["id"] for r in REFS])
def test_cmprsk_reference_through_the_cli(ref: dict[str, Any]) -> None:
    case = CASES[ref["id"]]
    common = [REFERENCE / case["data"], "--time", case["time"], "--event", spec(case["event"]),
              "--competing", spec(case["competing"])]
    group = ["--group", case["group"]] if case.get("group") else []
    out = as_json("cif", *common, "--at", ",".join(map(str, case["at"])), *group)
    got = {g["group"]: g for g in out["groups"]}
    for rg in ref["groups"]:
        g = got[rg["group"]]
        assert (g["n"], g["events"], g["competing"]) == (rg["n"], rg["events"], rg["competing"])
        for a, ra in zip(g["at"], rg["at"], strict=True):
            assert a["time"] == ra["time"]
            assert close(a["cif"], ra["cif"])
            assert close(a["std_err"], ra["std_err"])
            # the reference's ci_lower/ci_upper are swapped (tidycmprsk's labelling of
            # F^exp(+/-z se/(F log F))); ours satisfy ci_lower <= cif <= ci_upper
            assert close(a["ci_lower"], ra["ci_upper"])
            assert close(a["ci_upper"], ra["ci_lower"])
    if "test" in ref:
        assert out["test"]["method"] == "gray"
        for key in ("statistic", "df", "p_value"):
            assert close(out["test"][key], ref["test"][key])
    else:
        assert out["test"] is None
    if "fine_gray" in ref:
        fg = as_json("finegray", *common, "--covariates", ",".join(case["covariates"]))
        assert fg["n"] == ref["fine_gray"]["n"]
        assert fg["converged"] is True
        for t, rt in zip(fg["coefficients"], ref["fine_gray"]["coefficients"], strict=True):
            assert t["term"] == rt["term"]
            for key in ("coef", "se", "hr", "hr_ci", "p_value"):
                assert close(t[key], rt[key])


def test_json_shape_labels_and_excluded_rows() -> None:
    out = as_json("cif", REFERENCE / "pbc.csv", "--time", "time", "--event", "status=2",
                  "--competing", "status=1", "--group", "trt", "--at", "1000")
    assert [g["group"] for g in out["groups"]] == ["1", "2"]  # as written, not 1.0
    assert out["excluded"] == {"rows": 106}
    assert set(out["groups"][0]["at"][0]) >= {"time", "cif", "std_err", "ci_lower", "ci_upper"}
    assert set(out["test"]) >= {"method", "statistic", "df", "p_value"}


def test_strata_and_rho_reach_gray_test() -> None:
    extra = load_reference("competing_extra.json")
    common = [REFERENCE / "pbc.csv", "--time", "time", "--event", "status=2", "--competing",
              "status=1", "--group", "trt"]
    out = as_json("cif", *common, "--strata", "sex")
    assert close(out["test"]["statistic"], extra["gray_strata_sex_death"]["statistic"])
    out = as_json("cif", *common, "--rho", "1")
    assert close(out["test"]["statistic"], extra["gray_rho1_death"]["statistic"])


def test_text_tables() -> None:
    result = run("cif", REFERENCE / "ties_competing.csv", "--time", "week", "--event",
                 "status=1", "--competing", "status=2", "--group", "group", "--at", "4,30")
    assert result.exit_code == 0, result.output
    assert "Gray's test" in result.output
    assert "NE" in result.output
    result = run("finegray", REFERENCE / "pbc.csv", "--time", "time", "--event", "status=2",
                 "--competing", "status=1", "--covariates", "age,sex", "--categorical", "sex")
    assert result.exit_code == 0, result.output
    assert "sex[T.m]" in result.output


@pytest.fixture
def bad_csv(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text("t,status,g\n1,1,a\nsoon,2,a\n3,,b\n4,0,b\n-2,1,a\n")
    return path


def test_bad_input_names_row_column_value(bad_csv: Path) -> None:
    result = run("cif", bad_csv, "--time", "t", "--event", "status=1", "--competing",
                 "status=2", "--group", "g")
    assert result.exit_code == 2
    assert "row 3, column 't', value 'soon'" in result.output
    assert "row 6, column 't', value '-2'" in result.output
    assert "Traceback" not in result.output


def test_missing_values_are_excluded_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("t,status,g\n1,1,a\n2,2,a\n3,,b\n4,0,b\n5,9,b\n,1,a\n6,1,\n")
    out = as_json("cif", path, "--time", "t", "--event", "status=1", "--competing", "status=2",
                  "--group", "g")
    assert out["excluded"] == {"rows": 3}
    b = next(g for g in out["groups"] if g["group"] == "b")
    assert (b["n"], b["events"], b["competing"]) == (2, 0, 0)  # code 9 is censored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--event", "status=1", "--competing", "status=3"], "event code 3 does not occur"),
        (["--event", "status=1", "--competing", "status=1"], "both as the event"),
        (["--event", "status", "--competing", "status=2"], "name the codes"),
        (["--event", "status=1", "--competing", "stat=2"], "did you mean 'status'"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    result = run("cif", REFERENCE / "ties_competing.csv", "--time", "week", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_finegray_bad_covariate_exit_2(bad_csv: Path) -> None:
    result = run("finegray", bad_csv, "--time", "t", "--event", "status=1", "--competing",
                 "status=2", "--covariates", "g")
    assert result.exit_code == 2
    assert "column 't', value 'soon'" in result.output
