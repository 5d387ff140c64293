"""Every metric and label that the Grafana dashboard, the alert rules and the docs' extra rules query is
in the /metrics of a real daemon, after a real backup, a `restore TASK`, a failed run and a drill.

The queries are read with a PromQL parser (promql-parser, the Rust parser of GreptimeDB's and others'
query engines), not with regular expressions: a metric in a function, an `offset`, a `by (...)` or an
`on (...)` is found as Prometheus would read it, and a query it cannot parse fails the test.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from .backups import backup_env, places
from .conftest import wait_until
from .http_recorder import free_port

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "charts" / "duplicity-cron" / "monitoring"
DASHBOARD = MONITORING / "grafana-dashboard.json"
RULES = MONITORING / "prometheus-rules.yaml"
DOCS = ROOT / "docs" / "how-to" / "monitoring.md"
# What Prometheus adds to what it scrapes: the labels of the target, and `up`, one series per target.
TARGET_LABELS = frozenset({"job", "instance"})
PROMETHEUS_SERIES = {"up": TARGET_LABELS}
# Grafana's interval variables stand where PromQL wants a duration; any duration parses the same.
GRAFANA_DURATIONS = re.compile(r"\$\{?__(?:rate_interval|interval|range)\b\}?")
LABEL_VALUES = re.compile(r"label_values\((?P<selector>.+),\s*(?P<label>\w+)\s*\)")


@dataclass
class Query:
    where: str
    expr: str
    selectors: dict[str, set[str]] = field(default_factory=dict)  # metric -> labels its matchers name
    grouping: set[str] = field(default_factory=set)  # labels of by/without/on/ignoring/group_*


def read(where: str, expr: str) -> Query:
    """The metrics and labels of one PromQL expression (Grafana's variables replaced)."""
    query = Query(where, expr)
    try:
        tree = promql_parser.parse(GRAFANA_DURATIONS.sub("5m", expr))
    except Exception as error:  # the parser raises its own ValueError-like errors
        raise AssertionError(f"{where}: cannot parse {expr!r}: {error}") from error

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            labels = {m.name for m in node.matchers.matchers if m.name != "__name__"}
            assert node.name, f"{where}: a selector without a metric name in {expr!r}"
            query.selectors.setdefault(node.name, set()).update(labels)
        elif isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            query.grouping.update(node.modifier.labels)
        elif isinstance(node, promql_parser.BinaryExpr) and node.modifier is not None:
            if node.modifier.matching is not None:
                query.grouping.update(node.modifier.matching.labels)
            query.grouping.update(node.modifier.group_labels or ())

    promql_parser.walk(tree, visit)
    return query


def dashboard_queries(dashboard: dict) -> Iterator[Query]:
    def panels(items: list[dict]) -> Iterator[dict]:
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            yield read(f"panel {panel['title']!r} {target['refId']}", target["expr"])
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        match = LABEL_VALUES.fullmatch(variable["query"]["query"])
        assert match, f"variable {variable['name']}: expected label_values(SELECTOR, LABEL)"
        query = read(f"variable {variable['name']}", match["selector"])
        query.grouping.add(match["label"])  # the label whose values it lists
        yield query


def rule_queries(groups: list[dict], where: str) -> Iterator[Query]:
    for group in groups:
        for rule in group["rules"]:
            yield read(f"{where} {rule['alert']}", rule["expr"])


def docs_rule_queries() -> Iterator[Query]:
    """The rules the monitoring how-to shows: the shipped file and the extra ones it suggests."""
    for block in re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), re.DOTALL):
        document = yaml.safe_load(block)
        if isinstance(document, dict) and "groups" in document:
            yield from rule_queries(document["groups"], "docs/how-to/monitoring.md")


def all_queries() -> list[Query]:
    return [
        *dashboard_queries(json.loads(DASHBOARD.read_text())),
        *rule_queries(yaml.safe_load(RULES.read_text())["groups"], RULES.name),
        *docs_rule_queries(),
    ]


