"""One test (or more) per row of the mapping table, through the real Compose loader."""

from __future__ import annotations

import pytest


def test_image_from_compose_and_override(compose) -> None:
    result = compose(
        """
        services:
          web:
            image: nginx:1.27
    """,
        args=("--service", "web"),
    )
    assert result.code == 0, result.err
    assert result.container("web")["image"] == "nginx:1.27"
    result = compose(
        """
        services:
          web:
            image: nginx:1.27
    """,
        args=("--service", "web", "--image", "web=repo/web:abc"),
    )
    assert result.container("web")["image"] == "repo/web:abc"


def test_built_service_without_image_gets_placeholder_with_notice(compose) -> None:
    result = compose("""
        name: shop
        services:
          api:
            build: .
    """)
    assert result.code == 0, result.err
    assert result.container("api")["image"] == "shop-api:latest"
    assert any("placeholder shop-api:latest" in n for n in result.notices)


def test_default_services_are_the_built_ones_by_name(compose) -> None:
    result = compose("""
        services:
          zeta: {build: .}
          alpha: {build: .}
          db: {image: postgres}
    """)
    assert [c["name"] for c in result.request["containerDefinitions"]] == ["alpha", "zeta"]


def test_service_order_is_the_order_asked(compose) -> None:
    result = compose(
        """
        services:
          b: {image: b}
          a: {image: a}
    """,
        args=("--service", "b", "--service", "a"),
    )
    assert [c["name"] for c in result.request["containerDefinitions"]] == ["b", "a"]


def test_command_and_entrypoint(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            command: npm run "start prod"
            entrypoint: ["/bin/sh", "-c"]
    """,
        args=("--service", "app"),
    )
    app = result.container("app")
    assert app["command"] == ["npm", "run", "start prod"]
    assert app["entryPoint"] == ["/bin/sh", "-c"]


def test_environment_values_verbatim_and_list_form_split_at_first_equals(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            environment:
              - URL=postgres://u:p@h/db?a=b
              - EMPTY=
              - UNSET
    """,
        args=("--service", "app"),
    )
    env = {e["name"]: e["value"] for e in result.container("app")["environment"]}
    assert env == {"URL": "postgres://u:p@h/db?a=b", "EMPTY": ""}
    assert any("UNSET has no value" in n for n in result.notices)


def test_env_file_is_read_by_compose(compose, tmp_path) -> None:
    (tmp_path / "app.env").write_text("FROM_FILE=x=y\n")
    result = compose(
        """
        services:
          app:
            image: app
            env_file: [app.env]
            environment: {INLINE: "1"}
    """,
        args=("--service", "app"),
    )
    env = {e["name"]: e["value"] for e in result.container("app")["environment"]}
    assert env == {"FROM_FILE": "x=y", "INLINE": "1"}


