"""The rules of #13 through the real loader: limits, one-shot services, notices, not noise."""

from __future__ import annotations

import json

ROLE = "arn:aws:iam::123456789012:role/exec"


def _services(count: int) -> str:
    return "services:\n" + "".join(f"  s{i}: {{image: img{i}}}\n" for i in range(count))


def _args(count: int) -> tuple[str, ...]:
    return tuple(arg for i in range(count) for arg in ("--service", f"s{i}"))


def test_eleven_containers_are_rejected_ten_are_not(compose) -> None:
    eleven = compose(_services(11), args=_args(11))
    assert eleven.code == 1
    assert len(eleven.errors) == 1
    assert "11 containers" in eleven.errors[0] and "at most 10" in eleven.errors[0]
    ten = compose(_services(10), args=_args(10))
    assert ten.code == 0, ten.err


def test_base_containers_count_towards_the_limit(compose, tmp_path) -> None:
    (tmp_path / "base.json").write_text(
        json.dumps(
            {
                "family": "f",
                "executionRoleArn": ROLE,
                "containerDefinitions": [
                    {"name": "log_router", "image": "fluent-bit", "essential": True}
                ],
            }
        )
    )
    result = compose(_services(10), args=(*_args(10), "--task-definition", "base.json"))
    assert result.code == 1
    assert any("11 containers" in e and "1 from the base" in e for e in result.errors)


def test_one_shot_services_are_not_essential_unless_x_ecs_says_so(compose) -> None:
    result = compose(
        """
        services:
          web: {image: web, restart: "no"}
          migrate: {image: web, command: ["rails", "db:migrate"], restart: "no"}
          seed: {image: web, restart: on-failure:3}
          keeper:
            image: web
            restart: "no"
            x-ecs: {essential: true}
          always: {image: web, restart: always}
    """,
        args=(
            "--service",
            "web",
            "--service",
            "migrate",
            "--service",
            "seed",
            "--service",
            "keeper",
            "--service",
            "always",
        ),
    )
    assert result.code == 0, result.err
    essential = {c["name"]: c["essential"] for c in result.request["containerDefinitions"]}
    assert essential == {
        "web": True,
        "migrate": False,
        "seed": False,
        "keeper": True,
        "always": True,
    }
    one_shot = [n for n in result.notices if "runs once" in n]
    assert len(one_shot) == 2  # migrate and seed; keeper's x-ecs decided, so no notice
    assert all("one-off task" in n for n in one_shot)


def test_dev_only_networking_is_dropped_with_a_notice(compose) -> None:
    result = compose(
        """
        services:
          web:
            image: web
            hostname: web1
            ports: ["8080:80"]
            extra_hosts: ["host.docker.internal:host-gateway"]
            dns_search: ""
          sidecar:
            image: side
            network_mode: service:web
    """,
        args=("--service", "web", "--service", "sidecar"),
    )
    assert result.code == 0, result.err
    web = result.container("web")
    for key in ("hostname", "extraHosts", "dnsSearchDomains"):
        assert key not in web
    assert web["portMappings"] == [{"containerPort": 80, "protocol": "tcp"}]
    codes = " ".join(result.notices)
    for words in (
        "hostname web1 dropped",
        "published port 8080 dropped",
        "host.docker.internal (host-gateway",
        "empty dns_search dropped",
        "network_mode service:web dropped",
    ):
        assert words in codes, words


def test_other_extra_hosts_stay_an_error_under_awsvpc(compose) -> None:
    result = compose(
        """
        services:
          web:
            image: web
            extra_hosts: ["host.docker.internal:host-gateway", "db:10.0.0.5"]
    """,
        args=("--service", "web"),
    )
    assert result.code == 1
    assert len(result.errors) == 1 and "db" in result.errors[0]
    assert "host.docker.internal" not in result.errors[0]


def test_local_logging_drivers_give_way_to_the_base_or_the_default(compose, tmp_path) -> None:
    text = """
        services:
          web:
            image: web
            logging: {driver: json-file, options: {max-size: 10m, max-file: "3"}}
          worker:
            image: web
            logging: {driver: local}
    """
    result = compose(text, args=("--service", "web", "--service", "worker", "--family", "f"))
    assert result.code == 0, result.err
    assert result.container("web")["logConfiguration"]["options"]["awslogs-group"] == "/ecs/f"
    assert sum("dropped: it keeps logs on the developer's disk" in n for n in result.notices) == 2
    base_logs = {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/aws/ecs/shop/web",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "web",
        },
    }
    (tmp_path / "base.json").write_text(
        json.dumps(
            {
                "family": "shop",
                "executionRoleArn": ROLE,
                "containerDefinitions": [
                    {"name": "web", "image": "x", "logConfiguration": base_logs}
                ],
            }
        )
    )
    over_base = compose(
        text, args=("--service", "web", "--service", "worker", "--task-definition", "base.json")
    )
    assert over_base.container("web")["logConfiguration"] == base_logs


def test_shipping_log_drivers_stay_errors_on_fargate(compose) -> None:
    result = compose(
        """
        services:
          web: {image: web, logging: {driver: gelf}}
    """,
        args=("--service", "web"),
    )
    assert result.code == 1 and "gelf" in result.errors[0]


