"""Bad values in `x-ecs` blocks and base task-definition files, through both faces as real
processes: `compose-ecs-deploy render`, and the action's entrypoint against moto with a
running service. Each case gives exit 1 and exactly one `error:` line naming the file, the
field, the value and what is expected: never a traceback or an "internal error", and the
action registers nothing.

The processes are forks of one pre-imported interpreter (tests/support/forker.py), a few
at a time, all on one moto with one service, so the corpus costs seconds, not minutes.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from compose_ecs_deploy.faces import action
from tests.deploy.conftest import CLUSTER, World
from tests.support.forker import Job, run_all

pytestmark = pytest.mark.stack
ROLE = "arn:aws:iam::123456789012:role/exec"


@dataclass(frozen=True)
class Case:
    id: str
    compose: str
    expect: tuple[str, ...]
    base: str | bytes | None = None


def task(x_ecs: str) -> str:
    """A compose file whose top-level x-ecs block has `x_ecs` besides a valid role."""
    body = textwrap.indent(textwrap.dedent(x_ecs).strip(), "  ")
    return f"services:\n  app:\n    image: app\nx-ecs:\n  executionRoleArn: {ROLE}\n{body}\n"


def service(x_ecs: str, extra: str = "") -> str:
    """A compose file whose service app has the x-ecs block `x_ecs`."""
    body = textwrap.indent(textwrap.dedent(x_ecs).strip(), "      ")
    return (
        f"services:\n  app:\n    image: app\n{extra}    x-ecs:\n{body}\n"
        f"x-ecs:\n  executionRoleArn: {ROLE}\n"
    )


def volume(x_ecs: str) -> str:
    body = textwrap.indent(textwrap.dedent(x_ecs).strip(), "      ")
    return (
        f"services:\n  app:\n    image: app\n    volumes: [data:/data]\n"
        f"volumes:\n  data:\n    x-ecs:\n{body}\nx-ecs:\n  executionRoleArn: {ROLE}\n"
    )


PLAIN = task("")
HEALTH = "command: [CMD, 'true']"

CASES = [
    # the top-level x-ecs block
    Case(
        "task-x-ecs-not-a-mapping",
        "services:\n  app:\n    image: app\nx-ecs: 5\n",
        ("compose.yaml:4", "x-ecs", "5 is not a mapping"),
    ),
    Case("task-cpu-bool", task("cpu: true"), ("compose.yaml:6", "x-ecs.cpu", "True", "task cpu")),
    Case("task-memory-list", task("memory: [512]"), ("x-ecs.memory", "[512]", "task memory")),
    Case(
        "task-network-mode-enum",
        task("networkMode: bridged"),
        ("compose.yaml:6", "x-ecs.networkMode", "'bridged'", "one of bridge, host, awsvpc"),
    ),
    Case(
        "task-compatibilities-string",
        task("requiresCompatibilities: FARGATE"),
        ("x-ecs.requiresCompatibilities", "'FARGATE' is not a list"),
    ),
    Case(
        "task-compatibilities-enum",
        task("requiresCompatibilities: [LAMBDA]"),
        ("x-ecs.requiresCompatibilities[0]", "'LAMBDA'", "EC2", "FARGATE"),
    ),
    Case(
        "task-cpu-architecture-enum",
        task("runtimePlatform: {cpuArchitecture: SPARC}"),
        ("x-ecs.runtimePlatform.cpuArchitecture", "'SPARC'", "X86_64, ARM64"),
    ),
    Case(
        "task-os-family-enum",
        task("runtimePlatform: {operatingSystemFamily: MACOS}"),
        ("x-ecs.runtimePlatform.operatingSystemFamily", "'MACOS'", "LINUX"),
    ),
    Case(
        "task-runtime-platform-string",
        task("runtimePlatform: linux/amd64"),
        ("x-ecs.runtimePlatform", "'linux/amd64' is not an object (RuntimePlatform)"),
    ),
    Case(
        "task-ephemeral-storage-type",
        task("ephemeralStorage: {sizeInGiB: lots}"),
        ("x-ecs.ephemeralStorage.sizeInGiB", "'lots' is not a whole number"),
    ),
    Case(
        "task-ephemeral-storage-required",
        task("ephemeralStorage: {}"),
        ("x-ecs.ephemeralStorage", "sizeInGiB is missing"),
    ),
    Case(
        "task-tags-mapping",
        task("tags: {env: prod}"),
        ("x-ecs.tags", "is not a list of Tag objects"),
    ),
    Case(
        "task-tag-value-number",
        task("tags: [{key: env, value: 5}]"),
        ("x-ecs.tags[0].value", "5 is not a string", "quote it"),
    ),
    Case(
        "task-volumes-string",
        task("volumes: data"),
        ("x-ecs.volumes", "'data' is not a list of Volume objects"),
    ),
    Case(
        "task-volume-efs-required",
        task("volumes: [{name: data, efsVolumeConfiguration: {}}]"),
        ("x-ecs.volumes[0].efsVolumeConfiguration", "fileSystemId is missing"),
    ),
    Case(
        "task-pid-mode-enum",
        task("pidMode: container"),
        ("x-ecs.pidMode", "'container'", "host, task"),
    ),
    Case("task-ipc-mode-enum", task("ipcMode: shared"), ("x-ecs.ipcMode", "'shared'")),
    Case("task-family-number", task("family: 12"), ("x-ecs.family", "12 is not a string")),
    Case("task-role-list", task("taskRoleArn: [a]"), ("x-ecs.taskRoleArn", "['a']")),
    Case(
        "task-proxy-required",
        task("proxyConfiguration: {type: APPMESH}"),
        ("x-ecs.proxyConfiguration", "containerName is missing"),
    ),
    Case(
        "task-fault-injection-string",
        task("enableFaultInjection: maybe"),
        ("x-ecs.enableFaultInjection", "'maybe' is not true or false"),
    ),
    Case(
        "task-nested-unknown-key",
        task("ephemeralStorage: {sizeInGiB: 30, size: 30}"),
        ("x-ecs.ephemeralStorage.size", "'size' is not a field of EphemeralStorage"),
    ),
    # a service's x-ecs block
    Case(
        "service-x-ecs-not-a-mapping",
        service("").replace("    x-ecs:\n\n", "    x-ecs: 5\n"),
        ("compose.yaml:4", "service app", "x-ecs", "5 is not a mapping"),
    ),
    Case(
        "health-interval-abc",
        service(f"healthCheck: {{{HEALTH}, interval: abc}}"),
        ("compose.yaml:5", "service app", "x-ecs.healthCheck.interval", "'abc'", "whole number"),
    ),
    Case(
        "health-command-string",
        service("healthCheck: {command: curl -f localhost}"),
        ("x-ecs.healthCheck.command", "is not a list of strings"),
    ),
    Case(
        "health-without-command",
        service("healthCheck: {interval: 10}"),
        ("x-ecs.healthCheck", "command is missing"),
    ),
    Case(
        "health-unknown-key",
        service(f"healthCheck: {{{HEALTH}, intervall: 5}}"),
        ("x-ecs.healthCheck.intervall", "not a field of HealthCheck"),
    ),
    Case(
        "stop-timeout-soon",
        service("stopTimeout: soon"),
        ("compose.yaml:5", "x-ecs.stopTimeout", "'soon' is not a whole number"),
    ),
    Case(
        "port-mapping-http",
        service("portMappings: [{containerPort: http}]"),
        ("x-ecs.portMappings[0].containerPort", "'http' is not a whole number"),
    ),
    Case(
        "port-mapping-app-protocol",
        service("portMappings: [{containerPort: 25, appProtocol: smtp}]"),
        ("x-ecs.portMappings[0].appProtocol", "'smtp'", "http, http2, grpc"),
    ),
    Case(
        "port-mappings-mapping",
        service("portMappings: {containerPort: 80}"),
        ("x-ecs.portMappings", "is not a list of PortMapping objects"),
    ),
    Case(
        "depends-on-string",
        service("dependsOn: db"),
        ("x-ecs.dependsOn", "'db' is not a list of ContainerDependency objects"),
    ),
    Case(
        "depends-on-condition-enum",
        service("dependsOn: [{containerName: db, condition: READY}]"),
        ("x-ecs.dependsOn[0].condition", "'READY'", "START, COMPLETE, SUCCESS, HEALTHY"),
    ),
    Case(
        "essential-string",
        service("essential: 'yes'"),
        ("x-ecs.essential", "'yes' is not true or false"),
    ),
    Case("memory-with-unit", service("memory: 1g"), ("x-ecs.memory", "'1g' is not a whole number")),
    Case(
        "ulimit-required",
        service("ulimits: [{name: nofile, softLimit: 1024}]"),
        ("x-ecs.ulimits[0]", "hardLimit is missing"),
    ),
    Case(
        "ulimit-name-enum",
        service("ulimits: [{name: files, softLimit: 1, hardLimit: 2}]"),
        ("x-ecs.ulimits[0].name", "'files'", "nofile"),
    ),
    Case(
        "log-driver-enum",
        service("logConfiguration: {logDriver: stdout}"),
        ("x-ecs.logConfiguration.logDriver", "'stdout'", "awslogs"),
    ),
    Case(
        "log-driver-missing",
        service("logConfiguration: {options: {a: b}}"),
        ("x-ecs.logConfiguration", "logDriver is missing"),
    ),
    Case(
        "environment-mapping",
        service("environment: {A: b}"),
        ("x-ecs.environment", "is not a list of KeyValuePair objects"),
    ),
    Case(
        "secret-without-value-from",
        service("secrets: [{name: TOKEN}]"),
        ("x-ecs.secrets[0]", "valueFrom is missing"),
    ),
    Case(
        "init-process-string",
        service("linuxParameters: {initProcessEnabled: maybe}"),
        ("x-ecs.linuxParameters.initProcessEnabled", "'maybe' is not true or false"),
    ),
    Case(
        "firelens-type-enum",
        service("firelensConfiguration: {type: loki}"),
        ("x-ecs.firelensConfiguration.type", "'loki'", "fluentd, fluentbit"),
    ),
    Case(
        "resource-type-enum",
        service("resourceRequirements: [{type: TPU, value: '1'}]"),
        ("x-ecs.resourceRequirements[0].type", "'TPU'", "GPU"),
    ),
    Case(
        "restart-period-string",
        service("restartPolicy: {enabled: true, restartAttemptPeriod: soon}"),
        ("x-ecs.restartPolicy.restartAttemptPeriod", "'soon'"),
    ),
    # right types, but outside ECS's rules (core.validate), named where they were written
    Case(
        "ecs-port-out-of-range",
        service("portMappings: [{containerPort: 70000}]"),
        ("compose.yaml:5", "x-ecs.portMappings", "70000", "0-65535"),
    ),
    Case(
        "ecs-health-interval-range",
        service(f"healthCheck: {{{HEALTH}, interval: 1}}"),
        ("x-ecs.healthCheck.interval", "is 1 seconds", "5-300"),
    ),
    Case(
        "ecs-stop-timeout-range",
        service("stopTimeout: 1000"),
        ("x-ecs.stopTimeout", "1000", "2-120"),
    ),
    Case(
        "ecs-ulimit-soft-above-hard",
        service("ulimits: [{name: nofile, softLimit: 10, hardLimit: 5}]"),
        ("x-ecs.ulimits", "soft limit 10 is above its hard limit 5"),
    ),
    Case("ecs-cpu-negative", service("cpu: -3"), ("x-ecs.cpu", "-3", "negative")),
    Case(
        "ecs-depends-on-unknown",
        service("dependsOn: [{containerName: db, condition: START}]"),
        ("x-ecs.dependsOn", "depends on db, which is not a container"),
    ),
    # a volume's x-ecs block
    Case(
        "volume-transit-encryption-enum",
        volume("efsVolumeConfiguration: {fileSystemId: fs-1, transitEncryption: SOMETIMES}"),
        (
            "volumes.data.x-ecs.efsVolumeConfiguration.transitEncryption",
            "'SOMETIMES'",
            "ENABLED, DISABLED",
        ),
    ),
    Case(
        "volume-host-string",
        volume("host: /data"),
        ("volumes.data.x-ecs.host", "'/data' is not an object (HostVolumeProperties)"),
    ),
    # a compose value whose ECS field has an enum that ParamValidator does not check
    Case(
        "compose-app-protocol-smtp",
        "services:\n  app:\n    image: app\n    ports:\n      - {target: 25, published: 25, "
        f"app_protocol: smtp}}\nx-ecs:\n  executionRoleArn: {ROLE}\n",
        ("service app", "portMappings[0].appProtocol", "'smtp'", "http, http2, grpc"),
    ),
    # the base task-definition file
    Case("base-not-utf8", PLAIN, ("base.json", "not UTF-8"), base=b'{"family": "caf\xe9"}'),
    Case(
        "base-truncated-json",
        PLAIN,
        ("base.json:1", "not valid JSON or YAML"),
        base='{"family": "f", "containerDefinitions": [',
    ),
    Case(
        "base-truncated-yaml",
        PLAIN,
        ("base.json:4", "not valid JSON or YAML"),
        base="family: f\ncontainerDefinitions:\n  - name: app\n    image: [x\n",
    ),
    Case(
        "base-python-tag",
        PLAIN,
        ("base.json:1", "not valid JSON or YAML"),
        base="!!python/object:os.system {}\n",
    ),
    Case("base-number", PLAIN, ("base.json", "must be a JSON/YAML object", "int"), base="42\n"),
    Case("base-empty", PLAIN, ("base.json", "must be a JSON/YAML object", "empty file"), base=""),
    Case(
        "base-containers-string",
        PLAIN,
        (
            "base.json:1",
            "field containerDefinitions",
            "'app' is not a list of ContainerDefinition objects",
        ),
        base='{"containerDefinitions": "app"}',
    ),
    Case(
        "base-container-without-name",
        PLAIN,
        ("base.json:3", "containerDefinitions[0]", "has no name"),
        base='{"containerDefinitions": [\n\n  {"image": "x"},\n  {"image": "y", "name": "b"}\n]}',
    ),
    Case(
        "base-describe-answer-not-object",
        PLAIN,
        ("base.json:1", "taskDefinition", "must be a JSON/YAML object", "str"),
        base='{"taskDefinition": "web:3"}',
    ),
    Case(
        "base-describe-answer-bad-port",
        PLAIN,
        (
            "base.json:5",
            "taskDefinition.containerDefinitions[0].portMappings[0].containerPort",
            "'http'",
        ),
        base='{"taskDefinition": {\n  "containerDefinitions": [{\n    "name": "app",\n'
        '    "portMappings": [\n      {"containerPort": "http"}]}]}}',
    ),
    Case("base-cpu-bool", PLAIN, ("base.json", "field cpu", "True"), base='{"cpu": true}'),
    Case(
        "base-unknown-key",
        PLAIN,
        ("base.json:1", "familly", "not a field"),
        base='{"familly": "web"}',
    ),
    Case(
        "base-network-mode-enum",
        PLAIN,
        ("base.json", "networkMode", "'bridged'"),
        base="networkMode: bridged\n",
    ),
    Case(
        "base-cpu-architecture-enum",
        PLAIN,
        ("base.json:2", "runtimePlatform.cpuArchitecture", "'SPARC'"),
        base="runtimePlatform:\n  cpuArchitecture: SPARC\n",
    ),
    Case(
        "base-ecs-fargate-pair",
        PLAIN,
        ("base.json:3", "field memory", "cpu 256 / memory 4096 is not a Fargate size"),
        base='{\n  "cpu": "256",\n  "memory": "4096"\n}',
    ),
    Case(
        "base-ecs-sidecar-health-range",
        PLAIN,
        ("base.json:3", "container sidecar", "healthCheck.interval", "5-300"),
        base='{"containerDefinitions": [\n  {"name": "app", "image": "x"},\n  {"name": '
        '"sidecar", "image": "y", "healthCheck": {"command": ["CMD", "true"], '
        '"interval": 1}}]}',
    ),
    Case(
        "base-health-interval-abc",
        PLAIN,
        ("base.json", "containerDefinitions[0].healthCheck.interval", "'abc'"),
        base='{"containerDefinitions": [{"name": "app", "healthCheck": '
        '{"command": ["CMD", "true"], "interval": "abc"}}]}',
    ),
]


def _write(case: Case, directory: Path) -> Path:
    directory.mkdir()
    (directory / "compose.yaml").write_text(case.compose)
    if isinstance(case.base, bytes):
        (directory / "base.json").write_bytes(case.base)
    elif case.base is not None:
        (directory / "base.json").write_text(case.base)
    return directory


def _run_all(
    job: Callable[[Case, Path], Job], root: Path
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case as a process of its own (forked from one pre-imported interpreter)."""
    jobs = [job(case, _write(case, root / case.id)) for case in CASES]
    return dict(zip([case.id for case in CASES], run_all(jobs), strict=True))


