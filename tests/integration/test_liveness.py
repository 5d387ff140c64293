"""`healthcheck --liveness` (the chart's liveness probe): the scheduler alone, not the backups' freshness,
so that Kubernetes does not restart the pod (interrupting the next backup) because one backup failed."""

from __future__ import annotations


def check(cli, env, *args: str) -> tuple[int, str]:
    result = cli("healthcheck", *args, env=env)
    assert result.returncode in (0, 1), result.output
    return result.returncode, result.stdout.strip()


def test_liveness_ignores_a_failed_backup_but_not_a_stopped_scheduler(daemon, cli):
    env = {"TASK_t_CRONTAB": "*/2 * * * * *", "TASK_t_LOAD": "exit 9"}
    code, line = check(cli, env, "--liveness")
    assert code == 1 and "no heartbeat" in line
    d = daemon(env)
    d.wait_for("run failed")
    code, line = check(cli, env)
    assert code == 1 and "task t: last run failed at step load (exit code 9)" in line
    assert check(cli, env, "--liveness") == (0, "healthy")
    assert d.stop() == 0
    code, line = check(cli, env, "--liveness")
    assert code == 1 and "the scheduler stopped at" in line


def test_another_argument_is_unhealthy(cli):
    assert check(cli, {}, "--ready") == (1, "unhealthy: healthcheck takes no argument but --liveness")
