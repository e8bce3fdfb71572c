"""Container precedence: our defaults < the base < compose < x-ecs, over a Terraform base."""

from __future__ import annotations

import json
from pathlib import Path

ROLE = "arn:aws:iam::123456789012:role/shop-prod-exec"
TASK_ROLE = "arn:aws:iam::123456789012:role/shop-prod-task"
DD_KEY = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog-api-key-AbCdEf"
FIRELENS = {
    "logDriver": "awsfirelens",
    "options": {"Name": "datadog", "Host": "http-intake.logs.datadoghq.eu", "TLS": "on"},
    "secretOptions": [{"name": "apikey", "valueFrom": DD_KEY}],
}
WORKER_LOGS = {
    "logDriver": "awslogs",
    "options": {
        "awslogs-group": "/aws/ecs/shop-prod/worker",
        "awslogs-region": "eu-west-1",
        "awslogs-stream-prefix": "worker",
    },
}
LOG_ROUTER = {
    "name": "log_router",
    "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
    "essential": True,
    "firelensConfiguration": {"type": "fluentbit"},
    "logConfiguration": {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/aws/ecs/shop-prod/firelens",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "firelens",
        },
    },
}


def _terraform_base(path: Path) -> None:
    """A DescribeTaskDefinition answer shaped as aws_ecs_task_definition writes one."""
    path.write_text(
        json.dumps(
            {
                "taskDefinition": {
                    "taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:"
                    "task-definition/shop-prod:12",
                    "revision": 12,
                    "status": "ACTIVE",
                    "family": "shop-prod",
                    "requiresCompatibilities": ["FARGATE"],
                    "networkMode": "awsvpc",
                    "cpu": "1024",
                    "memory": "2048",
                    "executionRoleArn": ROLE,
                    "taskRoleArn": TASK_ROLE,
                    "runtimePlatform": {
                        "cpuArchitecture": "ARM64",
                        "operatingSystemFamily": "LINUX",
                    },
                    "containerDefinitions": [
                        {
                            "name": "web",
                            "image": "old/web:1",
                            "essential": True,
                            "logConfiguration": FIRELENS,
                            "dependsOn": [{"containerName": "log_router", "condition": "START"}],
                            "environment": [
                                {"name": "RAILS_ENV", "value": "production"},
                                {"name": "DD_SERVICE", "value": "shop"},
                            ],
                        },
                        {
                            "name": "worker",
                            "image": "old/worker:1",
                            "essential": True,
                            "logConfiguration": WORKER_LOGS,
                            "linuxParameters": {"initProcessEnabled": True},
                        },
                        LOG_ROUTER,
                    ],
                },
                "tags": [{"key": "team", "value": "shop"}, {"key": "env", "value": "prod"}],
            }
        )
    )


COMPOSE = """
    services:
      web:
        image: shop/web:2
        environment: {RAILS_ENV: production, PORT: "3000"}
        ports: ["3000:3000"]
      worker:
        image: shop/web:2
        command: bundle exec sidekiq
"""


