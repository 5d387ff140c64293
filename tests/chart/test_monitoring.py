"""The chart's Grafana dashboard (a ConfigMap for Grafana's sidecar) and PrometheusRule, both rendered
from the files compose users get (charts/duplicity-cron/monitoring/); the dashboard's shape.
(That every metric they query exists: tests/integration/test_dashboard_queries.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from itertools import combinations

import kubernetes_validate
import pytest
import yaml

from .conftest import CHART, ROOT, documents, helm, of_kind, render_text

DASHBOARD = CHART / "monitoring" / "grafana-dashboard.json"
RULES = CHART / "monitoring" / "prometheus-rules.yaml"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
ON = "grafanaDashboard.enabled=true"


def dashboard_maps(docs):
    return [doc for doc in of_kind(docs, "ConfigMap") if doc["metadata"]["name"].endswith("-dashboard")]


def test_no_dashboard_by_default(render):
    assert dashboard_maps(render()) == []
    assert dashboard_maps(render(sets=["mode=daemon"])) == []


@pytest.mark.parametrize("mode", ["cronjobs", "daemon"])
def test_the_dashboard_is_the_shipped_file_in_a_configmap_the_sidecar_finds(render, mode):
    (config_map,) = dashboard_maps(render(sets=[ON, f"mode={mode}"]))
    kubernetes_validate.validate(config_map, "1.27.0", strict=True)
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert "namespace" not in config_map["metadata"]  # the release's
    assert "annotations" not in config_map["metadata"]
    (text,) = config_map["data"].values()
    assert json.loads(text) == json.loads(DASHBOARD.read_text())


def test_the_dashboards_labels_namespace_and_folder_are_set_from_values(render):
    sets = [
        ON,
        "grafanaDashboard.namespace=monitoring",
        "grafanaDashboard.labels.grafana_dashboard=null",
        "grafanaDashboard.labels.dashboards=backups",
        "grafanaDashboard.annotations.grafana_folder=Backups",
    ]
    (config_map,) = dashboard_maps(render(sets=sets))
    meta = config_map["metadata"]
    assert meta["namespace"] == "monitoring"
    assert meta["labels"]["dashboards"] == "backups" and "grafana_dashboard" not in meta["labels"]
    assert meta["annotations"] == {"grafana_folder": "Backups"}


def test_a_dashboard_without_labels_fails_the_rendering_with_a_message():
    args = ["template", "backup", str(CHART), "--set", ON, "--set", "grafanaDashboard.labels=null"]
    result = helm(*args, check=False)
    assert result.returncode != 0
    assert "grafanaDashboard.labels is empty: Grafana's sidecar finds dashboards by a label" in result.stderr


def test_lint_passes_strictly_with_the_dashboard_and_rules():
    sets = ["--set", ON, "--set", "daemon.metrics.prometheusRule.enabled=true", "--set", "mode=daemon"]
    assert "0 chart(s) failed" in helm("lint", "--strict", str(CHART), *sets).stdout


def rendered_rules(*sets: str) -> list[dict]:
    docs = documents(render_text(sets=["daemon.metrics.prometheusRule.enabled=true", *sets]))
    (rule,) = of_kind(docs, "PrometheusRule")
    (group,) = rule["spec"]["groups"]
    assert group["name"] == "backups"
    return group["rules"]


def shipped_rules() -> list[dict]:
    (group,) = yaml.safe_load(RULES.read_text())["groups"]
    return group["rules"]


def test_the_prometheusrule_is_the_shipped_rules_file():
    assert rendered_rules("mode=daemon") == shipped_rules()
    names = [rule["alert"] for rule in shipped_rules()]
    assert names == [
        "BackupTooOld", "BackupOverdue", "BackupLastRunFailed", "BackupDrillFailed", "BackupSchedulerDown",
    ]  # fmt: skip


def test_cronjobs_mode_has_no_scheduler_to_be_down_and_too_old_follows_the_value():
    rules = {rule["alert"]: rule for rule in rendered_rules("daemon.metrics.prometheusRule.tooOldHours=30")}
    assert "BackupSchedulerDown" not in rules and len(rules) == len(shipped_rules()) - 1
    expr = "time() - duplicity_cron_last_success_timestamp_seconds > 30 * 3600"
    assert rules["BackupTooOld"]["expr"] == expr
    shipped = {rule["alert"]: rule for rule in shipped_rules()}
    assert rules["BackupOverdue"] == shipped["BackupOverdue"]


def test_the_monitoring_how_to_shows_the_rules_file_as_shipped():
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs/how-to/monitoring.md").read_text(), re.DOTALL)
    assert RULES.read_text() in blocks


def panels(dashboard):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def test_the_dashboard_queries_the_datasource_variable_and_hard_codes_no_uid():
    dashboard = json.loads(DASHBOARD.read_text())
    assert 36 <= dashboard["schemaVersion"] <= 41 and dashboard["uid"] == "duplicity-cron"
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert (variables["datasource"]["type"], variables["datasource"]["query"]) == ("datasource", "prometheus")
    for name in ("instance", "task"):
        assert variables[name]["datasource"] == DATASOURCE
    shown = [panel for panel in panels(dashboard) if panel["type"] != "row"]
    assert len(shown) >= 20
    for panel in shown:
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
            assert '$task"' in target["expr"] or panel["title"] == "Scheduler", panel["title"]
            assert '$instance"' in target["expr"], panel["title"]
    uids = re.findall(r'"uid": "([^"]*)"', DASHBOARD.read_text())
    assert set(uids) == {"${datasource}", "-- Grafana --", "duplicity-cron"}  # the built-in annotations'


def test_the_dashboards_panels_have_units_and_do_not_overlap():
    dashboard = json.loads(DASHBOARD.read_text())
    shown = list(panels(dashboard))
    assert len({panel["id"] for panel in shown}) == len(shown)
    for panel in shown:
        if panel["type"] == "timeseries":
            assert panel["fieldConfig"]["defaults"]["unit"] in {"s", "bytes", "short"}, panel["title"]

    def cells(panel):
        box = panel["gridPos"]
        xs, ys = range(box["x"], box["x"] + box["w"]), range(box["y"], box["y"] + box["h"])
        return {(x, y) for x in xs for y in ys}

    for a, b in combinations(shown, 2):
        assert not cells(a) & cells(b), (a["title"], b["title"])
    assert all(panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24 for panel in shown)


def promtool(*args: str) -> str:
    found = shutil.which("promtool")
    assert found, "promtool is not installed: run scripts/test.sh (it installs Debian's prometheus)"
    result = subprocess.run([found, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_promtool_accepts_the_rules_file_and_the_rendered_rules(tmp_path):
    assert "SUCCESS: 5 rules found" in promtool("check", "rules", str(RULES))
    rendered = tmp_path / "rendered.yaml"
    rules = rendered_rules("mode=daemon", "daemon.metrics.prometheusRule.tooOldHours=30")
    rendered.write_text(yaml.safe_dump({"groups": [{"name": "backups", "rules": rules}]}))
    assert "SUCCESS: 5 rules found" in promtool("check", "rules", str(rendered))


SCHEDULER = 'job="duplicity-cron", instance="h:9100"'
HOME = SCHEDULER + ', task="home"'
LABELS = {"job": "duplicity-cron", "instance": "h:9100", "task": "home"}


def fired(alert: str, labels: dict[str, str], age: str = "") -> list[dict]:
    """One alert as promtool expects it: its labels, and its annotations as Prometheus renders them."""
    (rule,) = [rule for rule in shipped_rules() if rule["alert"] == alert]
    annotations = {}
    for name, text in rule["annotations"].items():
        text = text.replace("{{ $value | humanizeDuration }}", age)
        for label, value in labels.items():
            text = text.replace(f"{{{{ $labels.{label} }}}}", value)
        annotations[name] = text
    return [{"exp_labels": {**labels, **rule["labels"]}, "exp_annotations": annotations}]


def test_the_alerts_fire_when_they_should_and_not_before(tmp_path):
    """Prometheus' own rule evaluation (promtool test rules) on series as the daemon exports them."""
    status = f'duplicity_cron_last_run_status{{{HOME}, status="%s"}}'
    drill = f'duplicity_cron_last_verify_status{{{HOME}, status="%s"}}'
    tests = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [
            {  # the last success at 0, MAX_AGE 2 days; the run at 10h fails, the drill at 20h times out
                "interval": "1h",
                "input_series": [
                    {"series": f"duplicity_cron_last_success_timestamp_seconds{{{HOME}}}", "values": "0x60"},
                    {"series": f"duplicity_cron_max_age_seconds{{{HOME}}}", "values": "172800x60"},
                    {"series": status % "succeeded", "values": "1x9 0x50"},
                    {"series": status % "failed", "values": "0x9 1x50"},
                    {"series": drill % "timed_out", "values": "0x19 1x40"},
                    {"series": f"duplicity_cron_up{{{SCHEDULER}}}", "values": "1x60"},
                    {"series": f"up{{{SCHEDULER}}}", "values": "1x60"},
                ],
                "alert_rule_test": [
                    {"eval_time": "9h", "alertname": "BackupLastRunFailed", "exp_alerts": []},
                    {"eval_time": "10h", "alertname": "BackupLastRunFailed",
                     "exp_alerts": fired("BackupLastRunFailed", {**LABELS, "status": "failed"})},
                    {"eval_time": "19h", "alertname": "BackupDrillFailed", "exp_alerts": []},
                    {"eval_time": "20h", "alertname": "BackupDrillFailed",
                     "exp_alerts": fired("BackupDrillFailed", {**LABELS, "status": "timed_out"})},
                    {"eval_time": "25h", "alertname": "BackupTooOld", "exp_alerts": []},
                    {"eval_time": "27h", "alertname": "BackupTooOld",
                     "exp_alerts": fired("BackupTooOld", LABELS, age="1d 3h 0m 0s")},
                    {"eval_time": "47h", "alertname": "BackupOverdue", "exp_alerts": []},
                    {"eval_time": "49h", "alertname": "BackupOverdue",
                     "exp_alerts": fired("BackupOverdue", LABELS, age="2d 1h 0m 0s")},
                    {"eval_time": "50h", "alertname": "BackupSchedulerDown", "exp_alerts": []},
                ],
            },
            {  # the scheduler stops being scraped at 10m: up is 0; the alert waits 5 minutes
                "interval": "1m",
                "input_series": [{"series": f"up{{{SCHEDULER}}}", "values": "1x9 0x20"}],
                "alert_rule_test": [
                    {"eval_time": "14m", "alertname": "BackupSchedulerDown", "exp_alerts": []},
                    {"eval_time": "16m", "alertname": "BackupSchedulerDown",
                     "exp_alerts": fired("BackupSchedulerDown", {k: LABELS[k] for k in ("job", "instance")}),
                     },
                ],
            },
        ],
    }  # fmt: skip
    path = tmp_path / "tests.yaml"
    path.write_text(yaml.safe_dump(tests))
    assert "SUCCESS" in promtool("test", "rules", str(path))
