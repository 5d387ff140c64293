"""The image a release of the chart runs (`helm-values`): the one whose programs the tasks call.

Pure. A task needs an engine's image (a Dockerfile target: postgres, mariadb) when its DATABASE_URL or
VERIFY_URL names that engine, or when one of its steps calls one of the engine's clients (pg_dump,
psql, mariadb ...); the docker image when a step calls `docker`; else the cron image. A program is
"called" when its name is the first word of a command: at the start of the step, or after `;`, `&`,
`|`, `(`, `` ` ``, `$(` or a new line. The images come from the engine registry, not from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..databases import ENGINES, engine_for
from ..model import Task

CRON = "cron"  # the Dockerfile target of the image without database clients
DOCKER = "docker"  # the target with the docker CLI
# each program's images: the first engine listing it gives the image a step that calls it needs; the
# others have it too (mysql and mysqldump: the mariadb image's and the mysql image's)
_HAVE: dict[str, list[str]] = {DOCKER: [DOCKER]}
for _engine in ENGINES:
    for _program in _engine.programs:
        _HAVE.setdefault(_program, []).append(_engine.image)
_COMMAND = re.compile(r"(?:^|[;&|(`\n])\s*([A-Za-z0-9_.-]+)")


@dataclass(frozen=True)
class Image:
    target: str  # the Dockerfile target (`docker build --target`)
    tasks: tuple[str, ...]  # the tasks that need it (all of them for the cron image)

    @property
    def repository(self) -> str:
        """Its name as docker-bake.hcl tags it: duplicity-cron, duplicity-postgres ..."""
        return f"duplicity-{self.target}"


def called_programs(step: str) -> set[str]:
    """The first word of each command of a step (a shell line): what it runs."""
    return {match.group(1) for match in _COMMAND.finditer(step)}


def image_of(task: Task) -> str:
    """The Dockerfile target a task needs; ValueError when it needs two (a PostgreSQL URL and `docker`)."""
    needed = {engine_for(url).image for url in (task.database_url, task.verify_url) if url is not None}
    for step in task.steps.values():
        for program in called_programs(step):
            if program in _HAVE and not needed & set(_HAVE[program]):
                needed.add(_HAVE[program][0])
    if len(needed) > 1:
        raise ValueError(
            f"task {task.id} needs the {' and the '.join(sorted(needed))} images, and no image has both: "
            "build one FROM either that adds the other's client, and set image.repository to it"
        )
    return needed.pop() if needed else CRON


def pick_image(tasks: Iterable[Task]) -> Image:
    """The one image every task can run in; ValueError (one line, what to do) when there is none."""
    by_image: dict[str, list[str]] = {}
    for task in sorted(tasks, key=lambda t: t.id):
        by_image.setdefault(image_of(task), []).append(task.id)
    special = {image: ids for image, ids in by_image.items() if image != CRON}
    if len(special) > 1:
        groups = "; ".join(f"{', '.join(ids)} the {image} image" for image, ids in sorted(special.items()))
        raise ValueError(
            f"the tasks need different images ({groups}): one release runs one image, so put each group "
            "in its own env file and install one release for each"
        )
    if not special:
        return Image(CRON, tuple(id for ids in by_image.values() for id in ids))
    ((image, ids),) = special.items()
    return Image(image, tuple(ids))
