"""``survstudy cox``: Cox regression (being built)."""
