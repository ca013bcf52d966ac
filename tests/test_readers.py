"""Registries as clinicians keep them: SPSS, Stata, SAS transport, REDCap, European CSV.

The bundled Rotterdam study is written to each format from the test (no binary fixtures) and
must give exactly the results of its CSV; labels, missing codes, dates and the bad-input
messages are checked on small hand-made files.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from survstudy.cli import _register, app
from survstudy.errors import InputError
from survstudy.study import load_study
from survstudy.study.analysis import analyse_study

pyreadstat = pytest.importorskip("pyreadstat")

EXAMPLE = Path(__file__).parents[1] / "src/survstudy/examples/rotterdam"


def _results(study_file: Path) -> dict[str, Any]:
    study = load_study(study_file)
    out = json.loads(json.dumps(analyse_study(study).to_dict(), default=str))
    out["study"].pop("study_file", None)
    return out


def _study(folder: Path, name: str, data_lines: str) -> Path:
    text = (EXAMPLE / "study.toml").read_text(encoding="utf-8")
    text = text.replace('source = "registry.csv"', data_lines)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _frame() -> pd.DataFrame:
    frame = pd.read_csv(EXAMPLE / "registry.csv", dtype={"size": str})
    frame["pgr"] = frame["pgr"] / 4  # decimals (x.25, x.5, x.75) exactly representable
    frame["centre"] = "Hôpital Müller"
    return frame


@pytest.fixture(scope="module")
def formats(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The Rotterdam registry as CSV, .sav, .dta, .xpt, European CSV and REDCap export."""
    folder = tmp_path_factory.mktemp("rotterdam")
    frame = _frame()
    frame.to_csv(folder / "registry.csv", index=False)
    out = {"csv": _study(folder, "csv.toml", 'source = "registry.csv"')}

    labelled = frame.copy()
    labelled["grade"] = labelled["grade"].astype(float)
    labelled["died"] = labelled["died"].astype(float)
    pyreadstat.write_sav(
        labelled,
        folder / "registry.sav",
        column_labels={"age": "Age at surgery", "grade": "Tumour grade"},
        variable_value_labels={
            "grade": {2: "Grade 2", 3: "Grade 3"},
            "died": {0: "alive", 1: "dead"},
        },
    )
    out["sav"] = _study(folder, "sav.toml", 'source = "registry.sav"')
    pyreadstat.write_dta(
        labelled.rename(columns={"recurred_or_died": "recurred_or_died"}),
        folder / "registry.dta",
        variable_value_labels={"grade": {2: "Grade 2", 3: "Grade 3"}},
    )
    out["dta"] = _study(folder, "dta.toml", 'source = "registry.dta"')

    frame.to_csv(folder / "eu.csv", sep=";", decimal=",", encoding="latin-1", index=False)
    out["eu"] = _study(
        folder, "eu.toml", 'source = "eu.csv"\ndelimiter = ";"\ndecimal = ","\nencoding = "latin-1"'
    )

    export, dictionary = _redcap(frame)
    export.to_csv(folder / "export.csv", index=False)
    dictionary.to_csv(folder / "dictionary.csv", index=False)
    out["redcap"] = _study(
        folder, "redcap.toml", 'source = "export.csv"\ndictionary = "dictionary.csv"'
    )
    return out