def test_interpolation_uses_environment_and_dotenv(compose, tmp_path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("TAG=from-dotenv\n")
    monkeypatch.setenv("REGISTRY", "example.com")
    result = compose(
        """
        services:
          app:
            image: ${REGISTRY}/app:${TAG}
            environment: {LEVEL: "${LEVEL:-info}"}
    """,
        args=("--service", "app"),
    )
    app = result.container("app")
    assert app["image"] == "example.com/app:from-dotenv"
    assert app["environment"] == [{"name": "LEVEL", "value": "info"}]


def test_override_files_reset_override_and_extends(compose) -> None:
    result = compose(
        """
        services:
          base:
            image: base
            environment: {A: "1", B: "2"}
            command: dev
          app:
            extends: base
            ports: ["8080:8080"]
    """,
        """
        services:
          app:
            command: !reset null
            ports: !override ["9090:9090"]
            environment:
              B: "3"
    """,
        args=("--service", "app"),
    )
    app = result.container("app")
    assert "command" not in app
    assert app["portMappings"] == [{"containerPort": 9090, "protocol": "tcp"}]
    assert {e["name"]: e["value"] for e in app["environment"]} == {"A": "1", "B": "3"}


def test_profiles_enable_services(compose) -> None:
    text = """
        services:
          app: {image: app}
          debug: {image: dbg, profiles: [debug]}
    """
    assert compose(text, args=("--service", "debug")).code == 1
    result = compose(text, args=("--service", "debug", "--profile", "debug"))
    assert result.code == 0, result.err
    assert result.container("debug")["image"] == "dbg"


def test_secrets_bind_to_primary_and_named_service_and_replace_environment(compose) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    result = compose(
        """
        services:
          web:
            image: web
            environment: {DATABASE_URL: "postgres://dev", KEEP: "1"}
          worker.v2:
            image: worker
    """,
        args=(
            "--service",
            "web",
            "--service",
            "worker.v2",
            "--secret",
            f"DATABASE_URL={arn}",
            "--secret",
            f"worker.v2.TOKEN={arn}:token::",
            "--secret",
            "SSM_PARAM=/prod/app/param",
        ),
    )
    assert result.code == 1  # worker.v2 is not a valid ECS container name
    assert any("worker.v2" in e and "container name" in e for e in result.errors)
    result = compose(
        """
        services:
          web:
            image: web
            environment: {DATABASE_URL: "postgres://dev", KEEP: "1"}
          worker:
            image: worker
    """,
        args=(
            "--service",
            "web",
            "--service",
            "worker",
            "--secret",
            f"DATABASE_URL={arn}",
            "--secret",
            f"worker.TOKEN={arn}:token::",
            "--secret",
            "SSM_PARAM=/prod/app/param",
        ),
    )
    assert result.code == 0, result.err
    web, worker = result.container("web"), result.container("worker")
    assert web["environment"] == [{"name": "KEEP", "value": "1"}]
    assert web["secrets"] == [
        {"name": "DATABASE_URL", "valueFrom": arn},
        {"name": "SSM_PARAM", "valueFrom": "/prod/app/param"},
    ]
    assert worker["secrets"] == [{"name": "TOKEN", "valueFrom": f"{arn}:token::"}]
    assert any("DATABASE_URL replaces the environment value" in n for n in result.notices)


def test_secret_key_splits_at_last_dot(compose) -> None:
    from compose_ecs_deploy.compose.secrets import parse_secret_line
    from compose_ecs_deploy.diagnostics import Diagnostics

    binding = parse_secret_line("api.v2.TOKEN=/p/x", "--secret", Diagnostics())
    assert binding is not None
    assert (binding.service, binding.name) == ("api.v2", "TOKEN")


def test_ports_tcp_udp_host_ip_and_expose(compose) -> None:
    result = compose(
        """
        services:
          dns:
            image: dns
            ports: ["127.0.0.1:8080:8080", "53:53/udp", "9000"]
            expose: ["7000", "8080"]
    """,
        args=("--service", "dns"),
    )
    assert result.code == 0, result.err
    assert result.container("dns")["portMappings"] == [
        {"containerPort": 8080, "protocol": "tcp"},
        {"containerPort": 53, "protocol": "udp"},
        {"containerPort": 9000, "protocol": "tcp"},
        {"containerPort": 7000, "protocol": "tcp"},
    ]
    assert any("host_ip 127.0.0.1 ignored" in n for n in result.notices)


def test_a_port_in_ports_and_expose_keeps_what_ports_says(compose) -> None:
    """`expose` comes before `ports` in Compose's output: the named mapping still wins."""
    result = compose(
        """
        services:
          web:
            image: web
            expose: ["8080", "7000"]
            ports: [{target: 8080, name: web, app_protocol: http}]
    """,
        args=("--service", "web"),
    )
    assert result.code == 0, result.err
    assert result.container("web")["portMappings"] == [
        {"containerPort": 8080, "protocol": "tcp", "name": "web", "appProtocol": "http"},
        {"containerPort": 7000, "protocol": "tcp"},
    ]


def test_published_port_differing_from_target_is_dropped_with_a_notice(compose) -> None:
    result = compose(
        """
        services:
          web:
            image: web
            ports: ["80:8080"]
    """,
        args=("--service", "web"),
    )
    assert result.code == 0, result.err
    assert result.container("web")["portMappings"] == [{"containerPort": 8080, "protocol": "tcp"}]
    notice = next(n for n in result.notices if "published port 80 dropped" in n)
    assert "compose.yaml:" in notice and "listens on 8080" in notice


def test_ports_under_bridge_mode_keep_host_port(compose) -> None:
    result = compose(
        """
        services:
          web:
            image: web
            ports: ["80:8080"]
            mem_limit: 256m
        x-ecs:
          requiresCompatibilities: [EC2]
          networkMode: bridge
    """,
        args=("--service", "web"),
    )
    assert result.code == 0, result.err
    assert result.container("web")["portMappings"] == [
        {"containerPort": 8080, "hostPort": 80, "protocol": "tcp"}
    ]


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ('["CMD", "curl", "-f", "http://localhost"]', ["CMD", "curl", "-f", "http://localhost"]),
        (
            '["CMD-SHELL", "curl -f localhost || exit 1"]',
            ["CMD-SHELL", "curl -f localhost || exit 1"],
        ),
        ("curl -f localhost", ["CMD-SHELL", "curl -f localhost"]),
    ],
)
def test_healthcheck_forms(compose, test, expected) -> None:
    result = compose(
        f"""
        services:
          app:
            image: app
            healthcheck:
              test: {test}
              interval: 1m30s
              timeout: 500ms
              retries: 4
              start_period: 0s
    """,
        args=("--service", "app"),
    )
    # 500ms rounds up to 1 s, below ECS's minimum of 2: raised (more patient), with a notice
    assert result.code == 0, result.err
    assert result.container("app")["healthCheck"]["timeout"] == 2
    assert any("timeout 1s -> 2" in notice for notice in result.notices)
    fixed = compose(
        f"""
        services:
          app:
            image: app
            healthcheck:
              test: {test}
              interval: 1m30s
              timeout: 2500ms
              retries: 4
              start_period: 0s
    """,
        args=("--service", "app"),
    )
    assert fixed.code == 0, fixed.err
    assert fixed.container("app")["healthCheck"] == {
        "command": expected,
        "interval": 90,
        "timeout": 3,
        "retries": 4,
        "startPeriod": 0,
    }


