"""Run the container action exactly as the GitHub runner runs a `runs: using: docker` step.

What the runner does (actions/runner, ContainerActionHandler + DockerCommandManager), and
what `run_action` reproduces on the local stack's dockerd:

    docker run --workdir /github/workspace --rm
      -e INPUT_<NAME>...          every input of action.yml: the given value, else its
                                  default (`${{ github.sha }}` and other `github.*`
                                  expressions resolved); upper-cased, spaces to `_`,
                                  hyphens kept
      -e HOME -e GITHUB_* -e RUNNER_* -e CI -e GITHUB_ACTIONS  (the step's environment)
      -v /var/run/docker.sock:/var/run/docker.sock
      -v <temp>/_github_home:/github/home
      -v <temp>/_github_workflow:/github/workflow          (event.json)
      -v <temp>/_runner_file_commands:/github/file_commands (GITHUB_OUTPUT & co.)
      -v <workspace>:/github/workspace
      <image> [args]

Differences, on purpose: the socket mounted is the stack's dockerd (no DOCKER_HOST inside);
the network is the host's (`network_mode=host`) so the container reaches moto and the
registry on loopback, where the runner would use its own bridge network; the AWS variables
are the stack's (fake credentials, AWS_ENDPOINT_URL on 127.0.0.1), as a workflow's `env:`
or aws-actions/configure-aws-credentials would set real ones, and so is the test-only
COMPOSE_ECS_DEPLOY_TIME_SCALE (the waits between polls a hundredth long; honoured only on
loopback). The loopback guard runs on that environment before the container starts.

`run_action` returns the exit code, stdout and stderr (separately), the parsed
GITHUB_OUTPUT file (`name=value` and `name<<DELIMITER` forms), the step summary, and the
time from `docker run` to the first line the action printed (`first_line_seconds`, also
measured alone by `time_to_first_line`, for the benchmark).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support import guard
from tests.support import stack as stack_mod

REPO_ROOT = stack_mod.REPO_ROOT
CONTAINER_WORKSPACE = "/github/workspace"
CONTAINER_HOME = "/github/home"
CONTAINER_WORKFLOW = "/github/workflow"
CONTAINER_FILE_COMMANDS = "/github/file_commands"
DOCKER_SOCKET = "/var/run/docker.sock"
HOST_WORK = "/home/runner/work"  # the runner's host paths, as it passes them (RUNNER_TEMP…)
LABEL = "compose-ecs-deploy.runner-harness"
AWS_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "COMPOSE_ECS_DEPLOY_TIME_SCALE",  # the stack's waits a hundredth long (tests/support/stack)
)
DEFAULT_SHA = "3f2c1a9b8e7d6c5b4a39281706f5e4d3c2b1a098"

OnLine = Callable[[str, str], None]
"""on_line(stream, line): stream is "stdout" or "stderr"; called as lines arrive."""


class HarnessError(RuntimeError):
    """The harness was misused (an unknown input) or the container could not be run."""


# --------------------------------------------------------------------------- the contexts


@dataclass(frozen=True)
class GitHub:
    """The `github` context of the run, as far as the runner puts it into the environment."""

    repository: str = "example/hello"
    sha: str = DEFAULT_SHA
    ref: str = "refs/heads/main"
    event_name: str = "push"
    actor: str = "octocat"
    workflow: str = "deploy"
    job: str = "deploy"
    run_id: str = "4242424242"
    run_number: str = "42"
    run_attempt: str = "1"
    server_url: str = "https://github.com"
    action: str = "__run"
    action_repository: str = ""
    action_ref: str = ""

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def ref_name(self) -> str:
        return self.ref.rsplit("/", 1)[-1]

    def expression_values(self) -> dict[str, str]:
        """What `${{ github.<name> }}` resolves to in an input's default."""
        return {
            "sha": self.sha,
            "ref": self.ref,
            "ref_name": self.ref_name,
            "repository": self.repository,
            "repository_owner": self.owner,
            "event_name": self.event_name,
            "actor": self.actor,
            "workflow": self.workflow,
            "job": self.job,
            "run_id": self.run_id,
            "run_number": self.run_number,
            "run_attempt": self.run_attempt,
            "server_url": self.server_url,
            "workspace": CONTAINER_WORKSPACE,
            "action": self.action,
        }


_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def resolve_expressions(text: str, github: GitHub) -> str:
    """`${{ github.x }}` in an input default, as the runner evaluates it (others refused)."""
    values = github.expression_values()

    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        name = expression.removeprefix("github.")
        if not expression.startswith("github.") or name not in values:
            raise HarnessError(f"the harness cannot evaluate ${{{{ {expression} }}}}")
        return values[name]

    return _EXPRESSION.sub(one, text)


