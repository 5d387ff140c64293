"""`helm-values [--mode cronjobs|daemon] [--secret NAME] [--release NAME]`: the chart's values from the
env files (and the environment's TASK_*, CONF_*, TZ, PASSPHRASE*), validated first like every command."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from ..config.task_keys import TASK_PREFIX
from ..views.helm_values import MODES, convert, render
from .common import EXIT_OK, EXIT_USAGE, Loaded, error, parse, parser
from .loading import read_env_file

# Of the process environment only these: the rest is the machine's (PATH, HOME...) or the image's.
_FROM_ENVIRONMENT = ("CONF_", "TZ", "PASSPHRASE")


def variables_of(environ: Mapping[str, str], env_files: tuple[str, ...]) -> dict[str, str]:
    """The variables a compose user sets: the env files' (later ones win) over the environment's own."""
    variables = {
        name: value
        for name, value in environ.items()
        if name.startswith(TASK_PREFIX) or name == "TZ" or name.startswith(_FROM_ENVIRONMENT)
    }
    for path in env_files:
        variables.update(read_env_file(path))
    return variables


SUMMARY = "print values for the Helm chart charts/duplicity-cron"


def command_parser() -> argparse.ArgumentParser:
    command_parser = parser(
        "helm-values",
        f"{SUMMARY} from the env files\n(and the environment's TASK_*, CONF_*, TZ, "
        "PASSPHRASE*), validated first. No secret value is\nprinted: the keys of the Secret to create are. "
        "It names the image the tasks need\n(exit 2 when they need two: one release each); "
        "no folder of this machine goes into env.",
    )
    command_parser.add_argument(
        "--mode",
        default="cronjobs",
        metavar="cronjobs|daemon",
        help="a Kubernetes CronJob per scheduled task, or one pod running the scheduler (default: cronjobs)",
    )
    command_parser.add_argument(
        "--secret",
        default="duplicity-cron",
        metavar="NAME",
        help="the Secret that holds the secret variables (default: duplicity-cron)",
    )
    command_parser.add_argument(
        "--release",
        default="backup",
        metavar="NAME",
        help="the release name in the `helm install` line printed (default: backup)",
    )
    return command_parser


def main(args: list[str], loaded: Loaded) -> int:
    options = parse(command_parser(), args)
    if options is None:
        return EXIT_USAGE
    if options.mode not in MODES:
        error(f"duplicity-cron helm-values: --mode {options.mode!r}: expected cronjobs or daemon")
        return EXIT_USAGE
    from .. import __version__  # looked up only here: see duplicity_cron.__getattr__

    variables = variables_of(os.environ, loaded.env_files)
    try:
        converted = convert(variables, loaded.config, options.mode, options.secret, __version__)
    except ValueError as problem:  # the tasks need two images
        error(f"duplicity-cron helm-values: {problem}")
        return EXIT_USAGE
    for warning in converted.warnings:
        error(f"duplicity-cron helm-values: warning: {warning}")
    print(render(converted, options.release, options.secret), end="")
    return EXIT_OK
