"""duplicity-cron: schedules and runs Duplicity backup tasks defined by TASK_<id>_* environment variables."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("duplicity-cron")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