@pytest.mark.parametrize("spec", ['test: ["NONE"]', "disable: true"])
def test_healthcheck_none_and_disable(compose, spec) -> None:
    result = compose(
        f"""
        services:
          app:
            image: app
            healthcheck:
              {spec}
    """,
        args=("--service", "app"),
    )
    assert result.code == 0, result.err
    assert "healthCheck" not in result.container("app")


def test_healthcheck_unset_fields_stay_unset(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            healthcheck: {test: "true"}
    """,
        args=("--service", "app"),
    )
    assert result.container("app")["healthCheck"] == {"command": ["CMD-SHELL", "true"]}


def test_resources_cpus_and_memory(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            deploy:
              resources:
                limits: {cpus: "0.5", memory: 512M}
                reservations: {memory: 1.5g}
          side:
            image: side
            cpus: 0.3
            mem_limit: 100m
            mem_reservation: 50m
        x-ecs:
          executionRoleArn: arn:aws:iam::123456789012:role/x
          cpu: "1024"
          memory: "4096"
    """,
        args=("--service", "app", "--service", "side"),
    )
    assert result.code == 1  # reservation 1536 MiB above the 512 MiB limit
    assert any("reservation 1536 MiB exceeds the limit 512 MiB" in e for e in result.errors)
    result = compose(
        """
        services:
          app:
            image: app
            deploy:
              resources:
                limits: {cpus: "0.5", memory: 1.5g}
                reservations: {memory: 512M}
          side:
            image: side
            cpus: 0.3
            mem_limit: 100m
            mem_reservation: 50m
    """,
        args=("--service", "app", "--service", "side"),
    )
    assert result.code == 0, result.err
    app, side = result.container("app"), result.container("side")
    assert (app["cpu"], app["memory"], app["memoryReservation"]) == (512, 1536, 512)
    assert (side["cpu"], side["memory"], side["memoryReservation"]) == (308, 100, 50)
    # nothing given: the smallest pair that fits 820 units and 1636 MiB is 1024/2048
    assert (result.request["cpu"], result.request["memory"]) == ("1024", "2048")
    assert any("cpu 1024 / memory 2048 MiB picked" in n for n in result.notices)