def test_platform_settings_of_the_base_survive_where_compose_is_silent(compose, tmp_path) -> None:
    _terraform_base(tmp_path / "base.json")
    result = compose(
        COMPOSE,
        args=("--service", "web", "--service", "worker", "--task-definition", "base.json"),
        role=False,
        region=None,
    )
    assert result.code == 0, result.err
    request = result.request
    assert (request["family"], request["cpu"], request["memory"]) == ("shop-prod", "1024", "2048")
    assert (request["executionRoleArn"], request["taskRoleArn"]) == (ROLE, TASK_ROLE)
    assert request["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    assert request["tags"] == [{"key": "team", "value": "shop"}, {"key": "env", "value": "prod"}]
    web, worker = result.container("web"), result.container("worker")
    assert web["logConfiguration"] == FIRELENS
    assert web["dependsOn"] == [{"containerName": "log_router", "condition": "START"}]
    assert web["image"] == "shop/web:2"
    assert worker["logConfiguration"] == WORKER_LOGS
    assert worker["linuxParameters"] == {"initProcessEnabled": True}
    assert worker["command"] == ["bundle", "exec", "sidekiq"]
    assert result.container("log_router") == LOG_ROUTER
    assert [c["name"] for c in request["containerDefinitions"]] == ["web", "worker", "log_router"]


def test_compose_environment_replaces_the_base_and_names_each_entry_dropped(
    compose, tmp_path
) -> None:
    _terraform_base(tmp_path / "base.json")
    result = compose(
        COMPOSE,
        args=("--service", "web", "--service", "worker", "--task-definition", "base.json"),
        role=False,
        region=None,
    )
    env = {e["name"]: e["value"] for e in result.container("web")["environment"]}
    assert env == {"RAILS_ENV": "production", "PORT": "3000"}
    dropped = [n for n in result.notices if "of the base revision is not deployed" in n]
    assert len(dropped) == 1 and "DD_SERVICE" in dropped[0] and "service web" in dropped[0]
    assert "shop" not in dropped[0].split("DD_SERVICE", 1)[1]  # the name only, not the value


def test_compose_and_x_ecs_win_over_the_base_key_by_key(compose, tmp_path) -> None:
    _terraform_base(tmp_path / "base.json")
    result = compose(
        """
        services:
          web:
            image: shop/web:2
            logging:
              driver: awslogs
              options: {awslogs-group: /custom, awslogs-region: eu-west-1,
                        awslogs-stream-prefix: web}
          worker:
            image: shop/web:2
            x-ecs:
              logConfiguration: {logDriver: splunk, options: {splunk-url: "https://s"}}
    """,
        args=("--service", "web", "--service", "worker", "--task-definition", "base.json"),
        role=False,
        region=None,
    )
    assert result.code == 0, result.err
    assert result.container("web")["logConfiguration"]["options"]["awslogs-group"] == "/custom"
    assert result.container("worker")["logConfiguration"]["logDriver"] == "splunk"
    assert not any("base revision is not deployed" in n for n in result.notices)


def test_defaults_fill_only_what_the_base_leaves_unset(compose, tmp_path) -> None:
    (tmp_path / "base.json").write_text(
        json.dumps(
            {
                "family": "plain",
                "requiresCompatibilities": ["FARGATE"],
                "networkMode": "awsvpc",
                "cpu": "256",
                "memory": "512",
                "executionRoleArn": ROLE,
                "containerDefinitions": [{"name": "app", "image": "x", "essential": False}],
            }
        )
    )
    result = compose(
        """
        services:
          app: {image: app}
          side: {image: side}
    """,
        args=("--service", "app", "--service", "side", "--task-definition", "base.json"),
        role=False,
    )
    assert result.code == 0, result.err
    app, side = result.container("app"), result.container("side")
    assert app["essential"] is False  # the base's, not our default
    assert side["essential"] is True
    default_group = {
        "awslogs-group": "/ecs/plain",
        "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": "ecs",
    }
    assert (
        app["logConfiguration"]
        == side["logConfiguration"]
        == {"logDriver": "awslogs", "options": default_group}
    )


def test_the_diff_says_which_layer_wins() -> None:
    from compose_ecs_deploy.compose.taskdef import diff
    from compose_ecs_deploy.report.redact import looks_secret

    old = {"family": "f", "containerDefinitions": [{"name": "web", "image": "i:1"}]}
    new = {"family": "f", "containerDefinitions": [{"name": "web", "image": "i:2"}]}
    lines = diff(old, new, old_label="running", new_label="compose", hide=looks_secret)
    assert lines[-1].startswith("# ") and "the base revision, compose" in lines[-1]
    assert diff(old, old, old_label="running", new_label="compose", hide=looks_secret) == []
