"""The study file (``study.toml``) as typed models: read by the data layer, the study layer and
the faces; it knows nothing above :mod:`survstudy.errors`.

:mod:`.models` holds one pydantic model per section, :mod:`.parse` turns TOML into a checked
:class:`StudyFile`, :mod:`.dump` writes a :class:`StudyConfig` back to TOML.
"""