def test_fargate_size_default_is_smallest_pair(compose) -> None:
    result = compose(
        """
        services:
          app: {image: app}
    """,
        args=("--service", "app"),
    )
    assert (result.request["cpu"], result.request["memory"]) == ("256", "512")


def test_task_size_in_vcpu_and_gb_units_is_normalised(compose) -> None:
    result = compose(
        """
        services:
          app: {image: app}
        x-ecs:
          executionRoleArn: arn:aws:iam::123456789012:role/x
          cpu: 1 vCPU
          memory: 2 GB
    """,
        args=("--service", "app"),
    )
    assert (result.request["cpu"], result.request["memory"]) == ("1024", "2048")


def test_depends_on_conditions(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            depends_on:
              migrate: {condition: service_completed_successfully}
              cache: {condition: service_healthy}
              proxy: {condition: service_started}
              db: {condition: service_healthy}
          migrate: {image: m}
          cache:
            image: c
            healthcheck: {test: ["CMD", "true"]}
          proxy: {image: p}
          db: {image: postgres}
    """,
        args=(
            "--service",
            "app",
            "--service",
            "migrate",
            "--service",
            "cache",
            "--service",
            "proxy",
        ),
    )
    assert result.code == 0, result.err
    assert result.container("app")["dependsOn"] == [
        {"containerName": "cache", "condition": "HEALTHY"},
        {"containerName": "migrate", "condition": "SUCCESS"},
        {"containerName": "proxy", "condition": "START"},
    ]
    assert result.container("migrate")["essential"] is False
    assert result.container("app")["essential"] is True
    assert any("dependency on db dropped" in n for n in result.notices)


def test_logging_passthrough_and_default(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            logging:
              driver: awsfirelens
              options: {Name: cloudwatch, retries: 2}
          other: {image: o}
    """,
        args=("--service", "app", "--service", "other", "--family", "fam"),
    )
    assert result.container("app")["logConfiguration"] == {
        "logDriver": "awsfirelens",
        "options": {"Name": "cloudwatch", "retries": "2"},
    }
    assert result.container("other")["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/ecs/fam",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "ecs",
        },
    }


