"""The build: records -> mapping -> reasoning -> validation -> a release folder (offline).

It reads ``data/``, ``ontology/``, ``shapes/`` and ``queries/`` and writes a release through
:mod:`psfkg.release`; it never imports :mod:`psfkg.query` or :mod:`psfkg.web`.
"""
