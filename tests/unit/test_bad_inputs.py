"""Bad inputs to `render`: each gives exit 1 and exactly one clear `error:` line per problem.

Every case names the words its error must contain (file, service, field, the fix), so a
vaguer message fails the test. Bad values as real processes (where a traceback would show)
are tests/deploy/test_bad_values.py's corpus.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROLE = "arn:aws:iam::123456789012:role/exec"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"


@dataclass(frozen=True)
class Case:
    id: str
    compose: str
    args: tuple[str, ...] = ("--service", "app")
    expect: tuple[tuple[str, ...], ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def app(body: str = "", x_ecs: str = f"executionRoleArn: {ROLE}") -> str:
    lines = ["services:", "  app:", "    image: app"]
    lines += ["    " + line for line in textwrap.dedent(body).strip().splitlines()]
    if x_ecs:
        lines += ["x-ecs:"] + ["  " + line for line in textwrap.dedent(x_ecs).splitlines()]
    return "\n".join(lines) + "\n"


CASES = [
    Case(
        "invalid-yaml",
        "services:\n  app:\n    image: [oops\n",
        expect=(("compose.yaml:3", "invalid YAML"),),
    ),
    Case(
        "tab-indentation",
        "services:\n\tapp:\n    image: x\n",
        expect=(("compose.yaml:2", "invalid YAML"),),
    ),
    Case(
        "unknown-service",
        app(),
        args=("--service", "ap"),
        expect=(("--service ap", "no such service", "it has: app"),),
    ),
    Case(
        "two-unknown-services",
        app(),
        args=("--service", "x", "--service", "y"),
        expect=(("--service x",), ("--service y",)),
    ),
    Case(
        "neither-image-nor-build",
        "services:\n  app:\n    environment: {A: b}\n",
        expect=(("compose.yaml:2", "app", "neither an image nor a build"),),
    ),
    Case(
        "required-variable",
        "services:\n  app:\n    image: ${IMAGE:?set IMAGE to the image}\n",
        expect=(("compose.yaml:3", "services.app.image", "set IMAGE to the image"),),
    ),
    Case(
        "schema-unknown-key",
        "services:\n  app:\n    image: x\n    imagee: y\n",
        expect=(("compose.yaml:4", "imagee", "not allowed"),),
    ),
    Case(
        "schema-wrong-type",
        "services:\n  app:\n    image: x\n    ports: 80\n",
        expect=(("compose.yaml:4", "ports"),),
    ),
    Case(
        "missing-compose-file",
        "",
        args=("--service", "app", "-f", "nope.yaml"),
        expect=(("nope.yaml", "does not exist"),),
    ),
    Case(
        "health-check-waits-too-long",
        app("healthcheck: {test: 'true', interval: 5m, retries: 20}"),
        expect=(("compose.yaml:4", "service app", "healthcheck", "6000s", "3300s"),),
    ),
    Case(
        "timeout-too-long",
        app("healthcheck: {test: 'true', timeout: 2m}"),
        expect=(("healthcheck.timeout", "120s", "at most 60s"),),
    ),
    Case(
        "gpu-on-fargate",
        app("deploy: {resources: {reservations: {devices: [{capabilities: [gpu], count: 1}]}}}"),
        expect=(("deploy.resources.reservations", "Fargate has no GPUs", "EC2"),),
    ),
    Case(
        "seccomp-on-fargate",
        app("security_opt: ['seccomp=unconfined']"),
        expect=(("security_opt", "seccomp=unconfined", "EC2 launch type"),),
    ),
    Case(
        "health-and-stop-problems",
        app("healthcheck: {test: 'true', timeout: 2m}\nstop_grace_period: 3m"),
        expect=(("healthcheck.timeout",), ("stop_grace_period", "2-120")),
    ),
    Case(
        "stop-grace-too-long",
        app("stop_grace_period: 3m"),
        expect=(("stop_grace_period", "2-120"),),
    ),
    Case(
        "fargate-pair",
        app(x_ecs=f"executionRoleArn: {ROLE}\ncpu: '256'\nmemory: '4096'"),
        expect=(("x-ecs.memory", "with cpu 256, memory must be 512, 1024 or 2048"),),
    ),
    Case(
        "fargate-cpu-unknown",
        app(x_ecs=f"executionRoleArn: {ROLE}\ncpu: '300'\nmemory: '512'"),
        expect=(("x-ecs.memory", "cpu must be one of"),),
    ),
    Case(
        "fargate-privileged",
        app("privileged: true"),
        expect=(("service app", "privileged", "Fargate"),),
    ),
    Case("tmpfs-mode", app("tmpfs: ['/run:mode=abc']"), expect=(("tmpfs", "octal"),)),
    Case(
        "fargate-capability",
        app("cap_add: [NET_ADMIN, SYS_PTRACE]"),
        expect=(("cap_add", "only SYS_PTRACE", "NET_ADMIN"),),
    ),
    Case("fargate-pid-host", app("pid: host"), expect=(("pid", "Fargate", "pidMode task"),)),
    Case(
        "fargate-log-driver",
        app("logging: {driver: fluentd}"),
        expect=(("logging.driver", "fluentd", "awslogs"),),
    ),
    Case("fargate-network-host", app("network_mode: host"), expect=(("network_mode", "Fargate"),)),
    Case("fargate-devices", app("devices: ['/dev/fuse']"), expect=(("devices", "Fargate"),)),
    Case(
        "awsvpc-extra-hosts",
        app("extra_hosts: ['db:10.0.0.1']"),
        expect=(("extra_hosts", "awsvpc"),),
    ),
    Case(
        "awsvpc-dns-search", app("dns_search: [corp.example]"), expect=(("dns_search", "awsvpc"),)
    ),
    Case(
        "network-mode-bridge",
        app("network_mode: bridge"),
        expect=(("network_mode", "x-ecs.networkMode"),),
    ),
    Case(
        "port-conflict",
        "services:\n  app: {image: a, ports: ['80:80']}\n  b: {image: b, expose: ['80']}\n"
        f"x-ecs: {{executionRoleArn: '{ROLE}'}}\n",
        args=("--service", "app", "--service", "b"),
        expect=(("service b", "port 80/tcp is also used by container app"),),
    ),
    Case(
        "healthy-without-check",
        "services:\n  app:\n    image: a\n    depends_on: {db: {condition: service_healthy}}\n"
        f"  db: {{image: b}}\nx-ecs: {{executionRoleArn: '{ROLE}'}}\n",
        args=("--service", "app", "--service", "db"),
        expect=(("compose.yaml:4", "depends_on.db", "no health check"),),
    ),
    Case(
        "compose-file-secrets",
        "services:\n  app:\n    image: a\n    secrets: [pw]\nsecrets:\n  pw: {file: ./pw}\n"
        f"x-ecs: {{executionRoleArn: '{ROLE}'}}\n",
        expect=(("service app", "secrets", "--secret pw=ARN"),),
    ),
    Case(
        "secret-no-equals",
        app(),
        args=("--service", "app", "--secret", "DATABASE_URL"),
        expect=(("--secret", "NAME=ARN"),),
    ),
    Case(
        "secret-bad-arn",
        app(),
        args=("--service", "app", "--secret", "DB=arn:aws:secretsmanager:nowhere"),
        expect=(("--secret", "DB", "not a secret reference"),),
    ),
    Case(
        "secret-bare-name-offline",  # taken only once SSM says it exists: render cannot ask
        app(),
        args=("--service", "app", "--secret", "DB=hunter2-Zq81"),
        expect=(("--secret: DB:", "diff or deploy"),),
    ),
    Case(
        "secret-bad-name",
        app(),
        args=("--service", "app", "--secret", f"1DB={ARN}"),
        expect=(("'1DB'", "environment variable name"),),
    ),
    Case(
        "secret-unknown-service",
        app(),
        args=("--service", "app", "--secret", f"api.DB={ARN}"),
        expect=(("api.DB", "'api'", "not a container"),),
    ),
    Case(
        "secrets-file-lines",
        app(),
        args=("--service", "app", "--secrets-file", "secrets.txt"),
        files={"secrets.txt": f"# comment\nOK={ARN}\nBROKEN\nX=not an arn\n"},
        expect=(("secrets.txt:3", "NAME=ARN"), ("secrets.txt:4", "X")),
    ),
    Case(
        "secrets-file-missing",
        app(),
        args=("--service", "app", "--secrets-file", "none.txt"),
        expect=(("none.txt", "cannot read"),),
    ),
    Case(
        "image-unknown-service",
        app(),
        args=("--service", "app", "--image", "web=repo:1"),
        expect=(("--image web", "not a container of this task"),),
    ),
    Case(
        "image-syntax",
        app(),
        args=("--service", "app", "--image", "repo:1"),
        expect=(("--image 'repo:1'", "SERVICE=URI"),),
    ),
    Case(
        "no-built-services",
        "services:\n  db: {image: postgres}\n",
        args=(),
        expect=(("no service has a build section", "--service"),),
    ),
    Case(
        "role-arn",
        app(x_ecs="executionRoleArn: exec-role"),
        expect=(("x-ecs.executionRoleArn", "IAM role ARN"),),
    ),
    Case(
        "no-execution-role",
        app(x_ecs="family: f"),
        expect=(("executionRoleArn", "task execution role"),),
    ),
    Case(
        "bad-family",
        app(x_ecs=f"executionRoleArn: {ROLE}\nfamily: 'my app'"),
        expect=(("x-ecs.family", "'my app'"),),
    ),
    Case(
        "x-ecs-unknown-task-key",
        app(x_ecs=f"executionRoleArn: {ROLE}\ncpus: 1"),
        expect=(("x-ecs.cpus", "not a RegisterTaskDefinition field"),),
    ),
    Case(
        "x-ecs-unknown-container-key",
        app("x-ecs: {essentiall: false}"),
        expect=(("service app", "x-ecs.essentiall"),),
    ),
    Case(
        "no-region",
        app(),
        args=("--service", "app", "--no-region"),
        expect=(("region", "--region"),),
    ),
    Case(
        "memory-over-task",
        app("mem_limit: 1g", x_ecs=f"executionRoleArn: {ROLE}\ncpu: '256'\nmemory: '512'"),
        expect=(
            ("mem_limit", "1024 MiB exceeds the task's 512"),
            ("x-ecs.memory", "adds up to 1024 MiB"),
        ),
    ),
    Case(
        "cpus-invalid",
        app(
            "deploy: {resources: {limits: {cpus: '99'}}}",
            x_ecs=f"executionRoleArn: {ROLE}\ncpu: '256'\nmemory: '512'",
        ),
        expect=(("x-ecs.cpu", "101376 units"),),
    ),
    Case(
        "platform-unsupported",
        app("platform: windows/amd64"),
        expect=(("platform", "linux/amd64 or linux/arm64"),),
    ),
    Case(
        "base-not-json",
        app(),
        args=("--service", "app", "--task-definition", "base.json"),
        files={"base.json": '{\n  "family": [\n'},
        expect=(("base.json", "not valid JSON or YAML"),),
    ),
    Case(
        "base-inherited-value-out-of-range",
        app(),
        args=("--service", "app", "--task-definition", "base.json"),
        files={
            "base.json": '{\n  "containerDefinitions": [\n    {"name": "app", "image": "x",\n'
            '     "healthCheck": {"command": ["CMD", "true"], "interval": 400}}\n  ]\n}\n'
        },
        expect=(("base.json:3", "container app", "interval is 400", "5-300"),),
    ),
    Case(
        "base-not-object",
        app(),
        args=("--service", "app", "--task-definition", "base.json"),
        files={"base.json": "[1, 2]\n"},
        expect=(("base.json", "must be a JSON/YAML object"),),
    ),
    Case(
        "base-bad-field-type",
        app(),
        args=("--service", "app", "--task-definition", "b.json"),
        files={"b.json": '{"family": "f", "ephemeralStorage": {"sizeInGiB": "lots"}}'},
        expect=(("b.json:1", "sizeInGiB", "'lots' is not a whole number"),),
    ),
    Case(
        "depends-on-success-essential",
        "services:\n  app:\n    image: a\n    depends_on:\n      m: {condition: "
        "service_completed_successfully}\n  m:\n    image: m\n    x-ecs: {essential: true}\n"
        f"x-ecs: {{executionRoleArn: '{ROLE}'}}\n",
        args=("--service", "app", "--service", "m"),
        expect=(("depends_on.m", "essential"),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_one_clear_error_per_problem(
    case: Case, tmp_path: Path, run_cli, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in case.files.items():
        (tmp_path / name).write_text(text)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    argv = ["render"]
    if case.compose:
        (tmp_path / "compose.yaml").write_text(case.compose)
        argv += ["-f", "compose.yaml"]
    args = list(case.args)
    if "--no-region" in args:
        args.remove("--no-region")
    else:
        argv += ["--region", "us-east-1"]
    result = run_cli(*argv, *args)
    assert result.code == 1, result.err
    assert result.out == ""
    assert len(result.errors) == len(case.expect), result.err
    for error, words in zip(result.errors, case.expect, strict=True):
        for word in words:
            assert word in error, f"{word!r} not in {error!r}"


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


def test_usage_error_exits_2(run_cli) -> None:
    assert run_cli("render", "--no-such-option").code == 2  # bare `render` looks files up
    assert run_cli("explode").code == 2


def test_missing_compose_binary_is_one_line(tmp_path: Path, monkeypatch, run_cli) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(app())
    monkeypatch.setenv("COMPOSE_ECS_DEPLOY_COMPOSE", str(tmp_path / "no-such-binary"))
    result = run_cli("render", "-f", "compose.yaml", "--service", "app")
    assert result.code == 1
    assert len(result.errors) == 1
    assert "COMPOSE_ECS_DEPLOY_COMPOSE" in result.errors[0]