def test_region_comes_from_environment(compose, monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    result = compose("services:\n  app: {image: app}\n", args=("--service", "app"), region=None)
    assert result.container("app")["logConfiguration"]["options"]["awslogs-region"] == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    result = compose("services:\n  app: {image: app}\n", args=("--service", "app"), region=None)
    opts = result.container("app")["logConfiguration"]["options"]
    assert opts["awslogs-region"] == "eu-central-1"


def test_ulimits_capabilities_init_and_linux_parameters(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            ulimits:
              nofile: {soft: 1024, hard: 4096}
            cap_add: [SYS_PTRACE]
            cap_drop: [NET_RAW]
            init: true
    """,
        args=("--service", "app"),
    )
    assert result.code == 0, result.err
    app = result.container("app")
    assert app["ulimits"] == [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}]
    assert app["linuxParameters"] == {
        "capabilities": {"add": ["SYS_PTRACE"], "drop": ["NET_RAW"]},
        "initProcessEnabled": True,
    }


def test_ec2_only_fields_map_on_ec2(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            mem_limit: 256m
            tmpfs: ["/run:size=64m"]
            ulimits: {nproc: 5}
            privileged: true
            cap_add: [NET_ADMIN]
            shm_size: 128m
            extra_hosts: ["db:10.0.0.5"]
            hostname: app1
        x-ecs:
          requiresCompatibilities: [EC2]
          networkMode: bridge
    """,
        args=("--service", "app"),
    )
    assert result.code == 0, result.err
    app = result.container("app")
    assert app["linuxParameters"]["tmpfs"] == [{"containerPath": "/run", "size": 64}]
    assert app["linuxParameters"]["sharedMemorySize"] == 128
    assert app["linuxParameters"]["capabilities"] == {"add": ["NET_ADMIN"]}
    assert app["ulimits"] == [{"name": "nproc", "softLimit": 5, "hardLimit": 5}]
    assert app["privileged"] is True
    assert app["extraHosts"] == [{"hostname": "db", "ipAddress": "10.0.0.5"}]
    assert app["hostname"] == "app1"


def test_simple_container_fields(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            user: "1000:1000"
            working_dir: /srv
            read_only: true
            stop_grace_period: 1m30s
            labels: ["com.example.team=payments=core", "tier=web"]
            sysctls: {net.core.somaxconn: 1024}
    """,
        args=("--service", "app"),
    )
    assert result.code == 0, result.err
    app = result.container("app")
    assert app["user"] == "1000:1000"
    assert app["workingDirectory"] == "/srv"
    assert app["readonlyRootFilesystem"] is True
    assert app["stopTimeout"] == 90
    assert app["dockerLabels"] == {"com.example.team": "payments=core", "tier": "web"}
    assert app["systemControls"] == [{"namespace": "net.core.somaxconn", "value": "1024"}]


def test_named_volumes_shared_become_task_volumes(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            volumes: ["data:/data", "./src:/src", "/anon", "cache:/cache"]
          side:
            image: side
            volumes: ["data:/data:ro"]
        volumes:
          data: {}
          cache:
            x-ecs:
              efsVolumeConfiguration: {fileSystemId: fs-1234}
    """,
        args=("--service", "app", "--service", "side"),
    )
    assert result.code == 0, result.err
    assert result.container("app")["mountPoints"] == [
        {"sourceVolume": "data", "containerPath": "/data", "readOnly": False},
        {"sourceVolume": "cache", "containerPath": "/cache", "readOnly": False},
    ]
    assert result.container("side")["mountPoints"] == [
        {"sourceVolume": "data", "containerPath": "/data", "readOnly": True}
    ]
    assert result.request["volumes"] == [
        {"name": "data"},
        {"name": "cache", "efsVolumeConfiguration": {"fileSystemId": "fs-1234"}},
    ]
    assert any("bind mount" in n for n in result.notices)
    assert any("anonymous volume at /anon" in n for n in result.notices)


def test_x_ecs_volumes_list_configures_volume(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            volumes: ["data:/data"]
        volumes:
          data: {}
        x-ecs:
          executionRoleArn: arn:aws:iam::123456789012:role/x
          volumes:
            - name: data
              efsVolumeConfiguration: {fileSystemId: fs-9}
    """,
        args=("--service", "app"),
    )
    assert result.code == 0, result.err
    assert result.request["volumes"] == [
        {"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-9"}}
    ]


def test_platform_becomes_runtime_platform(compose) -> None:
    result = compose(
        """
        services:
          app: {image: app, platform: linux/arm64}
    """,
        args=("--service", "app"),
    )
    assert result.request["runtimePlatform"] == {
        "cpuArchitecture": "ARM64",
        "operatingSystemFamily": "LINUX",
    }


def test_service_x_ecs_is_merged_last(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            x-ecs:
              essential: false
              logConfiguration: {logDriver: splunk, options: {splunk-url: "https://s"}}
          sidecar:
            image: s
    """,
        args=("--service", "app", "--service", "sidecar"),
    )
    assert result.code == 0, result.err
    app = result.container("app")
    assert app["essential"] is False
    assert app["logConfiguration"] == {
        "logDriver": "splunk",
        "options": {"splunk-url": "https://s"},
    }


def test_ignored_fields_each_get_a_notice(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            restart: always
            container_name: my-app
            tty: true
            stdin_open: true
            networks: [backend]
            stop_signal: SIGINT
        networks:
          backend: {}
    """,
        args=("--service", "app"),
    )
    assert result.code == 0, result.err
    for field in ("restart", "container_name", "tty", "stdin_open", "networks", "stop_signal"):
        assert any(f"field {field}:" in n for n in result.notices), field


def test_sibling_host_name_in_environment_gets_a_notice(compose) -> None:
    result = compose(
        """
        services:
          web:
            image: web
            environment: {API: "http://backend:8000/v1"}
          backend: {image: b}
    """,
        args=("--service", "web", "--service", "backend"),
    )
    assert any("'backend' as a host name" in n and "localhost" in n for n in result.notices)


def test_base_task_definition_is_laid_under_compose(compose, tmp_path) -> None:
    import json

    (tmp_path / "base.json").write_text(
        json.dumps(
            {
                "taskDefinition": {
                    "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:"
                    "task-definition/base:7",
                    "revision": 7,
                    "status": "ACTIVE",
                    "compatibilities": ["EC2", "FARGATE"],
                    "family": "base",
                    "cpu": "512",
                    "memory": "1024",
                    "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
                    "requiresCompatibilities": ["FARGATE"],
                    "networkMode": "awsvpc",
                    "containerDefinitions": [
                        {
                            "name": "app",
                            "image": "old",
                            "essential": True,
                            "environment": [{"name": "OLD", "value": "1"}],
                            "firelensConfiguration": {"type": "fluentbit"},
                        },
                        {"name": "datadog-agent", "image": "datadog/agent", "essential": False},
                    ],
                }
            }
        )
    )
    result = compose(
        """
        services:
          app:
            image: new
            environment: {NEW: "1"}
    """,
        args=("--service", "app", "--task-definition", "base.json"),
        role=False,
    )
    assert result.code == 0, result.err
    request = result.request
    assert "revision" not in request and "taskDefinitionArn" not in request
    assert (request["family"], request["cpu"], request["memory"]) == ("base", "512", "1024")
    app = result.container("app")
    assert app["image"] == "new"
    assert app["environment"] == [{"name": "NEW", "value": "1"}]
    assert app["firelensConfiguration"] == {"type": "fluentbit"}
    assert result.container("datadog-agent") == {
        "name": "datadog-agent",
        "image": "datadog/agent",
        "essential": False,
    }


def test_family_precedence(compose) -> None:
    text = """
        name: proj
        services:
          app: {image: app}
        x-ecs:
          executionRoleArn: arn:aws:iam::123456789012:role/x
          family: from-x-ecs
    """
    assert compose(text, args=("--service", "app")).request["family"] == "from-x-ecs"
    cli = compose(text, args=("--service", "app", "--family", "cli"))
    assert cli.request["family"] == "cli"
    default = compose("name: proj\nservices:\n  app: {image: app}\n", args=("--service", "app"))
    assert default.request["family"] == "proj"
    assert any("compose project name 'proj'" in n for n in default.notices)


def test_secret_looking_plain_environment_is_a_warning_or_a_strict_error(compose) -> None:
    text = """
        services:
          app:
            image: app
            environment: {DB_PASSWORD: hunter2, STRIPE_API_KEY: sk, LOG_LEVEL: info}
    """
    result = compose(text, args=("--service", "app"))
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert all("--secret" in w for w in warnings)
    assert any("DB_PASSWORD" in w and "compose.yaml:5" in w for w in warnings)
    strict = compose(text, args=("--service", "app", "--strict"))
    assert strict.code == 1 and len(strict.errors) == 2
    bound = compose(
        text,
        args=(
            "--service",
            "app",
            "--strict",
            "--secret",
            "DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-Ab",
            "--secret",
            "STRIPE_API_KEY=/prod/stripe",
        ),
    )
    assert bound.code == 0, bound.err
