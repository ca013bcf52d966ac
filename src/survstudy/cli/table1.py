"""``survstudy table1``: patient characteristics by group (being built)."""
