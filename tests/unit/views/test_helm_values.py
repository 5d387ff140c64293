"""`helm-values`' image and env: the image the tasks need (from the engine registry), an error for tasks
that need two, and never a path of the machine it runs on in `env`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from duplicity_cron.config import parse_config
from duplicity_cron.databases import ENGINES
from duplicity_cron.views.helm_image import called_programs, pick_image
from duplicity_cron.views.helm_values import HOST_PATHS, HelmValues, convert, render

ROOT = Path(__file__).resolve().parents[3]
DAILY = "0 1 * * *"


def _convert(env: dict[str, str]) -> HelmValues:
    return convert(env, parse_config(env), "cronjobs", "duplicity-cron", "1.2.3")


@pytest.mark.parametrize(
    ("url", "repository"),
    [
        ("postgresql://backup@db:5432/", "duplicity-postgres"),
        ("postgres://backup@db/", "duplicity-postgres"),
        ("mariadb://backup@db:3306/", "duplicity-mariadb"),
        ("mysql://backup@db:3306/", "duplicity-mysql"),
    ],
)
def test_a_database_url_task_gets_its_engines_image(url: str, repository: str) -> None:
    env = {"TASK_db_CRONTAB": DAILY, "TASK_db_DATABASE_URL": url, "TASK_files_LOAD": "true"}
    converted = _convert(env)
    assert converted.values["image"] == {"repository": repository, "tag": "1.2.3"}
    assert converted.image.tasks == ("db",)
    target = repository.removeprefix("duplicity-")
    assert f"#   docker build --target {target} -t REGISTRY/{repository}:1.2.3 ." in render(
        converted, "backup", "duplicity-cron"
    )


def test_a_plain_task_gets_the_cron_image() -> None:
    converted = _convert({"TASK_t_CRONTAB": DAILY, "TASK_t_LOAD": "echo docker pg_dump"})
    assert converted.values["image"] == {"repository": "duplicity-cron", "tag": "1.2.3"}
    assert "docker build --target cron -t REGISTRY/duplicity-cron:1.2.3" in render(converted, "b", "s")


@pytest.mark.parametrize(
    ("step", "repository"),
    [
        ("docker stop app", "duplicity-docker"),
        ("cd /x && docker compose exec -T db true", "duplicity-docker"),
        ('pg_dump -Fc -d app -f "$SRC/app.dump"', "duplicity-postgres"),
        ("set -e; mariadb-dump --all-databases > $SRC/all.sql", "duplicity-mariadb"),
        ("echo $(psql -tAc 'select 1')", "duplicity-postgres"),
    ],
)
def test_a_step_calling_a_program_gets_the_image_that_has_it(step: str, repository: str) -> None:
    converted = _convert({"TASK_t_CRONTAB": DAILY, "TASK_t_PREPARE": step})
    assert converted.values["image"]["repository"] == repository


def test_a_mysql_task_calling_mysql_keeps_the_mysql_image_while_a_plain_step_gets_mariadbs() -> None:
    # mysql and mysqldump are in both images: the task's URL chose one that has them
    env = {
        "TASK_db_CRONTAB": DAILY,
        "TASK_db_DATABASE_URL": "mysql://backup@db/",
        "TASK_db_PREPARE": "mysql -e 1",
    }
    assert _convert(env).values["image"]["repository"] == "duplicity-mysql"
    plain = _convert({"TASK_t_CRONTAB": DAILY, "TASK_t_PREPARE": "mysqldump app > $SRC/app.sql"})
    assert plain.values["image"]["repository"] == "duplicity-mariadb"


def test_a_program_is_the_first_word_of_a_command() -> None:
    assert called_programs("a x; b y && c z | d\n e `f` $(g)") == {"a", "b", "c", "d", "e", "f", "g"}
    assert "docker" not in called_programs("echo docker; docker-compose up")


def test_tasks_that_need_two_images_are_an_error_saying_to_split_them() -> None:
    env = {
        "TASK_pg_CRONTAB": DAILY,
        "TASK_pg_DATABASE_URL": "postgresql://backup@db/",
        "TASK_my_CRONTAB": DAILY,
        "TASK_my_DATABASE_URL": "mariadb://backup@db/",
        "TASK_plain_LOAD": "true",
    }
    with pytest.raises(ValueError, match=r"^the tasks need different images \(my the mariadb image; pg the "
                       r"postgres image\): one release runs one image, so put each group in its own env "
                       r"file and install one release for each$"):  # fmt: skip
        _convert(env)


def test_one_task_that_needs_two_images_is_an_error() -> None:
    env = {"TASK_pg_DATABASE_URL": "postgresql://backup@db/", "TASK_pg_PREPARE": "docker stop app"}
    with pytest.raises(ValueError, match="task pg needs the docker and the postgres images"):
        pick_image(parse_config(env).tasks.values())


@pytest.mark.parametrize("name", sorted(HOST_PATHS))
def test_no_host_path_reaches_env(name: str) -> None:
    env = {"TASK_t_CRONTAB": DAILY, "TASK_t_LOAD": "true", "TZ": "UTC", name: "/home/me/somewhere"}
    converted = _convert(env)
    assert converted.values["env"] == {"TZ": "UTC"}
    text = render(converted, "backup", "duplicity-cron")
    assert "/home/me/somewhere" not in text
    assert f"# Left out of env, the chart mounts its own folders there: {name}\n" in text


def test_the_host_paths_include_the_ones_the_runner_and_duplicity_use() -> None:
    assert {"CONF_STATE_DIR", "CONF_WORK_DIR", "XDG_CACHE_HOME", "HOME", "GNUPGHOME"} <= HOST_PATHS


def test_a_tasks_source_and_file_target_stay_mounts(tmp_path: Path) -> None:
    env = {"TASK_t_CRONTAB": DAILY, "TASK_t_SOURCE": str(tmp_path), "TASK_t_TARGET": "file:///backups/t",
           "PASSPHRASE": "not-printed"}  # fmt: skip
    converted = _convert(env)
    assert converted.mounts == ("/backups/t", str(tmp_path))
    assert f"extraVolumeMounts: /backups/t, {tmp_path}\n" in render(converted, "b", "s")
    values = json.loads("{" + render(converted, "b", "s").partition("\n{")[2])
    assert values["tasks"]["t"]["source"] == str(tmp_path)


def test_every_engines_image_is_a_target_of_the_dockerfile_and_tagged_by_bake() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    bake = (ROOT / "docker-bake.hcl").read_text()
    for image in ["cron", "docker", *(engine.image for engine in ENGINES)]:
        assert re.search(rf"^FROM \S+ AS {image}$", dockerfile, re.MULTILINE), image
        assert f'target   = "{image}"\n  tags     = tags("duplicity-{image}")' in bake, image
