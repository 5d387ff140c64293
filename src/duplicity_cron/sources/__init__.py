"""Databases as backup sources: one plug-in module per engine (`postgresql`, `mariadb`) exposing the same
few pure functions that build the clients' command lines, and the URL they share (`database_url`).

Pure, like `targets` (and borgmatic's `hooks/data_source/*.py`): running the clients, writing the dump
files and the manifest is `runner.dump`'s. May import: `model`, `config`.
"""