def scrape_labels(port: int) -> dict[str, set[str]]:
    """Each series name of /metrics with the labels it carries."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    found: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, set()).update(sample.labels)
    return found


def unknown(queries: list[Query], metrics: dict[str, set[str]]) -> list[str]:
    """What the queries name that the scrape does not hold, one line each."""
    known = {name: labels | TARGET_LABELS for name, labels in {**metrics, **PROMETHEUS_SERIES}.items()}
    problems = []
    for query in queries:
        for metric, labels in query.selectors.items():
            if metric not in known:
                problems.append(f"{query.where}: no metric {metric} in /metrics")
            elif labels - known[metric]:
                problems.append(f"{query.where}: {metric} has no label {sorted(labels - known[metric])}")
        available = set().union(*(known.get(metric, set()) for metric in query.selectors))
        if query.grouping - available:
            problems.append(f"{query.where}: no label {sorted(query.grouping - available)} on its metrics")
    return problems


def test_the_queries_are_read_from_every_panel_variable_and_rule():
    queries = all_queries()
    wheres = {query.where for query in queries}
    dashboard = json.loads(DASHBOARD.read_text())
    targets = sum(len(panel.get("targets", [])) for panel in dashboard["panels"])
    assert targets >= 20 and len([w for w in wheres if w.startswith("panel ")]) == targets
    assert {"variable instance", "variable task"} <= wheres
    assert f"{RULES.name} BackupDrillFailed" in wheres and "docs/how-to/monitoring.md BackupShrank" in wheres
    # the parser sees through functions, offsets and vector matching
    (shrank,) = [q for q in queries if q.where == "docs/how-to/monitoring.md BackupShrank"]
    assert shrank.selectors == {"duplicity_cron_backup_source_bytes": set()}
    ratio = next(q for q in queries if "duplicity_cron_max_age_seconds" in q.selectors and q.grouping)
    assert ratio.grouping == {"instance", "task"}


def test_unknown_metrics_and_labels_are_named():
    queries = [
        read("a", 'sum by (task) (rate(duplicity_cron_runs_total{status="failed"}[5m]))'),
        read("b", "time() - duplicity_cron_last_sucess_timestamp_seconds"),
        read("c", 'duplicity_cron_up{task="x"}'),
        read("d", "max by (host) (duplicity_cron_up)"),
        read("e", 'up{job="duplicity-cron"} == 0'),
    ]
    metrics = {"duplicity_cron_runs_total": {"task", "status"}, "duplicity_cron_up": set()}
    assert unknown(queries, metrics) == [
        "b: no metric duplicity_cron_last_sucess_timestamp_seconds in /metrics",
        "c: duplicity_cron_up has no label ['task']",
        "d: no label ['host'] on its metrics",
    ]


@pytest.mark.slow
def test_every_queried_metric_and_label_is_in_a_real_daemons_metrics(cli, daemon, tmp_path):
    where = places(tmp_path)
    (where.data / "a.txt").write_text("the data\n")
    port = free_port()
    env = {
        **backup_env(where, CRONTAB="0 3 * * *", VERIFY="*/5 * * * * *"),
        "TASK_broken_CRONTAB": "* * * * * *",
        "TASK_broken_LOAD": "false",
        "CONF_METRICS_PORT": str(port),
    }
    assert cli("exec", "home", env=env, timeout=300).returncode == 0  # a real backup
    assert cli("restore", "home", "--to", str(tmp_path / "restored"), env=env, timeout=300).returncode == 0
    running = daemon(env)
    running.wait_for("[broken] run failed", timeout=60)
    running.wait_for("[home] verify succeeded", timeout=120)
    # the counters follow the log lines by a moment (the observers' thread)
    wait_until(lambda: "duplicity_cron_verify_runs_total" in scrape_labels(port), what="the drill counted")
    metrics = scrape_labels(port)
    assert running.stop() == 0
    assert unknown(all_queries(), metrics) == []
    # what the test relies on: every gauge of the runner is there, labelled by task
    assert {"duplicity_cron_last_restore_task_seconds", "duplicity_cron_target_chains"} <= set(metrics)
    assert metrics["duplicity_cron_last_run_status"] == {"task", "status"}
