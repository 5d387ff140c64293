"""The labels of an engine's containers read into a task's plan: which are stopped during its backup,
in which order, which commands run in them, and the labels or states that are an error."""

from __future__ import annotations

import pytest

from duplicity_cron.containers.labels import (
    COMPOSE_DEPENDS_ON,
    COMPOSE_PROJECT,
    COMPOSE_SERVICE,
    Container,
    LabelError,
    plan_for,
    restore_plan_for,
    stop_order,
)


def box(name: str, state: str = "running", **labels: str) -> Container:
    return Container(id=f"id-{name}", name=name, state=state, labels=labels)


def stop(*tasks: str) -> dict[str, str]:
    return {"duplicity-cron.stop-during-backup": ",".join(tasks)}


def compose(service: str, depends: str = "", project: str = "shop") -> dict[str, str]:
    labels = {COMPOSE_PROJECT: project, COMPOSE_SERVICE: service}
    if depends:
        labels[COMPOSE_DEPENDS_ON] = depends
    return labels


def test_running_containers_named_by_the_stop_label_are_stopped_for_that_task_only() -> None:
    containers = [
        box("app", **stop("app", "other")),
        box("db", **stop("db")),
        box("plain"),
        box("idle", state="exited", **stop("app")),
    ]
    plan = plan_for("app", True, containers)
    assert [c.name for c in plan.stop] == ["app"]
    assert [c.name for c in plan.stays_stopped] == ["idle"]  # already stopped: left alone
    assert plan_for("db", True, containers).stop == (containers[1],)
    assert plan_for("unnamed", True, containers).empty


def test_spaces_around_the_task_ids_of_the_stop_label_are_allowed() -> None:
    assert plan_for("db", True, [box("x", **{"duplicity-cron.stop-during-backup": "app, db"})]).stop


def test_exec_labels_of_the_task_and_not_of_another() -> None:
    labels = {
        "duplicity-cron.app.exec-before": "redis-cli save",
        "duplicity-cron.app.exec-after": "echo done",
        "duplicity-cron.other.exec-before": "false",
    }
    plan = plan_for("app", True, [box("cache", **labels)])
    assert [(e.container.name, e.command) for e in plan.before] == [("cache", "redis-cli save")]
    assert [(e.container.name, e.command) for e in plan.after] == [("cache", "echo done")]
    assert plan.stop == ()
    assert plan.touched() == ["exec-before in cache", "exec-after in cache"]


def test_a_task_id_with_dots_is_read_from_the_exec_label() -> None:
    plan = plan_for("app.v2", True, [box("c", **{"duplicity-cron.app.v2.exec-before": "true"})])
    assert plan.before[0].command == "true"


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"duplicity-cron.stop-during-backup": ""}, "not a comma-separated list of task ids"),
        ({"duplicity-cron.stop-during-backup": "app,,db"}, "not a comma-separated list"),
        ({"duplicity-cron.stop-during-backup": "app db"}, "not a comma-separated list"),
        ({"duplicity-cron.app.exec-befor": "true"}, "unknown label duplicity-cron.app.exec-befor"),
        ({"duplicity-cron.app.exec-after": "  "}, "label duplicity-cron.app.exec-after is empty"),
        ({"duplicity-cron.stop-during-backups": "app"}, "unknown label duplicity-cron.stop-during-backups"),
    ],
)
def test_a_malformed_label_is_an_error_naming_the_container(labels: dict[str, str], message: str) -> None:
    with pytest.raises(LabelError, match=message) as caught:
        plan_for("app", True, [box("web", **labels)])
    assert str(caught.value).startswith("container web")
    assert "\n" not in str(caught.value)


def test_another_tasks_unknown_exec_label_is_that_runners_business() -> None:
    assert plan_for("app", True, [box("web", **{"duplicity-cron.other.whatever": "x"})]).empty


@pytest.mark.parametrize("state", ["paused", "restarting", "removing", "dead", "", "weird"])
def test_a_container_in_another_state_is_an_error(state: str) -> None:
    with pytest.raises(LabelError, match=f"container web is {state or 'in an unknown state'}"):
        plan_for("app", True, [box("web", state=state, **stop("app"))])


def test_a_paused_container_of_another_task_is_no_error() -> None:
    assert plan_for("app", True, [box("web", state="paused", **stop("db"))]).empty


def test_exec_in_a_stopped_container_is_an_error() -> None:
    with pytest.raises(LabelError, match="container web is exited: its exec labels need it running"):
        plan_for("app", True, [box("web", state="exited", **{"duplicity-cron.app.exec-before": "true"})])


def test_stopping_for_a_task_without_a_backup_step_is_an_error() -> None:
    with pytest.raises(LabelError, match="names task app, which has no backup step"):
        plan_for("app", False, [box("web", **stop("app"))])


def test_compose_dependents_are_stopped_before_what_they_depend_on() -> None:
    db = box("a-db", **compose("db"))
    web = box("z-web", **compose("web", "db:service_started:false,cache:service_healthy:true"))
    cache = box("m-cache", **compose("cache"))
    worker = box("b-worker", **compose("worker", "web:service_started:false"))
    assert [c.name for c in stop_order([db, web, cache, worker])] == ["b-worker", "z-web", "a-db", "m-cache"]


def test_the_same_service_name_in_another_project_is_no_dependency() -> None:
    db = box("a-db", **compose("db", project="other"))
    web = box("z-web", **compose("web", "db:service_started:false"))
    assert [c.name for c in stop_order([db, web])] == ["a-db", "z-web"]


def test_a_dependency_cycle_falls_back_to_names() -> None:
    one = box("one", **compose("one", "two"))
    two = box("two", **compose("two", "one"))
    assert [c.name for c in stop_order([two, one])] == ["one", "two"]


def test_the_plan_stops_in_dependency_order() -> None:
    db = box("a-db", **compose("db"), **stop("app"))
    web = box("z-web", **compose("web", "db:service_started:false"), **stop("app"))
    assert [c.name for c in plan_for("app", True, [db, web]).stop] == ["z-web", "a-db"]


def test_a_restore_stops_the_containers_of_either_stop_label_and_runs_no_exec() -> None:
    containers = [
        box("web", **stop("app")),
        box("worker", **{"duplicity-cron.stop-during-restore": "app"}),
        box("other", **{"duplicity-cron.stop-during-restore": "db"}),
        box("idle", state="exited", **{"duplicity-cron.stop-during-restore": "app"}),
        box("hooks", **{"duplicity-cron.app.exec-before": "true"}),
    ]
    plan = restore_plan_for("app", containers)
    assert [c.name for c in plan.stop] == ["web", "worker"]
    assert [c.name for c in plan.stays_stopped] == ["idle"]
    assert not plan.before and not plan.after
    # a backup does not stop the containers that only a restore must
    assert [c.name for c in plan_for("app", True, containers).stop] == ["web"]


@pytest.mark.parametrize(
    "labels",
    [{"duplicity-cron.stop-during-restore": "app,,db"}, {"duplicity-cron.stop-during-restores": "app"}],
    ids=["malformed", "misspelt"],
)
def test_a_bad_restore_label_is_an_error(labels: dict[str, str]) -> None:
    with pytest.raises(LabelError, match=r"container web: .*label duplicity-cron\.stop-during-restore"):
        restore_plan_for("app", [box("web", **labels)])