def _redcap(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A raw REDCap export of the registry and its data dictionary: radio codes, a comma
    decimal field, a checkbox, a D-M-Y date and an identifier."""
    export = frame.drop(columns=["centre"]).copy()
    export["pgr"] = export["pgr"].map(lambda x: f"{x:g}".replace(".", ","))
    export.insert(1, "patient_name", [f"Name {i}" for i in range(len(export))])
    export["therapy___1"] = (export["hormon"] == "yes").astype(int)
    export["therapy___2"] = (export["chemo"] == "yes").astype(int)
    export["surgery_date"] = "02-01-1990"
    header = [
        "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
        "Choices, Calculations, OR Slider Labels", "Field Note",
        "Text Validation Type OR Show Slider Number", "Text Validation Min",
        "Text Validation Max", "Identifier?",
    ]
    rows = [
        ["pid", "baseline", "", "text", "Patient id", "", "", "", "", "", ""],
        ["patient_name", "baseline", "", "text", "Name", "", "", "", "", "", "y"],
        ["year", "baseline", "", "text", "Year of surgery", "", "", "integer", "", "", ""],
        ["age", "baseline", "", "text", "Age", "", "", "integer", "", "", ""],
        ["menopausal", "baseline", "", "radio", "Menopausal status",
         "pre, Premenopausal | post, Postmenopausal", "", "", "", "", ""],
        ["size", "baseline", "", "text", "Tumour size", "", "", "", "", "", ""],
        ["grade", "baseline", "", "dropdown", "Grade", "2, Grade 2 | 3, Grade 3", "", "", "",
         "", ""],
        ["nodes", "baseline", "", "text", "Nodes", "", "", "integer", "", "", ""],
        ["pgr", "baseline", "", "text", "PgR", "", "", "number_2dp_comma_decimal", "", "", ""],
        ["er", "baseline", "", "text", "ER", "", "", "integer", "", "", ""],
        ["hormon", "baseline", "", "radio", "Hormonal therapy", "no, No | yes, Yes", "", "", "",
         "", ""],
        ["chemo", "baseline", "", "radio", "Chemotherapy", "no, No | yes, Yes", "", "", "", "",
         ""],
        ["os_days", "outcome", "", "text", "OS days", "", "", "integer", "", "", ""],
        ["died", "outcome", "", "yesno", "Died", "", "", "", "", "", ""],
        ["rfs_days", "outcome", "", "text", "RFS days", "", "", "integer", "", "", ""],
        ["recurred_or_died", "outcome", "", "yesno", "Recurred or died", "", "", "", "", "",
         ""],
        ["therapy", "baseline", "", "checkbox", "Adjuvant therapy",
         "1, Hormonal | 2, Chemotherapy", "", "", "", "", ""],
        ["surgery_date", "baseline", "", "text", "Date of surgery", "", "", "date_dmy", "", "",
         ""],
    ]
    return export, pd.DataFrame(rows, columns=header)


@pytest.fixture(scope="module")
def csv_results(formats: dict[str, Path]) -> dict[str, Any]:
    return _results(formats["csv"])


@pytest.mark.parametrize("kind", ["sav", "dta", "eu", "redcap"])
def test_every_format_gives_the_numbers_of_the_csv(
    formats: dict[str, Path], csv_results: dict[str, Any], kind: str
) -> None:
    assert _results(formats[kind]) == csv_results


def test_the_results_are_not_trivially_equal(
    formats: dict[str, Path], csv_results: dict[str, Any], tmp_path: Path
) -> None:
    """The comparison can fail: a registry with one value changed gives other results."""
    frame = _frame()
    frame.loc[0, "age"] = 20
    frame.to_csv(tmp_path / "registry.csv", index=False)
    changed = _study(tmp_path, "s.toml", 'source = "registry.csv"')
    assert _results(changed) != csv_results


def test_value_and_variable_labels_reach_the_study(formats: dict[str, Path]) -> None:
    study = load_study(formats["sav"])
    var = study.config.variables
    assert var["grade"].labels == {"2": "Grade 2", "3": "Grade 3"}  # declared in the study
    assert var["age"].label == "Age"  # the study file's label wins over the file's
    assert study.levels["grade"] == ["2", "3"]  # levels stay the codes (2.0 → "2")
    assert "died" not in study.levels  # an endpoint's event column keeps its codes as numbers


def test_redcap_dictionary(formats: dict[str, Path]) -> None:
    study = load_study(formats["redcap"])
    var = study.config.variables
    assert "patient_name" not in study.columns  # an identifier never reaches an output
    assert var["therapy___2"].label == "Adjuvant therapy: Chemotherapy"
    assert var["therapy___2"].labels == {"0": "No", "1": "Yes"}
    assert study.kinds["surgery_date"] == "date"
    assert study.frame(["surgery_date"])["surgery_date"].iloc[0] == pd.Timestamp("1990-01-02")
    assert study.kinds["pgr"] == "continuous"


def test_redcap_longitudinal_export_is_refused(tmp_path: Path) -> None:
    export = pd.DataFrame(
        {"pid": [1, 1], "redcap_event_name": ["baseline_arm_1", "fu_arm_1"],
         "t": [5, 9], "e": [0, 1]}
    )
    export.to_csv(tmp_path / "export.csv", index=False)
    pd.DataFrame(
        [["pid", "f", "text"], ["t", "f", "text"], ["e", "f", "yesno"]],
        columns=["Variable / Field Name", "Form Name", "Field Type"],
    ).to_csv(tmp_path / "dict.csv", index=False)
    study = tmp_path / "s.toml"
    body = '[endpoints.os]\ntime = "t"\nevent = "e"\nunit = "days"\n'
    study.write_text(
        f'[data]\nsource = "export.csv"\ndictionary = "dict.csv"\nid = "pid"\n{body}'
    )
    with pytest.raises(InputError) as e:
        load_study(study)
    assert "redcap_event" in str(e.value)
    assert "baseline_arm_1" in str(e.value)
    study.write_text(
        '[data]\nsource = "export.csv"\ndictionary = "dict.csv"\nid = "pid"\n'
        f'redcap_event = "fu_arm_1"\n{body}'
    )
    loaded = load_study(study)
    assert loaded.n == 1
    assert loaded.frame(["os_event"])["os_event"].tolist() == [1]


def test_spss_user_missing_and_dates(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": [1.0, 2.0, 3.0, 4.0],
            "stage": [1.0, 2.0, 9.0, 2.0],
            "surgery": [dt.date(2010, 1, 2), dt.date(2011, 3, 4), dt.date(2012, 5, 6), None],
            "death": [dt.date(2012, 1, 2), None, None, None],
            "last_seen": [dt.date(2012, 1, 2), dt.date(2013, 1, 1), dt.date(2013, 1, 1), None],
        }
    )
    pyreadstat.write_sav(
        frame,
        tmp_path / "reg.sav",
        variable_value_labels={"stage": {1: "I", 2: "II", 9: "unknown"}},
        missing_ranges={"stage": [9]},
    )
    (tmp_path / "s.toml").write_text(
        '[data]\nsource = "reg.sav"\nid = "id"\n'
        '[follow_up]\nlast_contact = "last_seen"\ndeath = "death"\n'
        '[endpoints.os]\norigin = "surgery"\nevents = ["death"]\n'
    )
    study = load_study(tmp_path / "s.toml", strict=False)
    assert study.config.variables["stage"].missing == ["9"]
    assert study.levels["stage"] == ["1", "2"]  # 9 is a user-missing code, not a level
    assert study.kinds["surgery"] == "date"
    rows = study.frame(["id", "os_event"])
    assert rows["os_event"].tolist()[:2] == [1, 0]


def test_european_csv_without_the_keys_warns_or_fails(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text('id,t,e,w,z\n1,"1,5",1,"2,5","3,1"\n2,"2,5",0,3,4\n')
    body = '[endpoints.os]\ntime = "t"\nevent = "e"\nunit = "days"\n'
    (tmp_path / "s.toml").write_text(f'[data]\nsource = "c.csv"\nid = "id"\n{body}')
    with pytest.raises(InputError) as e:  # the time column is then not a number
        load_study(tmp_path / "s.toml")
    warnings = [p for p in e.value.problems if p.severity == "warning"]
    assert any(p.column == "w" and 'decimal = ","' in p.message for p in warnings)
    (tmp_path / "s.toml").write_text(
        f'[data]\nsource = "c.csv"\nid = "id"\n[variables.z]\ntype = "continuous"\n{body}'
    )
    with pytest.raises(InputError) as e:
        load_study(tmp_path / "s.toml")
    errors = [p for p in e.value.problems if p.severity == "error"]
    assert any(p.column == "z" and "decimal comma" in p.message for p in errors)
    (tmp_path / "s.toml").write_text(
        f'[data]\nsource = "c.csv"\nid = "id"\ndecimal = ","\n{body}'
    )
    study = load_study(tmp_path / "s.toml")
    months = [1.5 / 30.4375, 2.5 / 30.4375]
    assert study.frame(["os_time"])["os_time"].tolist() == pytest.approx(months)


runner = CliRunner()
_register()


def _cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_latin1_file_read_as_utf8_names_line_and_key(
    formats: dict[str, Path], tmp_path: Path
) -> None:
    eu = formats["eu"].parent / "eu.csv"
    study = _study(tmp_path, "s.toml", f'source = "{eu}"\ndelimiter = ";"\ndecimal = ","')
    with pytest.raises(InputError) as e:
        load_study(study)
    (problem,) = e.value.problems
    assert problem.row == 2
    assert "utf-8" in problem.message
    assert "[data] encoding" in problem.message


def test_quick_commands_read_every_format(formats: dict[str, Path]) -> None:
    folder = formats["csv"].parent
    runs = {
        "csv": [str(folder / "registry.csv")],
        "sav": [str(folder / "registry.sav")],
        "dta": [str(folder / "registry.dta")],
        "eu": [str(folder / "eu.csv"), "--delimiter", ";", "--decimal", ",", "--encoding",
               "latin-1"],
    }
    out = {}
    for kind, args in runs.items():
        run = _cli("km", *args, "--time", "os_days", "--event", "died", "--group", "grade",
                   "--at", "1000", "--json")
        assert run.exit_code == 0, run.output
        out[kind] = json.loads(run.stdout)
    assert out["sav"] == out["csv"] == out["dta"] == out["eu"]
    cox = [
        json.loads(_cli("cox", *runs[k], "--time", "os_days", "--event", "died",
                        "--covariates", "age,pgr", "--json").stdout)
        for k in ("csv", "eu", "sav")
    ]
    assert cox[0] == cox[1] == cox[2]


def test_bom_and_unknown_encoding(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_bytes(b"\xef\xbb\xbfid,t,e\n1,5,1\n2,6,0\n")
    run = _cli("km", str(tmp_path / "b.csv"), "--time", "t", "--event", "e", "--json")
    assert run.exit_code == 0, run.output
    run = _cli("km", str(tmp_path / "b.csv"), "--time", "t", "--event", "e", "--encoding", "nope")
    assert run.exit_code == 2
    assert "unknown encoding" in run.output
    assert "Traceback" not in run.output


def test_the_app_previews_an_uploaded_sav_and_dta(formats: dict[str, Path]) -> None:
    from survstudy.web.preview import read_preview
    from survstudy.web.session import DATA_SUFFIXES

    folder = formats["csv"].parent
    for name in ("registry.sav", "registry.dta"):
        assert Path(name).suffix in DATA_SUFFIXES
        preview = read_preview(folder / name)
        assert preview.n_rows == 2982
        grade = next(c for c in preview.columns if c.name == "grade")
        assert grade.values == ("2", "3")


#: SPSS portable files hold names of at most 8 characters, written in upper case.
_POR_NAMES = {"menopausal": "MENOPAUS", "recurred_or_died": "REC_DIED"}


def _por_study(folder: Path, source: str) -> Path:
    """The Rotterdam study with every column named as a .por file names it."""
    import re

    text = (EXAMPLE / "study.toml").read_text(encoding="utf-8")
    for col in pd.read_csv(EXAMPLE / "registry.csv", nrows=0).columns:
        new = _POR_NAMES.get(col, col.upper())
        text = re.sub(rf'(["\[.]){col}(["\]])', rf"\g<1>{new}\g<2>", text)
        text = re.sub(rf"([{{,] ){col}( = )", rf"\g<1>{new}\g<2>", text)  # inline-table keys
    text = text.replace('source = "REGISTRY.csv"', f'source = "{source}"')
    text = text.replace('source = "registry.csv"', f'source = "{source}"')
    path = folder / f"{source}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_spss_portable_file_gives_the_numbers_of_the_csv(tmp_path: Path) -> None:
    frame = _frame().drop(columns=["centre"])
    frame.columns = [_POR_NAMES.get(c, c.upper()) for c in frame.columns]
    frame.to_csv(tmp_path / "registry.csv", index=False)
    pyreadstat.write_por(frame, tmp_path / "registry.por", column_labels={"AGE": "Age"})
    csv, por = _por_study(tmp_path, "registry.csv"), _por_study(tmp_path, "registry.por")
    expected = _results(csv)
    assert expected["endpoints"]
    assert expected["characteristics"]
    assert load_study(por).n == 2982
    assert _results(por) == expected
    assert _cli("check", str(por)).exit_code == 0
    runs = [
        _cli("km", str(tmp_path / name), "--time", "OS_DAYS", "--event", "DIED", "--group",
             "GRADE", "--at", "1000", "--json")
        for name in ("registry.csv", "registry.por")
    ]
    assert runs[0].exit_code == 0, runs[0].output
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)
    report = _cli("report", str(por), "--out", str(tmp_path / "out"))
    assert report.exit_code == 0, report.output


READSTAT = Path(__file__).parent / "data/readstat"  # SAS-written files, see its README.md


def _sas_file(tmp_path: Path, name: str) -> Path:
    import gzip

    path = tmp_path / name
    path.write_bytes(gzip.decompress((READSTAT / f"{name}.gz").read_bytes()))
    return path


def test_sas7bdat_written_by_sas(tmp_path: Path) -> None:
    """pyreadstat's sample.sas7bdat: text, numbers, date, datetime and time columns, read as
    pyreadstat's sample.csv says they hold; km on it gives the numbers of the same CSV."""
    import duckdb

    from survstudy.engine.statfiles import stat_info, stat_parquet

    path = _sas_file(tmp_path, "sample.sas7bdat")
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{stat_parquet(path)}')").fetchall()
    assert rows == [
        ("a", 1.1, dt.date(2018, 5, 6), dt.datetime(2018, 5, 6, 10, 10, 10), 1, 1,
         dt.time(10, 10, 10)),
        ("b", 1.2, dt.date(1880, 5, 6), dt.datetime(1880, 5, 6, 10, 10, 10), 2, 2,
         dt.time(23, 10, 10)),
        ("c", -1000.3, dt.date(1960, 1, 1), dt.datetime(1960, 1, 1), 1, 3, dt.time(0)),
        ("d", -1.4, dt.date(1583, 1, 1), dt.datetime(1583, 1, 1), 2, 1, dt.time(16, 10, 10)),
        ("e", 1000.3, None, None, 1, 1, None),
    ]
    assert stat_info(path).columns["mydate"].kind == "date"
    csv = tmp_path / "sample.csv"
    csv.write_text("mychar,mynum,mylabl,myord\na,1.1,1,1\nb,1.2,2,2\nc,-1000.3,1,3\n"
                   "d,-1.4,2,1\ne,1000.3,1,1\n")
    runs = [
        _cli("km", str(p), "--time", "myord", "--event", "mylabl=2", "--group", "mychar",
             "--json")
        for p in (csv, path)
    ]
    assert runs[1].exit_code == 0, runs[1].output
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)


