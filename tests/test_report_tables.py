"""Table wording in the report (issue 14, item 10): whole counts without decimals."""

from __future__ import annotations

from survstudy.report.characteristics import _whole_range


def test_whole_ranges_print_without_decimals() -> None:
    assert _whole_range(0.0, 5004.0) == "0–5004"
    assert _whole_range(39.0, 62.0) == "39–62"
    assert _whole_range(1.5, 7.0) == "1.5–7.0"
    assert _whole_range(None, 3.0) == "NA–3.0"  # as format_range: no whole range known