def input_variable(name: str) -> str:
    """GitHub's naming: INPUT_ + upper-case, spaces to `_`, hyphens kept."""
    return "INPUT_" + name.replace(" ", "_").upper()


def action_inputs(action_yml: Path = REPO_ROOT / "action.yml") -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(action_yml.read_text())
    return {str(k): dict(v or {}) for k, v in (data.get("inputs") or {}).items()}


def input_env(
    given: Mapping[str, str], github: GitHub, action_yml: Path = REPO_ROOT / "action.yml"
) -> dict[str, str]:
    """Every input as the runner passes it: the given value, else the (resolved) default.

    An input action.yml does not declare is refused (the runner only warns; a typo in a
    test must not pass silently), and so is a missing required one.
    """
    declared = action_inputs(action_yml)
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise HarnessError(f"inputs not in action.yml: {', '.join(unknown)}")
    env = {}
    for name, spec in declared.items():
        if name in given:
            value = str(given[name])
        else:
            if spec.get("required"):
                raise HarnessError(f"required input {name} is not given")
            value = resolve_expressions(str(spec.get("default", "")), github)
        env[input_variable(name)] = value
    return env


@dataclass(frozen=True)
class FileCommands:
    """The step's file-command files, by variable, as host paths and container paths."""

    host_dir: Path
    names: Mapping[str, str]  # GITHUB_OUTPUT -> set_output_<uuid>, ...

    @classmethod
    def create(cls, host_dir: Path) -> FileCommands:
        host_dir.mkdir(parents=True, exist_ok=True)
        step = uuid.uuid4()
        names = {
            "GITHUB_OUTPUT": f"set_output_{step}",
            "GITHUB_STEP_SUMMARY": f"step_summary_{step}",
            "GITHUB_ENV": f"set_env_{step}",
            "GITHUB_PATH": f"add_path_{step}",
            "GITHUB_STATE": f"save_state_{step}",
        }
        for name in names.values():
            (host_dir / name).write_text("")  # the runner creates them empty
        return cls(host_dir, names)

    def env(self) -> dict[str, str]:
        return {k: f"{CONTAINER_FILE_COMMANDS}/{v}" for k, v in self.names.items()}

    def read(self, variable: str) -> str:
        return (self.host_dir / self.names[variable]).read_text(encoding="utf-8")


def runner_env(github: GitHub, files: FileCommands, machine: str = "X64") -> dict[str, str]:
    """The GITHUB_*, RUNNER_*, CI and HOME variables a container step gets."""
    repo_name = github.repository.split("/", 1)[-1]
    return {
        "HOME": CONTAINER_HOME,
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_JOB": github.job,
        "GITHUB_REF": github.ref,
        "GITHUB_REF_NAME": github.ref_name,
        "GITHUB_REF_TYPE": "branch",
        "GITHUB_REF_PROTECTED": "false",
        "GITHUB_SHA": github.sha,
        "GITHUB_REPOSITORY": github.repository,
        "GITHUB_REPOSITORY_OWNER": github.owner,
        "GITHUB_REPOSITORY_ID": "123456789",
        "GITHUB_REPOSITORY_OWNER_ID": "987654",
        "GITHUB_RUN_ID": github.run_id,
        "GITHUB_RUN_NUMBER": github.run_number,
        "GITHUB_RUN_ATTEMPT": github.run_attempt,
        "GITHUB_RETENTION_DAYS": "90",
        "GITHUB_ACTOR": github.actor,
        "GITHUB_ACTOR_ID": "583231",
        "GITHUB_TRIGGERING_ACTOR": github.actor,
        "GITHUB_WORKFLOW": github.workflow,
        "GITHUB_WORKFLOW_REF": f"{github.repository}/.github/workflows/"
        f"{github.workflow}.yml@{github.ref}",
        "GITHUB_WORKFLOW_SHA": github.sha,
        "GITHUB_HEAD_REF": "",
        "GITHUB_BASE_REF": "",
        "GITHUB_EVENT_NAME": github.event_name,
        "GITHUB_EVENT_PATH": f"{CONTAINER_WORKFLOW}/event.json",
        "GITHUB_SERVER_URL": github.server_url,
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_GRAPHQL_URL": "https://api.github.com/graphql",
        "GITHUB_WORKSPACE": CONTAINER_WORKSPACE,
        "GITHUB_ACTION": github.action,
        "GITHUB_ACTION_REPOSITORY": github.action_repository,
        "GITHUB_ACTION_REF": github.action_ref,
        **files.env(),
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": machine,
        "RUNNER_NAME": "GitHub Actions 1",
        "RUNNER_ENVIRONMENT": "github-hosted",
        "RUNNER_TOOL_CACHE": "/opt/hostedtoolcache",
        "RUNNER_TEMP": f"{HOST_WORK}/_temp",  # host paths: what the runner passes
        "RUNNER_WORKSPACE": f"{HOST_WORK}/{repo_name}",
    }


