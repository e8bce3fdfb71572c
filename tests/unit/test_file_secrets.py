"""Compose file secrets rendered: an init container, a volume, read-only mounts, no values."""

from __future__ import annotations

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password-AbCdEf"
KEY_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf"

COMPOSE = """
    services:
      web:
        image: web
        secrets:
          - db-password
          - source: api_key
            target: /etc/app/api.key
            mode: 0440
            uid: "1000"
            gid: "1000"
      worker:
        image: web
        secrets: [db-password]
    secrets:
      db-password: {file: ./db-password.txt}
      api_key: {environment: API_KEY}
"""


def test_file_secrets_are_written_by_an_init_container(compose, tmp_path) -> None:
    (tmp_path / "db-password.txt").write_text("dev-only-password")
    result = compose(
        COMPOSE,
        args=(
            "--service",
            "web",
            "--service",
            "worker",
            "--secret",
            f"db-password={ARN}",
            "--secret",
            f"web.api_key={KEY_ARN}",
        ),
    )
    assert result.code == 0, result.err
    assert "dev-only-password" not in result.out + result.err
    init = result.container("compose-secrets-init")
    assert init["essential"] is False
    assert init["image"] == "public.ecr.aws/docker/library/busybox:1.37"
    assert init["entryPoint"] == ["sh", "-c"]
    assert init["secrets"] == [
        {"name": "COMPOSE_SECRET_0", "valueFrom": ARN},
        {"name": "COMPOSE_SECRET_1", "valueFrom": KEY_ARN},
        {"name": "COMPOSE_SECRET_2", "valueFrom": ARN},
    ]
    script = init["command"][0]
    assert 'printf %s "$COMPOSE_SECRET_1" > /compose-secrets/web-secrets-1/api.key' in script
    assert "chown 1000:1000 /compose-secrets/web-secrets-1/api.key" in script
    assert "chmod 0440 /compose-secrets/web-secrets-1/api.key" in script
    assert "chmod 0444 /compose-secrets/web-secrets-0/db-password" in script
    web, worker = result.container("web"), result.container("worker")
    assert web["mountPoints"] == [
        {"sourceVolume": "web-secrets-0", "containerPath": "/run/secrets", "readOnly": True},
        {"sourceVolume": "web-secrets-1", "containerPath": "/etc/app", "readOnly": True},
    ]
    assert worker["mountPoints"] == [
        {"sourceVolume": "worker-secrets-0", "containerPath": "/run/secrets", "readOnly": True}
    ]
    for container in (web, worker):
        assert {"containerName": "compose-secrets-init", "condition": "SUCCESS"} in (
            container["dependsOn"]
        )
        assert "secrets" not in container  # the file secrets are not also environment
    assert {v["name"] for v in result.request["volumes"]} == {
        "web-secrets-0",
        "web-secrets-1",
        "worker-secrets-0",
    }
    assert any("/etc/app is mounted from the secrets' volume" in n for n in result.notices)


def test_the_init_image_is_an_option(compose, tmp_path) -> None:
    (tmp_path / "db-password.txt").write_text("x")
    result = compose(
        COMPOSE,
        args=(
            "--service",
            "worker",
            "--secret",
            f"db-password={ARN}",
            "--secrets-init-image",
            "registry.example/tools/sh:1",
        ),
    )
    assert result.code == 0, result.err
    assert result.container("compose-secrets-init")["image"] == "registry.example/tools/sh:1"


def test_a_file_secret_without_an_arn_says_which_to_pass(compose, tmp_path) -> None:
    (tmp_path / "db-password.txt").write_text("x")
    result = compose(COMPOSE, args=("--service", "web", "--secret", f"db-password={ARN}"))
    assert result.code == 1
    assert len(result.errors) == 1
    error = result.errors[0]
    assert "api_key" in error and "--secret api_key=ARN" in error
    assert "--secret web.api_key=ARN" in error and "/etc/app/api.key" in error
    assert "compose.yaml:" in error


def test_environment_secrets_keep_working_beside_file_secrets(compose, tmp_path) -> None:
    (tmp_path / "db-password.txt").write_text("x")
    result = compose(
        COMPOSE,
        args=(
            "--service",
            "worker",
            "--secret",
            f"db-password={ARN}",
            "--secret",
            "DATABASE_URL=/prod/db-url",
        ),
    )
    assert result.code == 0, result.err
    assert result.container("worker")["secrets"] == [
        {"name": "DATABASE_URL", "valueFrom": "/prod/db-url"}
    ]
    bad = compose(
        COMPOSE,
        args=(
            "--service",
            "worker",
            "--secret",
            f"db-password={ARN}",
            "--secret",
            "not-a-var=/prod/x",
        ),
    )
    assert bad.code == 1
    assert any("'not-a-var'" in e and "db-password" in e for e in bad.errors)


def test_a_malformed_init_image_is_an_error_even_without_file_secrets(compose) -> None:
    result = compose(
        "services:\n  web: {image: web}\n",
        args=("--service", "web", "--secrets-init-image", "Not An Image"),
    )
    assert result.code == 1
    assert len(result.errors) == 1 and "'Not An Image'" in result.errors[0]
