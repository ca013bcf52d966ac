"""Make ``registry.csv``: the 13 seed patients with illustrative dates.

The seed paper prints survival in months, not dates. This script places dates so that every
printed fact holds, and asserts each one:

- survival months from liver resection reproduce the printed value to 0.05 month
  (months = days / 30.4375);
- follow-up cutoff 2011-12-30; censored patients were last seen on the cutoff, patients who
  died were last seen on the day they died;
- breast-cancer surgery between 1991-01-01 and 2006-12-31;
- the interval from breast surgery to detection of liver metastasis has median 62.5 months and
  range 13-121 months among the 11 metachronous patients; the 2 synchronous patients had liver
  metastases at diagnosis, six cycles of neo-adjuvant therapy, then breast surgery and liver
  resection on the same day.

Everything else is a choice, written below: which two patients were synchronous, how the 11
printed-range intervals were spread between 13 and 121 months, how long after detection each
resection was, and when the six patients who died were resected. Recurrence dates are left
empty: the paper prints none. Deterministic (no random numbers). Run:
``python make_registry.py`` (writes registry.csv beside this file).
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from pathlib import Path

HERE = Path(__file__).parent
SEED = HERE.parent / "seed" / "seed_liver_resection_cohort.csv"
OUT = HERE / "registry.csv"

CUTOFF = dt.date(2011, 12, 30)
DAYS_PER_MONTH = 30.4375
NEOADJUVANT_DAYS = 147  # detection at diagnosis → surgery after six 3-weekly cycles

# (group, case) → interval breast surgery → liver metastasis (months), or "sync"
INTERVAL = {
    ("solitary", 1): 44, ("solitary", 2): 13, ("solitary", 3): 30, ("solitary", 4): 51,
    ("solitary", 5): "sync", ("solitary", 6): 62.5, ("solitary", 7): 88,
    ("extrahepatic", 1): 75, ("extrahepatic", 2): "sync", ("extrahepatic", 3): 109,
    ("extrahepatic", 4): 121, ("extrahepatic", 5): 97, ("extrahepatic", 6): 58,
}  # fmt: skip
# days from detection of liver metastasis to liver resection (metachronous patients)
WORK_UP_DAYS = {
    ("solitary", 1): 42, ("solitary", 2): 35, ("solitary", 3): 56, ("solitary", 4): 28,
    ("solitary", 6): 49, ("solitary", 7): 63, ("extrahepatic", 1): 38, ("extrahepatic", 3): 45,
    ("extrahepatic", 4): 31, ("extrahepatic", 5): 52, ("extrahepatic", 6): 40,
}  # fmt: skip
# liver resection date of the patients who died (censored patients: fixed by the cutoff)
RESECTED = {
    ("solitary", 4): dt.date(2003, 7, 14), ("solitary", 5): dt.date(2002, 9, 16),
    ("solitary", 7): dt.date(2005, 3, 14), ("extrahepatic", 2): dt.date(2004, 5, 10),
    ("extrahepatic", 3): dt.date(2008, 2, 18), ("extrahepatic", 6): dt.date(2009, 8, 3),
}  # fmt: skip

COLUMNS = [
    "patient_id", "group", "case", "sex", "age_years", "pathology", "histologic_grade",
    "t_stage", "n_stage", "er", "pr", "her2", "extrahepatic_site", "liver_segments",
    "resection_type", "rfa", "postoperative_chemotherapy", "breast_surgery_date",
    "liver_metastasis_date", "liver_resection_date", "recurrence_date", "death_date",
    "last_contact_date", "died",
]  # fmt: skip


def days(months: float) -> dt.timedelta:
    return dt.timedelta(days=round(months * DAYS_PER_MONTH))


def months(delta: dt.timedelta) -> float:
    return delta.days / DAYS_PER_MONTH


def make_rows() -> list[dict[str, str]]:
    with SEED.open(newline="") as f:
        seed = list(csv.DictReader(f))
    rows = []
    for p in seed:
        key = (p["group"], int(p["case"]))
        survival = float(p["survival_months"])
        died = p["died"] == "1"
        if died:
            resection = RESECTED[key]
            end = resection + days(survival)
            assert end < CUTOFF, key
        else:
            end = CUTOFF
            resection = CUTOFF - days(survival)
        if INTERVAL[key] == "sync":
            breast = resection
            metastasis = breast - dt.timedelta(days=NEOADJUVANT_DAYS)
        else:
            metastasis = resection - dt.timedelta(days=WORK_UP_DAYS[key])
            interval = INTERVAL[key]
            assert isinstance(interval, (int, float))
            breast = metastasis - days(float(interval))
        assert dt.date(1991, 1, 1) <= breast <= dt.date(2006, 12, 31), key
        assert abs(months(end - resection) - survival) < 0.05, key
        tnm = p["tnm"]
        rows.append({
            "patient_id": f"{'S' if p['group'] == 'solitary' else 'E'}{p['case']}",
            "group": p["group"], "case": p["case"], "sex": p["sex"],
            "age_years": p["age_years"], "pathology": p["pathology"],
            "histologic_grade": p["histologic_grade"], "t_stage": tnm[:2],
            "n_stage": tnm[2:4], "er": p["er"], "pr": p["pr"], "her2": p["her2"],
            "extrahepatic_site": p["extrahepatic_site"], "liver_segments": p["liver_segments"],
            "resection_type": p["liver_resection"], "rfa": p["rfa"],
            "postoperative_chemotherapy": p["postoperative_chemotherapy"],
            "breast_surgery_date": breast.isoformat(),
            "liver_metastasis_date": metastasis.isoformat(),
            "liver_resection_date": resection.isoformat(),
            "recurrence_date": "",
            "death_date": end.isoformat() if died else "",
            "last_contact_date": end.isoformat(),
            "died": "1" if died else "0",
        })  # fmt: skip
    check(rows)
    return rows


def check(rows: list[dict[str, str]]) -> None:
    """The printed facts about intervals hold."""
    meta = []
    sync = 0
    for r in rows:
        gap = dt.date.fromisoformat(r["liver_metastasis_date"]) - dt.date.fromisoformat(
            r["breast_surgery_date"]
        )
        if gap.days <= 0:
            sync += 1
        else:
            meta.append(months(gap))
    assert sync == 2
    assert len(meta) == 11
    assert abs(statistics.median(meta) - 62.5) < 0.05
    assert abs(min(meta) - 13) < 0.05
    assert abs(max(meta) - 121) < 0.05


def main() -> None:
    rows = make_rows()
    with OUT.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {OUT} ({len(rows)} patients)")


if __name__ == "__main__":
    main()
