"""duplicity-cron: schedules and runs Duplicity backup tasks defined by TASK_<id>_* environment variables."""


def __getattr__(name: str) -> str:
    """`__version__`, looked up when asked for: importlib.metadata costs every start-up ~0.05-0.1 s."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("duplicity-cron")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"
