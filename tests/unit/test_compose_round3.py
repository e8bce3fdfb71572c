"""Round 3 of compose files as teams write them: fewer refusals, nothing dropped without a word.

The pure parts on their own (the health-check fit, the secret detector) and the conversions
that golden fixtures cannot show alone: a base revision's awslogs configuration under a
compose logging block, EC2 keeping real tmpfs mounts, x-ecs winning over `pid`, the cases
of Docker's retired ECS integration (docker/compose-cli, ecs/cloudformation_test.go and
ecs/compatibility.go) as it converted them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compose_ecs_deploy.compose.health_fit import HEALTH_RANGES, fit
from compose_ecs_deploy.compose.secret_shapes import looks_secret, name_words

ROLE = "arn:aws:iam::123456789012:role/exec"
LONGEST = 300 * 10 + 300


def _patience(timing: dict[str, int]) -> int:
    return timing.get("interval", 30) * timing.get("retries", 3) + timing.get("startPeriod", 0)


@given(
    interval=st.one_of(st.none(), st.integers(1, 1200)),
    retries=st.one_of(st.none(), st.integers(1, 100)),
    start=st.one_of(st.none(), st.integers(0, 1200)),
    timeout=st.one_of(st.none(), st.integers(1, 60)),
)
def test_a_fitted_health_check_is_in_range_and_never_less_patient(
    interval: int | None, retries: int | None, start: int | None, timeout: int | None
) -> None:
    asked = {
        key: value
        for key, value in (
            ("interval", interval),
            ("retries", retries),
            ("startPeriod", start),
            ("timeout", timeout),
        )
        if value is not None
    }
    fitted = fit(asked)
    if _patience(asked) > LONGEST:
        assert fitted.refusal is not None and "3300s" in fitted.refusal
        return
    assert fitted.refusal is None
    for ecs_key, _, low, high in HEALTH_RANGES:
        if ecs_key in fitted.timing:
            assert low <= fitted.timing[ecs_key] <= high
    assert _patience(fitted.timing) >= _patience(asked)
    assert (fitted.timing == asked) == (not fitted.changes)


@pytest.mark.parametrize(
    ("asked", "timing"),
    [
        (
            {"interval": 1, "timeout": 1, "retries": 30},
            {"interval": 5, "timeout": 2, "retries": 10},
        ),
        ({"interval": 2, "retries": 60}, {"interval": 12, "retries": 10}),
        ({"retries": 20}, {"retries": 10, "interval": 60}),
        (
            {"interval": 600, "retries": 3, "startPeriod": 600},
            {"interval": 300, "retries": 7, "startPeriod": 300},
        ),
        ({"interval": 30, "retries": 0}, {"interval": 30}),
        (
            {"interval": 30, "timeout": 5, "retries": 3},
            {"interval": 30, "timeout": 5, "retries": 3},
        ),
    ],
)
def test_health_check_fits(asked: dict[str, int], timing: dict[str, int]) -> None:
    assert fit(asked).timing == timing


def test_a_check_longer_than_ecs_allows_is_refused_with_why() -> None:
    assert "at most 60s" in str(fit({"timeout": 90}).refusal)
    assert fit({"timeout": 90}).refused_field == "healthcheck.timeout"
    assert "6000s" in str(fit({"interval": 300, "retries": 20}).refusal)


@pytest.mark.parametrize(
    "name",
    [
        "AUTHENTIK_POSTGRESQL__HOST",
        "API_KEY_RATE_LIMIT",
        "ALLOW_EMPTY_PASSWORD",
        "RESET_PASSWORD_TOKEN_EXPIRY_HOURS",
        "NEXTAUTH_URL",
        "OAUTH_TOKEN_URL",
        "PASSWORD_MIN_LENGTH",
        "SECRET_KEY_FILE",
        "AWS_ACCESS_KEY_ID",
        "LANGFUSE_INIT_PROJECT_PUBLIC_KEY",
        "EMAIL_SSL_KEYFILE",
    ],
)
def test_names_that_only_contain_a_secret_word_are_not_secrets(name: str) -> None:
    assert not looks_secret(name, "some-value")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("POSTGRES_PASSWORD", "example"),
        ("REDIS_AUTH", "myredissecret"),
        ("SECRET_KEY_BASE", "abc123"),
        ("GITHUB_TOKEN", "ghp_example"),
        ("stripeApiKey", "sk_test_example"),
        ("DB_PASS", "hunter2"),
        ("AUTHENTIK_SECRET_KEY", "x"),
        ("S3_PROTOCOL_ACCESS_KEY_SECRET", "x"),
        ("DATABASE_URL", "postgres://app:hunter2@db:5432/app"),
        ("TLS", "-----BEGIN RSA PRIVATE KEY-----\nMIIE"),
        ("UPSTREAM_HEADERS", "Authorization: Bearer abcdefghijkl"),
    ],
)
def test_real_secrets_stay_flagged(name: str, value: str) -> None:
    assert looks_secret(name, value)


@pytest.mark.parametrize("value", ["", "true", "no", "/run/secrets/db", "/certs/redis.key"])
def test_flags_and_paths_under_a_secret_name_are_not_secrets(value: str) -> None:
    assert not looks_secret("DB_PASSWORD", value)


def test_names_split_at_separators_and_case_changes() -> None:
    assert name_words("stripeApiKey") == ["STRIPE", "API", "KEY"]
    assert name_words("my-app.dbPassword") == ["MY", "APP", "DB", "PASSWORD"]
    assert name_words("HTTPServerToken") == ["HTTP", "SERVER", "TOKEN"]


def test_logging_options_go_over_the_base_revisions_awslogs(compose, tmp_path: Path) -> None:
    """Terraform made the group; compose only adds a datetime format: the group stays."""
    (tmp_path / "base.json").write_text(
        json.dumps(
            {
                "executionRoleArn": ROLE,
                "containerDefinitions": [
                    {
                        "name": "app",
                        "image": "app",
                        "logConfiguration": {
                            "logDriver": "awslogs",
                            "options": {
                                "awslogs-group": "/terraform/app",
                                "awslogs-region": "eu-west-1",
                                "awslogs-stream-prefix": "app",
                            },
                        },
                    }
                ],
            }
        )
    )
    result = compose(
        """
        services:
          app:
            image: app
            logging:
              options: {awslogs-datetime-format: "%Y-%m-%d"}
    """,
        args=("--service", "app", "--task-definition", "base.json"),
        role=False,
    )
    assert result.code == 0, result.err
    assert result.container("app")["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-datetime-format": "%Y-%m-%d",
            "awslogs-group": "/terraform/app",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "app",
        },
    }
    assert any("base revision's awslogs configuration" in line for line in result.notices)


def test_awslogs_options_without_a_driver_leave_a_firelens_base_alone(
    compose, tmp_path: Path
) -> None:
    """The platform team routes logs through firelens: awslogs options have nowhere to go."""
    firelens = {"logDriver": "awsfirelens", "options": {"Name": "cloudwatch_logs"}}
    (tmp_path / "base.json").write_text(
        json.dumps(
            {
                "executionRoleArn": ROLE,
                "containerDefinitions": [
                    {"name": "app", "image": "app", "logConfiguration": firelens}
                ],
            }
        )
    )
    result = compose(
        """
        services:
          app:
            image: app
            logging:
              options: {awslogs-datetime-format: "%Y-%m-%d"}
    """,
        args=("--service", "app", "--task-definition", "base.json"),
        role=False,
    )
    assert result.code == 0, result.err
    assert result.container("app")["logConfiguration"] == firelens
    assert any(
        "awslogs-datetime-format dropped" in line and "awsfirelens" in line
        for line in result.notices
    )


def test_logging_none_drops_the_base_revisions_logging_too(compose, tmp_path: Path) -> None:
    (tmp_path / "base.json").write_text(
        json.dumps(
            {
                "executionRoleArn": ROLE,
                "containerDefinitions": [
                    {"name": "app", "image": "app", "logConfiguration": {"logDriver": "splunk"}}
                ],
            }
        )
    )
    result = compose(
        "services:\n  app:\n    image: app\n    logging: {driver: none}\n",
        args=("--service", "app", "--task-definition", "base.json"),
        role=False,
    )
    assert result.code == 0, result.err
    assert "logConfiguration" not in result.container("app")


def test_ec2_keeps_real_tmpfs_mounts(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            mem_limit: 512m
            tmpfs: ["/tmp:size=64m"]
        x-ecs:
          requiresCompatibilities: [EC2]
          executionRoleArn: arn:aws:iam::123456789012:role/exec
    """,
        args=("--service", "app"),
    )
    assert result.code == 0, result.err
    assert result.container("app")["linuxParameters"]["tmpfs"] == [
        {"containerPath": "/tmp", "size": 64}
    ]
    assert "volumes" not in result.request


