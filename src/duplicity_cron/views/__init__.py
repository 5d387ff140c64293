"""What the commands show, pure: the `list` and `status` tables and JSON shapes, a run's summary line,
and the README's reference tables derived from the configuration tables.

May import: `model`, `config`.
"""
