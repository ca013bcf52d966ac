"""The front door of the Python API: functions that take a DataFrame or a file path, resolve it
(open the file, read the columns), then call the pure statistics in :mod:`survstudy.stats`.

:mod:`survstudy` re-exports the public names; the CLI calls the same functions.
"""