def test_x_ecs_pid_mode_wins_over_compose_pid(compose) -> None:
    result = compose(
        """
        services:
          app: {image: app}
          debug: {image: debug, pid: "service:app"}
        x-ecs:
          pidMode: task
          executionRoleArn: arn:aws:iam::123456789012:role/exec
    """,
        args=("--service", "app", "--service", "debug"),
    )
    assert result.code == 0, result.err
    assert result.request["pidMode"] == "task"


def test_a_secret_option_overrides_an_external_secrets_arn(compose) -> None:
    given_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:other-AbCdEf"
    result = compose(
        """
        services:
          app: {image: app, secrets: [db]}
        secrets:
          db:
            name: arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf
            external: true
    """,
        args=("--service", "app", "--secret", f"db={given_arn}"),
    )
    assert result.code == 0, result.err
    init = result.container("compose-secrets-init")
    assert init["secrets"] == [{"name": "COMPOSE_SECRET_0", "valueFrom": given_arn}]
    assert not any("external secret" in line for line in result.notices)


def test_an_external_secret_whose_name_is_no_arn_still_needs_a_secret_option(compose) -> None:
    result = compose(
        """
        services:
          app: {image: app, secrets: [db]}
        secrets:
          db: {name: prod_db_password, external: true}
    """,
        args=("--service", "app"),
    )
    assert result.code == 1
    assert any("--secret db=ARN" in line for line in result.errors)