def _event(github: GitHub) -> dict[str, Any]:
    return {
        "ref": github.ref,
        "after": github.sha,
        "repository": {
            "full_name": github.repository,
            "name": github.repository.split("/", 1)[-1],
            "html_url": f"{github.server_url}/{github.repository}",
        },
        "sender": {"login": github.actor},
    }


# --------------------------------------------------------------------------- results


def parse_file_command(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV records: `name=value` and `name<<DELIMITER` … `DELIMITER`."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line.split("=", 1)
        elif heredoc >= 0:
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ValueError(f"record {name!r}: no closing delimiter {delimiter!r}")
            index += 1
            value = "\n".join(body)
        else:
            raise ValueError(f"malformed file-command record: {line!r}")
        values[name] = value
    return values


@dataclass(frozen=True)
class Command:
    """A workflow command line `::name k=v,k=v::message` (values unescaped)."""

    name: str
    properties: Mapping[str, str]
    message: str
    index: int  # line number in stdout (0-based)


_COMMAND = re.compile(r"^::([a-z-]+)(?: ([^:]*))?::(.*)$")


def _unescape(value: str, prop: bool) -> str:
    if prop:
        value = value.replace("%3A", ":").replace("%2C", ",")
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def workflow_commands(stdout: str) -> list[Command]:
    """The commands in stdout, read as the runner's ActionCommand.TryParseV2 reads them: the
    first `::` after the name ends the properties, and a name followed by a space and no
    properties (`::add-mask ::value`, as github-action-utils writes it) is still a command."""
    commands = []
    for index, line in enumerate(stdout.splitlines()):
        match = _COMMAND.match(line)
        if not match:
            continue
        props = {}
        for item in (match.group(2) or "").split(","):
            key, sep, value = item.partition("=")
            if sep:
                props[key.strip()] = _unescape(value, prop=True)
        commands.append(
            Command(match.group(1), props, _unescape(match.group(3), prop=False), index)
        )
    return commands


@dataclass
class RunResult:
    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    env: dict[str, str]
    workspace: Path
    temp: Path
    seconds: float
    first_line_seconds: float | None  # docker run -> the first line the action printed
    container_id: str = ""

    @property
    def commands(self) -> list[Command]:
        return workflow_commands(self.stdout)

    def annotations(self, kind: str = "error") -> list[Command]:
        return [c for c in self.commands if c.name == kind]

    @property
    def masks(self) -> list[str]:
        return [c.message for c in self.commands if c.name == "add-mask"]

    def describe(self) -> str:
        """Everything a failed assertion needs to say what the action did."""
        return (
            f"exit {self.exit_code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
            f"\n--- outputs\n{json.dumps(self.outputs, indent=2)}\n--- summary\n"
            f"{self.summary}"
        )


# --------------------------------------------------------------------------- running


@dataclass
class _Streams:
    on_line: OnLine | None
    started: float
    first: float | None = None
    data: dict[str, bytearray] = field(
        default_factory=lambda: {"stdout": bytearray(), "stderr": bytearray()}
    )
    pending: dict[str, bytearray] = field(
        default_factory=lambda: {"stdout": bytearray(), "stderr": bytearray()}
    )

    def feed(self, stream: str, chunk: bytes | None) -> None:
        if not chunk:
            return
        if self.first is None:
            self.first = time.monotonic() - self.started
        self.data[stream] += chunk
        if self.on_line is None:
            return
        self.pending[stream] += chunk
        *lines, rest = bytes(self.pending[stream]).split(b"\n")
        self.pending[stream] = bytearray(rest)
        for line in lines:
            self.on_line(stream, line.decode(errors="replace"))

    def close(self) -> None:
        if self.on_line is not None:
            for stream, rest in self.pending.items():
                if rest:
                    self.on_line(stream, bytes(rest).decode(errors="replace"))

    def text(self, stream: str) -> str:
        return bytes(self.data[stream]).decode(errors="replace")


def prepare_dirs(workspace: Path, temp: Path, github: GitHub) -> FileCommands:
    """The runner's _temp layout: home, workflow (event.json), fresh file-command files."""
    workspace.mkdir(parents=True, exist_ok=True)
    (temp / "_github_home").mkdir(parents=True, exist_ok=True)
    workflow = temp / "_github_workflow"
    workflow.mkdir(parents=True, exist_ok=True)
    (workflow / "event.json").write_text(json.dumps(_event(github), indent=2) + "\n")
    return FileCommands.create(temp / "_runner_file_commands")


def stack_aws_env(info: stack_mod.StackInfo) -> dict[str, str]:
    env = info.env()
    return {k: env[k] for k in AWS_VARIABLES if k in env}


def run_action(
    image: str,
    workspace: Path,
    inputs: Mapping[str, str],
    *,
    stack: stack_mod.StackInfo,
    client: Any = None,
    temp: Path | None = None,
    github: GitHub | None = None,
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
    on_line: OnLine | None = None,
    timeout: float = 900.0,
) -> RunResult:
    """Run the action image on `workspace` the way the runner does; see the module doc.

    `env` is the step's extra environment (a workflow's `env:`), after the runner's own.
    `temp` defaults to `<workspace>/../_temp`, as on a runner (`_work/_temp`). The
    container is removed afterwards (the runner's --rm); a run over `timeout` seconds is
    killed and reported with exit code 124.
    """
    import docker

    github = github or GitHub()
    temp = temp or workspace.parent / "_temp"
    workspace, temp = workspace.resolve(), temp.resolve()
    files = prepare_dirs(workspace, temp, github)
    environment = {
        **runner_env(github, files),
        **stack_aws_env(stack),
        **(env or {}),
        **input_env(inputs, github),
    }
    environment.pop("DOCKER_HOST", None)
    guard.check(stack.endpoint_url, registry_hosts=stack.registry_hosts, environ=environment)
    volumes = {
        stack.docker_socket: {"bind": DOCKER_SOCKET, "mode": "rw"},
        str(temp / "_github_home"): {"bind": CONTAINER_HOME, "mode": "rw"},
        str(temp / "_github_workflow"): {"bind": CONTAINER_WORKFLOW, "mode": "rw"},
        str(files.host_dir): {"bind": CONTAINER_FILE_COMMANDS, "mode": "rw"},
        str(workspace): {"bind": CONTAINER_WORKSPACE, "mode": "rw"},
    }
    own = client is None
    client = client or docker.DockerClient(base_url=stack.docker_host, timeout=int(timeout) + 60)
    container = None
    started = time.monotonic()
    streams = _Streams(on_line, started)
    killed, finished = threading.Event(), threading.Event()
    try:
        container = client.containers.create(
            image,
            list(args) or None,
            working_dir=CONTAINER_WORKSPACE,
            environment=environment,
            volumes=volumes,
            network_mode="host",
            labels={LABEL: "1"},
            detach=True,
        )
        output = client.api.attach(
            container.id, stdout=True, stderr=True, stream=True, logs=True, demux=True
        )

        def watchdog() -> None:
            if not finished.wait(timeout):
                killed.set()
                with contextlib.suppress(Exception):
                    container.kill()

        container.start()
        threading.Thread(target=watchdog, daemon=True).start()
        for out, err in output:
            streams.feed("stdout", out)
            streams.feed("stderr", err)
        exit_code = int(container.wait().get("StatusCode", 1))
        if killed.is_set():
            exit_code = 124
    finally:
        finished.set()
        streams.close()
        if container is not None:
            with contextlib.suppress(Exception):
                container.remove(force=True)
        if own:
            client.close()
    seconds = time.monotonic() - started
    return RunResult(
        exit_code=exit_code,
        stdout=streams.text("stdout"),
        stderr=streams.text("stderr"),
        outputs=parse_file_command(files.read("GITHUB_OUTPUT")),
        summary=files.read("GITHUB_STEP_SUMMARY"),
        env=environment,
        workspace=workspace,
        temp=temp,
        seconds=seconds,
        first_line_seconds=streams.first,
        container_id=container.id if container is not None else "",
    )


def time_to_first_line(
    image: str,
    workspace: Path,
    inputs: Mapping[str, str],
    *,
    stack: stack_mod.StackInfo,
    runs: int = 5,
    client: Any = None,
    **kwargs: Any,
) -> list[float]:
    """Seconds from `docker run` to the action's first output line, for each of `runs` runs.

    For the benchmark: give inputs that make the action print early and finish quickly
    (e.g. a compose file with an error: the run stops after validation).
    """
    times = []
    for _ in range(runs):
        result = run_action(image, workspace, inputs, stack=stack, client=client, **kwargs)
        if result.first_line_seconds is None:
            raise HarnessError(f"the action printed nothing:\n{result.describe()}")
        times.append(result.first_line_seconds)
    return times
