"""CONF_PUSHGATEWAY_URL: `exec` pushes each run's metrics to a real Prometheus Pushgateway (Debian's
prometheus-pushgateway, started on a free port of 127.0.0.1, with basic auth), read back from its /metrics.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import wait_until
from .http_recorder import free_port

GATEWAY = "prometheus-pushgateway"
USER, PASSWORD = "pusher", "gateway-canary-pw"
CANARY = "pg-canary-secret-4711"


class Gateway:
    def __init__(self, tmp_path: Path) -> None:
        binary = shutil.which(GATEWAY) or "/usr/bin/prometheus-pushgateway"
        if not Path(binary).exists():
            pytest.fail(f"{GATEWAY} is missing: scripts/test.sh installs it (apt prometheus-pushgateway)")
        web = tmp_path / "web.yml"
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        web.write_text(f"basic_auth_users:\n  {USER}: '{hashed}'\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (tmp_path / "gateway.log").open("wb")
        self.process = subprocess.Popen(
            [binary, f"--web.listen-address=127.0.0.1:{self.port}", f"--web.config.file={web}",
             "--persistence.file=", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(lambda: self.get("/-/ready") is not None, what="the pushgateway answers")

    def get(self, path: str) -> str | None:
        request = urllib.request.Request(self.url + path)
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.read().decode()
        except OSError:
            return None

    def series(self, task: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """The samples of duplicity-cron's group for `task`, keyed by name and the other labels."""
        text = self.get("/metrics") or ""
        found = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = dict(sample.labels)
                if labels.pop("job", None) == "duplicity-cron" and labels.pop("task", None) == task:
                    labels.pop("instance", None)
                    found[(sample.name, tuple(sorted(labels.items())))] = sample.value
        return found

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    started = Gateway(tmp_path)
    yield started
    started.close()


def env_for(gateway: Gateway, load: str) -> dict[str, str]:
    return {
        "CONF_PUSHGATEWAY_URL": f"http://{USER}:{PASSWORD}@127.0.0.1:{gateway.port}",
        "PGPASSWORD": CANARY,
        "TASK_db_CRONTAB": "@daily",
        "TASK_db_LOAD": load,
    }


def test_exec_pushes_the_runs_metrics_and_keeps_the_last_success(cli, gateway):
    ok = cli("exec", "db", env=env_for(gateway, 'echo "dumping with $PGPASSWORD"'))
    assert ok.returncode == 0, ok.output
    pushed = gateway.series("db")
    success = pushed[("duplicity_cron_last_success_timestamp_seconds", ())]
    assert pushed[("duplicity_cron_last_run_timestamp_seconds", ())] == success
    assert pushed[("duplicity_cron_last_run_status", (("status", "succeeded"),))] == 1
    assert pushed[("duplicity_cron_max_age_seconds", ())] == 2 * 86400

    failed = cli("exec", "db", env=env_for(gateway, "exit 7"))
    assert failed.returncode == 1
    pushed = gateway.series("db")
    assert pushed[("duplicity_cron_last_run_status", (("status", "failed"),))] == 1
    assert pushed[("duplicity_cron_last_run_status", (("status", "succeeded"),))] == 0
    assert pushed[("duplicity_cron_last_success_timestamp_seconds", ())] == success  # from the history
    assert pushed[("duplicity_cron_last_run_timestamp_seconds", ())] > success
    everything = gateway.get("/metrics") or ""
    assert CANARY not in everything and PASSWORD not in everything
    assert CANARY not in failed.output + ok.output and PASSWORD not in failed.output + ok.output


def test_a_refused_push_is_a_warning_with_the_password_masked(cli, gateway):
    env = env_for(gateway, "true")
    env["CONF_PUSHGATEWAY_URL"] = f"http://{USER}:wrong-password-canary@127.0.0.1:{gateway.port}"
    refused = cli("exec", "db", env=env)
    assert refused.returncode == 0, refused.output  # the backup succeeded: the push never fails it
    assert "cannot push the metrics to http://127.0.0.1:" in refused.output
    assert "401" in refused.output
    assert "wrong-password-canary" not in refused.output
    assert gateway.series("db") == {}


def test_a_dead_gateway_costs_a_warning(cli):
    port = free_port()
    dead = cli("exec", "db", env={"CONF_PUSHGATEWAY_URL": f"http://127.0.0.1:{port}", "TASK_db_LOAD": "true"})
    assert dead.returncode == 0, dead.output
    assert f"cannot push the metrics to http://127.0.0.1:{port}" in dead.output


def test_a_bad_pushgateway_url_is_a_configuration_error(cli):
    bad = cli("check", env={"CONF_PUSHGATEWAY_URL": "ftp://gw:9091", "TASK_db_LOAD": "true"})
    assert bad.returncode == 2
    assert "CONF_PUSHGATEWAY_URL: is not an http:// or https:// URL" in bad.stderr