def _problems(results: dict[str, subprocess.CompletedProcess[str]], annotations: bool) -> list[str]:
    """What is wrong with each case's result, case by case (empty: all as expected)."""
    problems = []
    for case in CASES:
        result = results[case.id]
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        wrong = []
        if result.returncode != 1:
            wrong.append(f"exit {result.returncode}")
        if "Traceback" in result.stderr or "internal error" in result.stderr:
            wrong.append("a traceback or an internal error")
        if len(errors) != 1:
            wrong.append(f"{len(errors)} error lines")
        else:
            wrong += [f"{word!r} missing" for word in case.expect if word not in errors[0]]
        if annotations and result.stdout.count("::error") != 1:
            wrong.append(f"{result.stdout.count('::error')} annotations")
        if wrong:
            problems.append(f"{case.id}: {', '.join(wrong)}\n{result.stderr}")
    return problems


def _argv(case: Case) -> list[str]:
    base = ["--task-definition", "base.json"] if case.base is not None else []
    return ["render", "-f", "compose.yaml", "--service", "app", "--region", "us-east-1", *base]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


def test_render_names_every_bad_value_in_one_line(tmp_path: Path) -> None:
    def job(case: Case, directory: Path) -> Job:
        return Job("cli", _argv(case), str(directory), dict(os.environ))

    results = _run_all(job, tmp_path)
    problems = _problems(results, annotations=False)
    assert not problems, "\n".join(problems)
    assert all(result.stdout == "" for result in results.values())


def test_the_action_names_every_bad_value_and_registers_nothing(
    world: World, aws_env: dict[str, str], tmp_path: Path
) -> None:
    first = world.service("web")
    inputs = {
        "services": "app",
        "cluster": CLUSTER,
        "ecs-service": "web",
        "aws-region": world.region,
    }
    environment = {
        **os.environ,
        **aws_env,
        **{f"INPUT_{name.upper()}": inputs.get(name, "") for name in action.INPUTS},
    }

    def job(case: Case, directory: Path) -> Job:
        (directory / "output").touch()
        (directory / "summary").touch()
        return Job(
            "action",
            [],
            str(directory),
            {
                **environment,
                "INPUT_COMPOSE-FILE": "compose.yaml",
                "INPUT_TASK-DEFINITION": "base.json" if case.base is not None else "",
                "GITHUB_OUTPUT": str(directory / "output"),
                "GITHUB_STEP_SUMMARY": str(directory / "summary"),
            },
        )

    results = _run_all(job, tmp_path)
    problems = _problems(results, annotations=True)
    assert not problems, "\n".join(problems)
    assert world.revisions("web") == [first]
    assert len(world.running("web")["deployments"]) == 1
    assert all((tmp_path / case.id / "output").read_text() == "" for case in CASES)