def test_a_port_clash_advises_a_port_no_container_uses(compose) -> None:
    result = compose(
        """
        services:
          web: {image: web, ports: ["8080:80"]}
          admin: {image: admin, ports: ["8081:80"]}
          api: {image: api, expose: ["81"]}
    """,
        args=("--service", "web", "--service", "admin", "--service", "api"),
    )
    assert result.code == 1
    assert len(result.errors) == 1
    clash = result.errors[0]
    assert "port 80/tcp is also used by container web" in clash and "service admin" in clash
    assert "e.g. 82" in clash  # 81 is api's: advising it would lead to a second clash
    fixed = compose(
        """
        services:
          web: {image: web, ports: ["8080:80"]}
          admin: {image: admin, ports: ["8081:82"]}
          api: {image: api, expose: ["81"]}
    """,
        args=("--service", "web", "--service", "admin", "--service", "api"),
    )
    assert fixed.code == 0, fixed.err


def test_host_name_notice_only_where_a_value_is_a_host(compose) -> None:
    result = compose(
        """
        services:
          web:
            image: web
            environment:
              DATABASE_URL: postgres://app:pw@db:5432/app
              CACHE: cache:6379
              DB_HOST: db
              DB_PASSWORD_FILE: /run/secrets/db
              DATA_DIR: /srv/db/data
              COMPOSE_PROFILES: db,cache
              GREETING: hello db
              DB_NAME: db
          db: {image: postgres}
          cache: {image: redis}
    """,
        args=("--service", "web", "--service", "db", "--service", "cache"),
    )
    assert result.code == 0, result.err
    hosts = [n for n in result.notices if "as a host name" in n]
    assert sorted(n.split("field environment.")[1].split(":")[0] for n in hosts) == [
        "CACHE",
        "DATABASE_URL",
        "DB_HOST",
    ]


def test_secret_looking_warning_skips_flags_empties_and_file_paths(compose) -> None:
    result = compose(
        """
        services:
          web:
            image: web
            environment:
              AUTH_ENABLED: "true"
              TOKEN_REFRESH: "0"
              DB_PASSWORD: ""
              SECRET_KEY_FILE: /run/secrets/key
              API_KEY: sk_live_123
    """,
        args=("--service", "web"),
    )
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "API_KEY" in warnings[0]


def test_messages_name_the_env_file_and_the_base_file(compose, tmp_path) -> None:
    (tmp_path / "app.env").write_text("# settings\nLOG_LEVEL=info\nSTRIPE_TOKEN=sk_test_1\n")
    result = compose(
        """
        services:
          web:
            image: web
            env_file: [app.env]
    """,
        args=("--service", "web"),
    )
    warning = next(line for line in result.err.splitlines() if line.startswith("warning:"))
    assert "app.env:3:" in warning and "STRIPE_TOKEN" in warning
    (tmp_path / "base.json").write_text(
        json.dumps(
            {
                "family": "f",
                "executionRoleArn": ROLE,
                "containerDefinitions": [
                    {
                        "name": "web",
                        "image": "x",
                        "environment": [{"name": "GITHUB_TOKEN", "value": "ghp_1"}],
                    }
                ],
            }
        )
    )
    inherited = compose(
        "services:\n  web: {image: web}\n",
        args=("--service", "web", "--task-definition", "base.json"),
    )
    warning = next(line for line in inherited.err.splitlines() if line.startswith("warning:"))
    assert "base.json:" in warning and "GITHUB_TOKEN" in warning
    assert "compose.yaml" not in warning


def test_execution_role_error_gives_only_the_reason_that_applies(compose) -> None:
    result = compose("services:\n  web: {image: web}\n", args=("--service", "web"), role=False)
    assert result.code == 1
    error = next(e for e in result.errors if "execution role" in e)
    assert "awslogs" in error and "secrets" not in error and "registry" not in error
    assert "x-ecs.executionRoleArn" in error and "--task-definition" in error
    with_secret = compose(
        """
        services:
          web:
            image: web
            logging: {driver: splunk, options: {splunk-url: "https://s"}}
    """,
        args=("--service", "web", "--secret", "TOKEN=/prod/token"),
        role=False,
    )
    error = next(e for e in with_secret.errors if "execution role" in e)
    assert "secrets (container web)" in error and "awslogs" not in error


def test_a_service_behind_a_profile_names_the_profile(compose) -> None:
    result = compose(
        """
        services:
          web: {image: web}
          worker: {image: web, profiles: [jobs]}
    """,
        args=("--service", "web", "--service", "worker"),
    )
    assert result.code == 1
    assert any("--profile jobs" in e and "worker" in e for e in result.errors)


def test_volumes_say_what_task_storage_means_and_drop_nothing_silently(compose) -> None:
    result = compose(
        """
        services:
          web:
            image: web
            expose: ["8000-8002"]
            volumes:
              - data:/data
              - type: volume
                source: shared
                target: /shared
                volume: {subpath: uploads}
              - nfs:/nfs
              - efs:/efs
            depends_on:
              worker: {condition: service_started, restart: true}
          worker: {image: web}
        volumes:
          data: {}
          shared: {external: true}
          nfs:
            driver_opts: {type: nfs, o: "addr=10.0.0.1,rw", device: ":/export"}
          efs:
            x-ecs: {efsVolumeConfiguration: {fileSystemId: fs-1}}
    """,
        args=("--service", "web", "--service", "worker"),
    )
    assert result.code == 0, result.err
    assert [m["containerPort"] for m in result.container("web")["portMappings"]] == [
        8000,
        8001,
        8002,
    ]
    text = "\n".join(result.notices)
    assert "named volume data is task storage" in text
    assert "volume shared is external" in text
    assert "volume nfs is an NFS mount" in text
    assert "efs" not in text.replace("efsVolumeConfiguration", "")
    assert "subpath uploads dropped" in text
    assert "restart: true (restart web when worker restarts) ignored" in text
