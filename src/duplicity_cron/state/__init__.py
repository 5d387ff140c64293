"""What the runner keeps on disk in the state folder: run history and the daemon's heartbeat, written as
atomic JSON files (`files`).

May import: `model`, `config`.
"""