class TestAsDockersEcsIntegrationConvertedIt:
    """docker/compose-cli's ecs/ tests, rendered here: the same meaning, ECS's shape."""

    def test_logging_options_without_a_driver_are_awslogs_options(self, compose) -> None:
        # TestLogging: options {awslogs-datetime-pattern: FOO} with no driver
        result = compose(
            """
            services:
              foo:
                image: hello_world
                logging:
                  options:
                    awslogs-datetime-pattern: "FOO"
        """,
            args=("--service", "foo"),
        )
        assert result.code == 0, result.err
        logging = result.container("foo")["logConfiguration"]
        assert logging["logDriver"] == "awslogs"
        assert logging["options"]["awslogs-datetime-pattern"] == "FOO"
        assert logging["options"]["awslogs-group"] == "/ecs/" + result.request["family"]

    def test_gpu_generic_resources_are_gpu_requirements_on_ec2(self, compose) -> None:
        # TestTaskSizeConvert: reservations.generic_resources kind gpus value 2
        result = compose(
            """
            services:
              test:
                image: nginx
                deploy:
                  resources:
                    limits: {memory: 792M}
                    reservations:
                      generic_resources:
                        - discrete_resource_spec: {kind: gpus, value: 2}
            x-ecs:
              requiresCompatibilities: [EC2]
              executionRoleArn: arn:aws:iam::123456789012:role/exec
        """,
            args=("--service", "test"),
        )
        assert result.code == 0, result.err
        assert result.container("test")["resourceRequirements"] == [{"type": "GPU", "value": "2"}]

    def test_ulimits_but_nofile_are_dropped_with_a_word(self, compose) -> None:
        # compatibility.go CheckUlimits: "services.ulimits.%s is not supported by Fargate"
        result = compose(
            """
            services:
              app:
                image: app
                ulimits: {nofile: 10240, nproc: 65535}
        """,
            args=("--service", "app"),
        )
        assert result.code == 0, result.err
        assert result.container("app")["ulimits"] == [
            {"name": "nofile", "softLimit": 10240, "hardLimit": 10240}
        ]
        assert any("ulimit nproc dropped" in line for line in result.notices)
