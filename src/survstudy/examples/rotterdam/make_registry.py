"""Make registry.csv of the Rotterdam example from R's public ``rotterdam`` data set.

Input: rotterdam.csv as shipped with R's survival package (2982 primary breast cancers,
Rotterdam tumour bank, 1978-1993). Output: registry.csv, the same rows with

- ``rfs_days`` / ``recurred_or_died``: recurrence-free survival as R's survival vignette defines it:
  the event is recurrence or death (``pmax(recur, death)``) and the time is the recurrence time
  when there was a recurrence, else the death or last follow-up time (``rtime`` / ``dtime``);
- ``recurred``: R's ``recur`` (1 when the patient recurred, at ``rfs_days``), so that death
  without recurrence can be a competing event of recurrence;
- ``grade``, ``size``, ``meno``, ``chemo``, ``hormon`` written as labelled categories.

Run: python make_registry.py PATH/TO/rotterdam.csv   (deterministic: no random numbers)
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def main(source: str) -> None:
    data = pd.read_csv(source)
    out = pd.DataFrame({
        "pid": data["pid"],
        "year": data["year"],
        "age": data["age"],
        "menopausal": data["meno"].map({0: "pre", 1: "post"}),
        "size": data["size"],
        "grade": data["grade"].astype(str),
        "nodes": data["nodes"],
        "pgr": data["pgr"],
        "er": data["er"],
        "hormon": data["hormon"].map({0: "no", 1: "yes"}),
        "chemo": data["chemo"].map({0: "no", 1: "yes"}),
        "os_days": data["dtime"],
        "died": data["death"],
        "rfs_days": data["rtime"].where(data["recur"] == 1, data["dtime"]),
        "recurred_or_died": ((data["recur"] == 1) | (data["death"] == 1)).astype(int),
        "recurred": data["recur"],
    })
    out.to_csv(Path(__file__).with_name("registry.csv"), index=False)


if __name__ == "__main__":
    main(sys.argv[1])