def test_stata_extended_and_sas_special_missing_values_are_missing_codes(
    tmp_path: Path,
) -> None:
    """Stata's .a-.z and SAS's .A-.Z/._ are kept as codes, declared missing (listed by check),
    and the analysis is that of the CSV with those cells empty."""
    frame = _frame().drop(columns=["centre"])
    frame["grade"] = frame["grade"].astype(float)
    blank = frame.copy()
    blank.loc[[0, 7], "age"] = None
    blank.loc[[3], "grade"] = None
    blank.astype({"grade": "Int64"}).to_csv(tmp_path / "registry.csv", index=False)
    coded = frame.astype({"age": object, "grade": object})
    coded.loc[0, "age"], coded.loc[7, "age"], coded.loc[3, "grade"] = "a", "b", "z"
    pyreadstat.write_dta(
        coded, tmp_path / "registry.dta",
        missing_user_values={"age": ["a", "b"], "grade": ["z"]},
        variable_format={"age": "%9.0g", "grade": "%9.0g"},
        variable_value_labels={"grade": {2: "Grade 2", 3: "Grade 3"}},
    )
    csv = _study(tmp_path, "csv.toml", 'source = "registry.csv"')
    dta = _study(tmp_path, "dta.toml", 'source = "registry.dta"')
    assert _results(dta) == _results(csv)
    study = load_study(dta)
    assert study.config.variables["age"].missing == [".a", ".b"]
    assert study.config.variables["grade"].missing == [".z"]
    assert study.levels["grade"] == ["2", "3"]
    check = _cli("check", str(dta))
    assert check.exit_code == 0, check.output
    draft = tmp_path / "draft.toml"
    assert _cli("init", str(tmp_path / "registry.dta"), "--out", str(draft)).exit_code == 0
    text = draft.read_text()
    assert '[variables.age]\nlabel = "age"\ntype = "continuous"' in text
    assert 'missing = [".a", ".b"]' in text
    assert 'missing = [".z"]' in text

    from survstudy.engine.statfiles import stat_info

    info = stat_info(_sas_file(tmp_path, "missing_test.sas7bdat")).columns
    assert [info[f"var{i}"].missing for i in range(1, 10)] == [
        (".A",), (".B",), (".C",), (".X",), (".Y",), (".Z",), ("._",), (), ()
    ]


def test_spss_user_missing_range_values_are_codes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": [1.0, 2.0, 3.0, 4.0], "age": [50.5, 995.0, 60.0, 999.0]})
    pyreadstat.write_sav(frame, tmp_path / "r.sav",
                         missing_ranges={"age": [{"lo": 990, "hi": 999}]})
    from survstudy.engine.statfiles import stat_info

    assert stat_info(tmp_path / "r.sav").columns["age"].missing == ("995", "999")
