"""``survstudy iptw`` and :func:`survstudy.iptw`: R parity (GBSG hormonal therapy), hand cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import survstudy as ss
from survstudy.cli import _register, app
from survstudy.errors import InputError
from survstudy.stats.adjustment.propensity import iptw_weights
from tests.conftest import REFERENCE, close, load_reference

_register()
runner = CliRunner()
GBSG = REFERENCE / "gbsg.csv"
CASE = load_reference("adjusted_cases.json")[0]
SHARED = load_reference("adjusted_reference.json")[0]
MORE = {r["id"]: r for r in load_reference("iptw_reference.json")}
COVS = CASE["covariates"]


def check(out: dict[str, Any], ref: dict[str, Any], rel: float = 1e-6) -> list[str]:
    """Every number of ``ref`` (adjusted_reference.json layout) that ``out`` misses."""
    pairs: list[tuple[str, Any, Any]] = [("n", out["n"], ref["n"])]
    got_coef = out["propensity"]["coefficients"]
    pairs += [(f"coef {k}", got_coef[k], v) for k, v in ref["propensity"]["coefficients"].items()]
    ws = {w["group"]: w for w in out["weights"]}
    for rw in ref["weights"]:
        pairs += [(f"w {rw['group']}.{k}", ws[rw["group"]][k], v) for k, v in rw.items()
                  if k != "group"]  # fmt: skip
    bal = {b["term"]: b for b in out["balance"]}
    assert len(bal) == len(ref["balance"])
    for rb in ref["balance"]:
        pairs += [(f"smd {rb['term']}.{k}", bal[rb["term"]][k], rb[k])
                  for k in ("smd_before", "smd_after")]  # fmt: skip
    km = {g["group"]: {a["time"]: a for a in g["at"]} for g in out["km"]}
    for rg in ref["km"]:
        for ra in rg["at"]:
            a = km[rg["group"]][float(ra["time"])]
            pairs += [(f"km {rg['group']}@{ra['time']}.{k}", a[k], ra[k])
                      for k in ("survival", "std_err", "n_risk")]  # fmt: skip
    pairs += [(f"cox.{k}", out["cox"][k], ref["cox"][k])
              for k in ("coef", "se_robust", "hr", "hr_ci", "p_value")]  # fmt: skip
    pairs += [(f"test.{k}", out["test"][k], ref["test"][k]) for k in ("statistic", "p_value")]
    return [name for name, got, want in pairs if not close(got, want, rel)]


def cli(*args: Any) -> Any:
    return runner.invoke(app, ["iptw", *[str(a) for a in args]])


def reference_args(ref: dict[str, Any], data: Path = GBSG) -> list[str]:
    args = [str(data), "--treatment", "hormon=1", "--covariates", ",".join(COVS), "--time",
            "rfstime", "--event", "status", "--estimand", ref["estimand"], "--at", "365,1095,1825",
            "--json"]  # fmt: skip
    if ref["stabilized"]:
        args.append("--stabilize")
    if ref.get("trim"):
        args += ["--trim", ",".join(map(str, ref["trim"]))]
    return args


def test_shared_reference_through_the_cli() -> None:
    out = cli(*reference_args(SHARED))
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert check(doc, SHARED) == []
    assert doc["estimand"] == "ate"
    assert doc["stabilized"] is False
    assert doc["test"]["method"] == "robust score"
    assert [w["group"] for w in doc["weights"]] == ["0", "1"]


def test_shared_reference_through_the_api() -> None:
    result = ss.iptw(GBSG, "hormon=1", COVS, "rfstime", "status", at=CASE["at"])
    assert check(result.to_dict(), SHARED, rel=1e-9) == []
    assert isinstance(result, ss.IPTWResult)
    with pytest.raises(AttributeError):
        result.n = 3  # type: ignore[misc]
    frame = result.to_frame()
    assert list(frame["term"]) == COVS
    assert close(list(frame["smd_after"]), [b["smd_after"] for b in SHARED["balance"]])
    assert result.km.variance == "infinitesimal jackknife"
    assert result.cox.variance == "robust"


@pytest.mark.parametrize("case_id", sorted(MORE))
def test_more_r_references(case_id: str) -> None:
    """ATT, stabilised, trimmed: R glm + survival (tests/reference/iptw_reference.R)."""
    ref = MORE[case_id]
    out = cli(*reference_args(ref))
    assert out.exit_code == 0, out.output
    assert check(json.loads(out.stdout), ref) == []


def test_row_order_does_not_matter() -> None:
    d = pd.read_csv(GBSG)
    a = ss.iptw(d, "hormon=1", COVS, "rfstime", "status", at=[1000]).to_dict()
    shuffled = d.sample(frac=1, random_state=3)
    b = ss.iptw(shuffled, "hormon=1", COVS, "rfstime", "status", at=[1000]).to_dict()
    assert check(b, a, rel=1e-9) == []


def test_separated_covariate_is_a_clear_positivity_error(tmp_path: Path) -> None:
    d = pd.read_csv(GBSG)
    d["marker"] = d["hormon"] * 10 + d["age"] / 100  # every treated patient has marker > 10
    with pytest.raises(InputError) as e:
        ss.iptw(d, "hormon=1", ["age", "marker"], "rfstime", "status")
    (problem,) = e.value.problems
    assert problem.column == "marker"
    assert "positivity violated" in problem.message
    assert "separates the arms" in problem.message
    d.to_csv(path := tmp_path / "sep.csv", index=False)
    out = cli(path, "--treatment", "hormon=1", "--covariates", "age,marker", "--time",
              "rfstime", "--event", "status")  # fmt: skip
    assert out.exit_code == 2
    assert "positivity violated" in out.output
    assert "Traceback" not in out.output


def test_separation_by_a_combination_is_also_caught() -> None:
    d = pd.read_csv(GBSG)
    d["a"] = d["age"]
    d["b"] = d["age"] + 5 * (2 * d["hormon"] - 1)  # b - a separates; neither does alone
    with pytest.raises(InputError) as e:
        ss.iptw(d, "hormon=1", ["a", "b"], "rfstime", "status")
    (problem,) = e.value.problems
    assert "positivity violated" in problem.message
    assert "combination" in problem.message


def test_bad_treatment_values() -> None:
    with pytest.raises(InputError, match="treated code '7' does not occur"):
        ss.iptw(GBSG, "hormon=7", COVS, "rfstime", "status")
    with pytest.raises(InputError, match="takes 3 values"):
        ss.iptw(GBSG, "grade=1", ["age"], "rfstime", "status")
    with pytest.raises(ValueError, match="COLUMN=CODE"):
        ss.iptw(GBSG, "hormon", COVS, "rfstime", "status")
    out = cli(GBSG, "--treatment", "hormon=1", "--covariates", "age", "--time", "rfstime",
              "--event", "status", "--trim", "0.9,0.1")  # fmt: skip
    assert out.exit_code == 2
    assert "--trim" in out.output


def test_hand_worked_weights() -> None:
    ps = np.array([0.2, 0.5, 0.8, 0.25])
    z = np.array([True, True, False, False])
    np.testing.assert_allclose(iptw_weights(ps, z, "ate"), [5.0, 2.0, 5.0, 4 / 3])
    np.testing.assert_allclose(iptw_weights(ps, z, "att"), [1.0, 1.0, 4.0, 1 / 3])
    np.testing.assert_allclose(iptw_weights(ps, z, "ate", stabilize=True), [2.5, 1.0, 2.5, 2 / 3])
    np.testing.assert_allclose(iptw_weights(ps, z, "att", stabilize=True), [1.0, 1.0, 4.0, 1 / 3])
    trimmed = iptw_weights(ps, z, "ate", trim=(0.0, 0.5))  # each arm: capped at its median
    np.testing.assert_allclose(trimmed, [3.5, 2.0, 19 / 6, 4 / 3])


def test_text_output_and_love_plot(tmp_path: Path) -> None:
    out = cli(GBSG, "--treatment", "hormon=1", "--covariates", ",".join(COVS), "--time",
              "rfstime", "--event", "status", "--at", "1095",
              "--love-plot", tmp_path / "love")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "robust score test: chi-square = 8.150" in out.stdout
    assert "all |SMD| after weighting <= 0.1" in out.stdout
    assert (tmp_path / "love.png").stat().st_size > 10_000
    assert (tmp_path / "love.svg").exists()


def test_imbalance_is_flagged() -> None:
    result = ss.iptw(GBSG, "hormon=1", ["age"], "rfstime", "status")
    before = {r.term: r.smd_before for r in result.balance.rows}
    assert abs(before["age"]) > 0.1
    assert result.balance.balanced
    doc = result.to_dict()
    assert doc["balance"][0]["imbalanced_before"]
    assert not doc["balance"][0]["imbalanced_after"]
