"""A synthetic liver-resection registry with dates, of any size, deterministic under a seed.

The registry has the columns of the bundled seed study (``examples/liver_resection``), so its
study file reads a synthetic registry unchanged (``load_study(..., data=path)``). Patients are
breast-cancer patients whose liver metastases were resected: dates of breast surgery, liver
metastasis, liver resection, recurrence and death, the last contact, and the characteristics
the seed paper tabulates. Survival after resection is Weibull with a proportional-hazards
effect of extrahepatic disease, grade, age and estrogen receptor; recurrence competes with
death; follow-up continues to an extract date after the study cutoff, and some patients are
lost earlier, so every branch of the endpoint derivation (event, censored at last contact,
censored at the cutoff, event after the cutoff) occurs.

Generation is vectorised in fixed chunks of rows, each with its own child seed, so 10^7
patients stream to Parquet in constant memory and the same seed always gives the same file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CHUNK", "SynthModel", "SynthResult", "synthesize", "write_synthetic"]

#: Rows generated per chunk (part of the definition of a seed's output: do not change).
CHUNK = 1_000_000

_EPOCH = dt.date(1970, 1, 1)


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


@dataclass(frozen=True)
class SynthModel:
    """The assumptions of the generator, recorded with every synthetic registry."""

    resection_from: dt.date = dt.date(1995, 1, 1)
    resection_to: dt.date = dt.date(2011, 9, 30)
    extract_date: dt.date = dt.date(2013, 6, 30)  # follow-up continues past the cutoff
    p_extrahepatic: float = 0.45
    p_synchronous: float = 0.15
    interval_median_months: float = 60.0
    interval_sigma: float = 0.6
    os_median_months_solitary: float = 50.0
    weibull_shape: float = 1.2
    log_hr_extrahepatic: float = 0.9
    log_hr_poor_grade: float = 0.3
    log_hr_age_over_60: float = 0.2
    log_hr_er_positive: float = -0.2
    recurrence_median_months: float = 14.0
    loss_mean_years: float = 20.0


@dataclass(frozen=True)
class SynthResult:
    """What was written: where, how many patients, the seed and the model."""

    path: str
    format: str
    n_patients: int
    seed: int
    n_died: int
    model: SynthModel

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["model"] = {
            k: (v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in asdict(self.model).items()
        }
        return d


_LEVELS: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "sex": (("F", "M"), (0.99, 0.01)),
    "pathology": (("IDC", "mucinous"), (0.9, 0.1)),
    "histologic_grade": (("well", "moderate", "poor"), (0.3, 0.45, 0.25)),
    "t_stage": (("T1", "T2", "T3", "T4"), (0.35, 0.45, 0.12, 0.08)),
    "n_stage": (("N0", "N1", "N2", "N3"), (0.4, 0.3, 0.2, 0.1)),
    "her2": (("pos", "neg"), (0.3, 0.7)),
    "liver_segments": (("S2", "S3", "S4", "S5", "S6", "S7", "S8"), (1 / 7,) * 7),
    "resection_type": (
        ("wedge resection", "lateral sectionectomy", "right posterior sectionectomy"),
        (0.6, 0.3, 0.1),
    ),
    "rfa": (("yes", "no"), (0.15, 0.85)),
    "postoperative_chemotherapy": (("yes", "no"), (0.95, 0.05)),
}
_SITES = ("bone", "neck node", "brain", "ovary", "lung")
_POS_NEG = ("pos", "neg")
_GROUPS = ("solitary", "extrahepatic")


def _choice(rng: np.random.Generator, p: tuple[float, ...], n: int) -> NDArray[np.int8]:
    return np.searchsorted(np.cumsum(p)[:-1], rng.random(n), side="right").astype(np.int8)


def _weibull(rng: np.random.Generator, median: NDArray[np.float64], shape: float) -> Any:
    scale = median / np.log(2.0) ** (1.0 / shape)
    return scale * rng.weibull(shape, median.size)


def _chunk(rng: np.random.Generator, start: int, n: int, m: SynthModel) -> dict[str, Any]:
    """One chunk of patients as columns: integer codes for categories, day numbers for dates."""
    per_month = 30.4375
    cols: dict[str, Any] = {"patient_id": np.arange(start + 1, start + n + 1, dtype=np.int64)}
    extra = (rng.random(n) < m.p_extrahepatic).astype(np.int8)
    cols["group"] = extra
    cols["age_years"] = np.clip(np.rint(rng.normal(52, 10, n)), 28, 85).astype(np.int16)
    for name, (_, p) in _LEVELS.items():
        cols[name] = _choice(rng, p, n)
    er_pos = rng.random(n) < 0.65
    pr_pos = rng.random(n) < np.where(er_pos, 0.8, 0.2)
    cols["er"] = np.where(er_pos, 0, 1).astype(np.int8)
    cols["pr"] = np.where(pr_pos, 0, 1).astype(np.int8)
    cols["extrahepatic_site"] = np.where(extra == 1, rng.integers(0, len(_SITES), n), -1)

    resection = rng.integers(_day(m.resection_from), _day(m.resection_to) + 1, n).astype(float)
    sync = rng.random(n) < m.p_synchronous
    interval = (
        np.clip(m.interval_median_months * np.exp(m.interval_sigma * rng.normal(size=n)), 6, 180)
        * per_month
    )
    work_up = rng.integers(20, 91, n)
    neoadjuvant = rng.integers(120, 201, n)
    metastasis = np.where(sync, resection - neoadjuvant, resection - work_up)
    breast = np.where(sync, resection, metastasis - np.rint(interval))

    lp = (
        m.log_hr_extrahepatic * extra
        + m.log_hr_poor_grade * (cols["histologic_grade"] == 2)
        + m.log_hr_age_over_60 * (cols["age_years"] > 60)
        + m.log_hr_er_positive * er_pos
    )
    median_os = m.os_median_months_solitary * per_month * np.exp(-lp / m.weibull_shape)
    t_death = np.ceil(_weibull(rng, median_os, m.weibull_shape))
    median_rec = m.recurrence_median_months * per_month * np.exp(-lp / m.weibull_shape)
    t_rec = np.ceil(_weibull(rng, median_rec, 1.0))
    t_loss = np.ceil(rng.exponential(m.loss_mean_years * 365.25, n))
    follow = np.minimum(t_loss, _day(m.extract_date) - resection)
    died = t_death <= follow
    end = np.where(died, t_death, follow)
    recurred = (t_rec < end) & (t_rec < t_death)
    cols["breast_surgery_date"] = breast
    cols["liver_metastasis_date"] = metastasis
    cols["liver_resection_date"] = resection
    cols["recurrence_date"] = np.where(recurred, resection + t_rec, np.nan)
    cols["death_date"] = np.where(died, resection + t_death, np.nan)
    cols["last_contact_date"] = resection + end
    cols["died"] = died.astype(np.int8)
    return cols


_ORDER = (
    "patient_id", "group", "sex", "age_years", "pathology", "histologic_grade", "t_stage",
    "n_stage", "er", "pr", "her2", "extrahepatic_site", "liver_segments", "resection_type",
    "rfa", "postoperative_chemotherapy", "breast_surgery_date", "liver_metastasis_date",
    "liver_resection_date", "recurrence_date", "death_date", "last_contact_date", "died",
)  # fmt: skip


def _arrow(cols: dict[str, Any]) -> Any:
    """Columns → a pyarrow Table: categories as dictionary arrays, dates as date32."""
    import pyarrow as pa

    levels = {
        **{k: v[0] for k, v in _LEVELS.items()},
        "group": _GROUPS,
        "er": _POS_NEG,
        "pr": _POS_NEG,
        "extrahepatic_site": _SITES,
    }
    arrays = {}
    for name in _ORDER:
        v = cols[name]
        if name in levels:
            idx = pa.array(v.astype(np.int32), mask=v < 0)
            arrays[name] = pa.DictionaryArray.from_arrays(idx, pa.array(levels[name]))
        elif name.endswith("_date"):
            missing = np.isnan(v)
            arrays[name] = pa.array(
                np.where(missing, 0, v).astype(np.int32), type=pa.date32(), mask=missing
            )
        else:
            arrays[name] = pa.array(v)
    return pa.table(arrays)


def _chunks(n: int, seed: int, model: SynthModel) -> Any:
    children = np.random.SeedSequence(seed).spawn(max(1, -(-n // CHUNK)))
    for k, child in enumerate(children):
        start = k * CHUNK
        size = min(CHUNK, n - start)
        if size <= 0:
            break
        yield _arrow(_chunk(np.random.default_rng(child), start, size, model))


def synthesize(n: int, seed: int = 0, model: SynthModel | None = None) -> Any:
    """A synthetic registry of ``n`` patients as a pyarrow Table (``.to_pandas()`` for pandas)."""
    import pyarrow as pa

    if n < 1:
        raise ValueError(f"the number of patients must be at least 1, not {n}")
    return pa.concat_tables(list(_chunks(n, seed, model or SynthModel())))


def write_synthetic(
    path: str | Path, n: int, seed: int = 0, model: SynthModel | None = None
) -> SynthResult:
    """Write ``n`` synthetic patients to ``path``: Parquet (.parquet) or CSV (.csv).

    Rows are streamed chunk by chunk, so memory does not grow with ``n``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if n < 1:
        raise ValueError(f"--patients must be at least 1, not {n}")
    out = Path(path)
    kind = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}.get(out.suffix.lower())
    if kind is None:
        raise ValueError(f"--out must end in .csv or .parquet, not '{out.suffix}'")
    if not out.parent.exists():
        raise ValueError(f"folder {out.parent} does not exist")
    model = model or SynthModel()
    tmp = out.with_name(out.name + ".partial")
    n_died = 0
    writer: Any = None
    try:
        for table in _chunks(n, seed, model):
            n_died += int(pc.sum(table["died"]).as_py())
            if kind == "parquet":
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
            else:
                plain = pa.table(
                    {
                        c: (
                            table[c].cast(pa.string())
                            if pa.types.is_dictionary(table[c].type)
                            else table[c]
                        )
                        for c in table.column_names
                    }
                )
                if writer is None:
                    writer = pacsv.CSVWriter(tmp, plain.schema)
                writer.write_table(plain)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(out)
    return SynthResult(str(out), kind, n, seed, n_died, model)
