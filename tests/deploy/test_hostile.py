"""Hostile input through both faces (issue #22): nothing injected, no secret printed, no hang,
nothing written to AWS.

Every case is a deploy (or a day-two verb: rollback, status, prune, verify, issue #25) that must
stop before its first write: run as the CLI
(`compose-ecs-deploy deploy ...`) and as the action's entrypoint the way the runner runs it
(INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), each a process of its own
(tests/support/forker.py), against one moto with one running service. Each run must:
- exit 1 with at least one `error:` line on stderr, and no traceback or internal error (the
  CLI's usage errors, an option argparse refuses, exit 2 as DESIGN.md says);
- print no secret: the case's own, the run's AWS secret key and a canary token in the
  environment, in stdout, stderr (for the action: the log the runner makes of them, where
  `::add-mask::` lines are commands it takes, not lines it shows), the summary or the outputs;
- give the runner no command it would execute but the tool's own (tests/support/
  runner_commands.py parses both streams as actions/runner does);
- end within 30 s (the forker kills a run at 60 s).
After all of them, moto holds the same revisions and deployments as before.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compose_ecs_deploy.faces import action
from tests.deploy.conftest import CLUSTER, World
from tests.support.forker import Job, run_all
from tests.support.runner_commands import injected, shown

pytestmark = pytest.mark.stack

ROLE = "arn:aws:iam::123456789012:role/exec"
SM_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
CANARY = "ghp_Zq8Lm2Vx7Nc4Rt1Pw9Ks5Bd3Yh6Fj0Ga2Ue"  # a token-shaped value in the environment
COMPOSE = f"services:\n  app:\n    image: example/app:1\nx-ecs:\n  executionRoleArn: {ROLE}\n"
MARK = "PWNED"

# Payloads that would be workflow commands if printed as they are (see runner_commands.py).
PAYLOADS = {
    "cr": f"x\r::set-env name={MARK}::1",
    "legacy": f"x##[set-env name={MARK};]1",
    "crlf-legacy": f"x\r\n  ##[add-path]/{MARK}",
    "ansi": f"x\x1b[2K\r::stop-commands::{MARK}",
    "separator": f"x\u2028::error file={MARK}::y",
}


@dataclass(frozen=True)
class Case:
    id: str
    inputs: dict[str, str] = field(default_factory=dict)  # action inputs over the defaults
    files: dict[str, str | bytes] = field(default_factory=dict)  # beside compose.yaml
    special: dict[str, str] = field(default_factory=dict)  # name -> "fifo" | a path to link
    secrets: tuple[str, ...] = ()  # must appear nowhere
    expect: tuple[str, ...] = ()  # words of the error line(s)
    faces: tuple[str, ...] = ("cli", "action")
    verb: str = "deploy"  # the CLI's verb, the action's `command`
    flags: tuple[str, ...] = ()  # more CLI words (e.g. --json)


# The CLI's option for each action input (inputs that are lists repeat the option).
FLAGS = {
    "compose-file": "-f",
    "profiles": "--profile",
    "services": "--service",
    "images": "--image",
    "secrets": "--secret",
    "secrets-file": "--secrets-file",
    "secrets-init-image": "--secrets-init-image",
    "task-definition": "--task-definition",
    "family": "--family",
    "cluster": "--cluster",
    "ecs-service": "--ecs-service",
    "aws-region": "--region",
    "image-tag": "--image-tag",
    "platform": "--platform",
    "wait-until": "--wait-until",
    "wait-timeout": "--wait-timeout",
    "poll-interval": "--poll-interval",
    "max-retries": "--max-retries",
    "run-timeout": "--run-timeout",
    "log-lines": "--log-lines",
    "run-before": "--run-before",
    "ecr-repository": "--ecr-repository",
    "builder": "--builder",
    "to": "--to",
    "prune-keep": "--keep",
}
LIST_INPUTS = {"compose-file", "profiles", "services", "images", "secrets", "ecs-service"}


def compose(body: str = "", *, x_ecs: str = "", service: str = "app", image: str = "") -> str:
    """A compose file with one service (`body` indented under it) and the task's x-ecs."""
    lines = ["services:", f"  {service}:", f"    image: {image or 'example/app:1'}"]
    lines += ["    " + line for line in body.splitlines() if line]
    lines += ["x-ecs:", f"  executionRoleArn: {ROLE}"]
    lines += ["  " + line for line in x_ecs.splitlines() if line]
    return "\n".join(lines) + "\n"


def quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar (escapes for control characters)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    for char, escape in (("\r", "\\r"), ("\n", "\\n"), ("\x1b", "\\e"), ("\u2028", "\\L")):
        escaped = escaped.replace(char, escape)
    return f'"{escaped}"'


def injection_cases() -> list[Case]:
    """Each payload in each place whose value the tool may echo in an error."""
    cases = []
    for key, p in PAYLOADS.items():
        one_line = "\n" not in p
        cases += [
            Case(f"inject-{key}-service-option", {"services": p} if one_line else {}),
            Case(f"inject-{key}-ecs-service", {"ecs-service": p}),
            Case(f"inject-{key}-cluster", {"cluster": p}),
            # a line of a list input that starts with # is a comment, by design
            Case(f"inject-{key}-images", {"images": f"app={p}"} if one_line else {}),
            Case(f"inject-{key}-image-tag", {"image-tag": p}),
            Case(f"inject-{key}-platform", {"platform": p}),
            Case(f"inject-{key}-wait-until", {"wait-until": p}),
            Case(f"inject-{key}-compose-path", {"compose-file": f"{p}.yaml"}),
            Case(f"inject-{key}-base-path", {"task-definition": f"{p}.json"}),
            Case(f"inject-{key}-secrets-path", {"secrets-file": f"{p}.txt"}),
            Case(f"inject-{key}-secret-name", {"secrets": f"A{p}={SM_ARN}"}),
            Case(f"inject-{key}-run-before", {"run-before": p}),
            Case(f"inject-{key}-poll-interval", {"poll-interval": p}),
            Case(f"inject-{key}-init-image", {"secrets-init-image": p}),
            Case(f"inject-{key}-builder", {"builder": p}),
            Case(f"inject-{key}-compose-image", files={"compose.yaml": compose(image=quoted(p))}),
            Case(
                f"inject-{key}-network-mode",
                files={"compose.yaml": compose(x_ecs=f"networkMode: {quoted(p)}")},
            ),
            Case(
                f"inject-{key}-depends-on",
                files={"compose.yaml": compose(f"depends_on: [{quoted(p)}]")},
            ),
            Case(
                f"inject-{key}-base-family",
                {"task-definition": "base.json"},
                files={"base.json": f'{{"family": {quoted(p)}, "cpu": "nope"}}'},
            ),
        ]
    return [case for case in cases if case.inputs or case.files]


PLAIN_SECRET = "hunter2-Plain-Zq81x"
SECRET_CASES = [
    Case("secret-plain-value", {"secrets": f"DB_PASSWORD={PLAIN_SECRET}"}, secrets=(PLAIN_SECRET,)),
    Case(
        "secret-plain-value-with-space",
        {"secrets": f"DB_PASSWORD=my {PLAIN_SECRET}"},
        secrets=(PLAIN_SECRET,),
    ),
    Case("secret-no-equals", {"secrets": PLAIN_SECRET}, secrets=(PLAIN_SECRET,)),
    Case(
        "secret-url-value",
        {"secrets": f"DATABASE_URL=postgres://app:{PLAIN_SECRET}@db/app"},
        secrets=(PLAIN_SECRET,),
    ),
    Case(
        "secret-file-plain-value",
        {"secrets-file": "secrets.txt"},
        files={"secrets.txt": f"DB_PASSWORD={PLAIN_SECRET}\n"},
        secrets=(PLAIN_SECRET,),
    ),
    Case(
        "secret-file-no-equals",
        {"secrets-file": "secrets.txt"},
        files={"secrets.txt": f"{PLAIN_SECRET}\n"},
        secrets=(PLAIN_SECRET,),
    ),
    Case(
        "secret-file-is-environ",
        {"secrets-file": "/proc/self/environ"},
        expect=("/proc",),
    ),
    Case(
        "secret-file-links-to-environ",
        {"secrets-file": "link.txt"},
        special={"link.txt": "/proc/self/environ"},
        expect=("/proc",),
    ),
    Case(
        "env-file-is-environ",
        files={"compose.yaml": compose("env_file: /proc/self/environ")},
        expect=("/proc",),
    ),
    Case("base-file-is-environ", {"task-definition": "/proc/self/environ"}, expect=("/proc",)),
    Case("compose-file-is-environ", {"compose-file": "/proc/self/environ"}, expect=("/proc",)),
    Case(
        "secret-in-number-input",
        {"poll-interval": PLAIN_SECRET},
        secrets=(PLAIN_SECRET,),
        expect=("poll-interval",),
    ),
    Case(
        "secret-in-bool-input",
        {"dry-run": PLAIN_SECRET},
        secrets=(PLAIN_SECRET,),
        faces=("action",),
    ),
    Case("secret-in-wait-until", {"wait-until": CANARY}, expect=("wait-until",)),
    Case("secret-in-platform", {"platform": CANARY}, expect=("platform",)),
    Case("secret-in-image-tag", {"image-tag": f"{CANARY}!"}, expect=("tag",)),
    Case(
        "secret-as-network-mode",
        files={"compose.yaml": compose(x_ecs=f"networkMode: {CANARY}")},
    ),
    Case(
        "secret-in-bad-ssm-name",
        {"secrets": f"TOKEN=arn:aws:ssm:us-east-1:123456789012:parameter/{CANARY} x"},
    ),
]

ALIAS_BOMB = (
    "x-a: &a [l, l, l, l, l, l, l, l, l]\n"
    + "".join(
        f"x-{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "services:\n  app:\n    image: example/app:1\n    labels: {x: y}\n"
)
DEEP_JSON = '{"family": "web", "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
DOS_CASES = [
    Case("dos-compose-alias-bomb", files={"compose.yaml": ALIAS_BOMB}, expect=("alias",)),
    Case(
        "dos-base-alias-bomb",
        {"task-definition": "base.yaml"},
        files={"base.yaml": ALIAS_BOMB},
        expect=("alias",),
    ),
    Case(
        "dos-base-alias-cycle",
        {"task-definition": "base.yaml"},
        files={"base.yaml": "family: &a [web, *a]\n"},
    ),
    Case("dos-base-deep-json", {"task-definition": "base.json"}, files={"base.json": DEEP_JSON}),
    Case(
        "dos-compose-deep",
        files={"compose.yaml": COMPOSE + "x-deep: " + "[" * 5000 + "]" * 5000 + "\n"},
    ),
    Case("dos-secrets-fifo", {"secrets-file": "pipe"}, special={"pipe": "fifo"}),
    Case("dos-base-fifo", {"task-definition": "pipe"}, special={"pipe": "fifo"}),
    Case("dos-compose-fifo", {"compose-file": "pipe"}, special={"pipe": "fifo"}),
    Case(
        "dos-env-file-fifo",
        files={"compose.yaml": compose("env_file: pipe")},
        special={"pipe": "fifo"},
    ),
    Case("dos-secrets-dev-zero", {"secrets-file": "/dev/zero"}),
    Case("dos-base-dev-zero", {"task-definition": "/dev/zero"}),
    Case("dos-compose-dev-zero", {"compose-file": "/dev/zero"}),
    Case("dos-env-file-dev-zero", files={"compose.yaml": compose("env_file: /dev/zero")}),
    Case("dos-secrets-link-dev-zero", {"secrets-file": "z"}, special={"z": "/dev/zero"}),
    Case(
        "dos-huge-compose",
        files={"compose.yaml": COMPOSE + "# " + "x" * (11 * 1024 * 1024) + "\n"},
        expect=("MiB",),
    ),
    Case(
        "dos-huge-base",
        {"task-definition": "base.json"},
        files={"base.json": '{"family": "web", "x": "' + "y" * (11 * 1024 * 1024) + '"}'},
        expect=("MiB",),
    ),
    Case(
        "dos-huge-secrets",
        {"secrets-file": "s.txt"},
        files={"s.txt": ("#" * 1000 + "\n") * 1100},
        expect=("MiB",),
    ),
    Case("dos-secrets-directory", {"secrets-file": "."}),
    Case("dos-base-directory", {"task-definition": "."}),
]

NUMBER_CASES = [
    Case(f"number-{name}-{label}", {name: value}, expect=(name,))
    for name in ("poll-interval", "wait-timeout", "run-timeout")
    for label, value in (
        ("1e300", "1e300"),
        ("inf", "inf"),
        ("nan", "nan"),
        ("negative", "-5"),
        ("zero", "0"),
    )
] + [
    Case("number-poll-interval-301", {"poll-interval": "301"}, expect=("poll-interval",)),
    # below a second against the local stack too, whose waits the tests shorten otherwise
    Case("number-poll-interval-0.5", {"poll-interval": "0.5"}, expect=("poll-interval",)),
    Case("number-wait-timeout-25h", {"wait-timeout": "1500"}, expect=("wait-timeout",)),
    Case("number-max-retries-huge", {"max-retries": "10" * 20}, expect=("max-retries",)),
    Case("number-max-retries-21", {"max-retries": "21"}, expect=("max-retries",)),
    Case("number-max-retries-negative", {"max-retries": "-1"}, expect=("max-retries",)),
    Case("number-log-lines-huge", {"log-lines": "9" * 30}, expect=("log-lines",)),
    Case("number-max-retries-float", {"max-retries": "2.5"}, expect=("max-retries",)),
]

BAD_IMAGES = {
    "space": "example/app:1 latest",
    "pipe": "example/app|rm",
    "backtick": "example/`id`:1",
    "markdown-link": "[click](https://evil.example)",
    "html": "<img src=x>",
    "uppercase": "Example/App:1",
    "long-tag": "example/app:" + "t" * 129,
    "too-long": "example/" + "a" * 300,
    "empty-tag": "example/app:",
}
IMAGE_CASES = (
    [
        Case(f"image-{key}-input", {"images": f"app={value}"}, expect=("app",))
        for key, value in BAD_IMAGES.items()
    ]
    + [
        Case(f"image-{key}-compose", files={"compose.yaml": compose(image=quoted(value))})
        for key, value in BAD_IMAGES.items()
    ]
    + [
        Case(f"image-{key}-init-image", {"secrets-init-image": value})
        for key, value in list(BAD_IMAGES.items())[:4]
    ]
    + [
        Case(
            "image-twice-in-images",
            {"images": "app=example/app:1\napp=example/app:2"},
            expect=("app", "twice"),
        ),
    ]
)

SMALL_CASES = [
    Case(
        "base-duplicate-keys",
        {"task-definition": "base.json"},
        files={"base.json": '{"family": "web", "family": "other"}'},
        expect=("base.json", "family"),
    ),
    Case(
        "base-yaml-duplicate-keys",
        {"task-definition": "base.yaml"},
        files={"base.yaml": "family: web\ncpu: '256'\ncpu: '512'\n"},
        expect=("base.yaml", "cpu"),
    ),
    Case(
        "base-out-of-range",
        {"task-definition": "base.json"},
        files={
            "base.json": '{"family": "web", "containerDefinitions": [{"name": "app", '
            '"image": "x", "healthCheck": {"command": ["CMD", "true"], "interval": 9999}}]}'
        },
        expect=("base.json",),
    ),
    Case(
        "cluster-arn-wrong-partition",
        {"cluster": f"arn:evil:ecs:us-east-1:123456789012:cluster/{CLUSTER}"},
        expect=("cluster",),
    ),
    Case(
        "cluster-arn-absurd-length",
        {"cluster": f"arn:aws:ecs:us-east-1:123456789012:cluster/{'c' * 3000}"},
        expect=("cluster",),
    ),
    Case(
        "secret-arn-wrong-partition",
        {"secrets": "DB=arn:evil:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"},
        expect=("DB",),
    ),
    Case(
        "secret-arn-absurd-length",
        {"secrets": f"DB=arn:aws:secretsmanager:us-east-1:123456789012:secret:{'d' * 3000}"},
        expect=("DB",),
    ),
    Case(
        "secret-bare-parameter-missing",
        {"secrets": "DB=db-password-param"},
        expect=("DB",),
    ),
]


def bare_name_cases() -> list[Case]:
    """A pasted value where a parameter name belongs, in each place the revision (or a
    one-off's) gets a `valueFrom` other than the `secrets` input: SSM has no such parameter,
    so the run stops before its first write, naming the place and never the value."""
    secret = f"x-ecs:\n  secrets:\n    - {{name: DB_PASSWORD, valueFrom: {PLAIN_SECRET}}}"
    log = (
        "x-ecs:\n  logConfiguration:\n    logDriver: splunk\n"
        "    options: {splunk-url: 'https://splunk.example.com:8088'}\n"
        f"    secretOptions:\n      - {{name: splunk-token, valueFrom: {PLAIN_SECRET}}}"
    )
    one_off = compose().replace(
        "x-ecs:",
        "  migrate:\n    image: example/app:1\n    command: [migrate]\n"
        + "".join(f"    {line}\n" for line in secret.splitlines())
        + "x-ecs:",
    )
    base = (
        '{"family": "web", "containerDefinitions": [{"name": "app", "image": "example/app:1", '
        f'"secrets": [{{"name": "DB_PASSWORD", "valueFrom": "{PLAIN_SECRET}"}}]}}]}}'
    )
    return [
        Case(
            "secret-bare-x-ecs-missing",
            files={"compose.yaml": compose(secret)},
            secrets=(PLAIN_SECRET,),
            expect=("x-ecs.secrets.DB_PASSWORD",),
        ),
        Case(
            "secret-bare-x-ecs-missing-no-verify",
            {"verify": "false"},
            files={"compose.yaml": compose(secret)},
            secrets=(PLAIN_SECRET,),
            expect=("x-ecs.secrets.DB_PASSWORD",),
            faces=("action",),  # the CLI's --no-verify is a flag: the same case below
        ),
        Case(
            "secret-bare-x-ecs-missing-no-verify-cli",
            files={"compose.yaml": compose(secret)},
            secrets=(PLAIN_SECRET,),
            expect=("x-ecs.secrets.DB_PASSWORD",),
            faces=("cli",),
            flags=("--no-verify",),
        ),
        Case(
            "secret-bare-x-ecs-log-option-missing",
            files={"compose.yaml": compose(log)},
            secrets=(PLAIN_SECRET,),
            expect=("x-ecs.logConfiguration.secretOptions.splunk-token",),
        ),
        Case(
            "secret-bare-base-file-missing",
            {"task-definition": "base.json"},
            files={"base.json": base},
            secrets=(PLAIN_SECRET,),
            expect=("base.json", "secrets.DB_PASSWORD"),
        ),
        Case(
            "secret-bare-x-ecs-run-before-missing",
            {"run-before": "migrate"},
            files={"compose.yaml": one_off},
            secrets=(PLAIN_SECRET,),
            expect=("service migrate", "x-ecs.secrets.DB_PASSWORD"),
        ),
    ]


# The day-two verbs read no compose file: only the target goes to them (`verify` takes deploy's).
TARGET_INPUTS = ("cluster", "ecs-service", "aws-region")


def day_two_cases() -> list[Case]:
    """rollback, status and prune: each payload in the cluster and the service they read, in
    `--to` and `--keep`; secrets, absurd lengths and misuse of their options."""
    cases = []
    for key, p in PAYLOADS.items():
        for verb in ("rollback", "status", "prune"):
            keep = {"prune-keep": "3"} if verb == "prune" else {}
            cases += [
                Case(f"{verb}-inject-{key}-cluster", {"cluster": p, **keep}, verb=verb),
                Case(f"{verb}-inject-{key}-ecs-service", {"ecs-service": p, **keep}, verb=verb),
            ]
        cases += [
            Case(f"rollback-inject-{key}-to", {"to": p}, verb="rollback", expect=("--to",)),
            Case(f"prune-inject-{key}-keep", {"prune-keep": p}, verb="prune", expect=("keep",)),
        ]
    too_long = f"arn:aws:ecs:us-east-1:123456789012:cluster/{'c' * 3000}"
    return [
        *cases,
        Case("rollback-secret-in-to", {"to": CANARY}, verb="rollback", expect=("--to",)),
        Case(
            "rollback-plain-secret-in-to",
            {"to": PLAIN_SECRET},
            verb="rollback",
            secrets=(PLAIN_SECRET,),
            expect=("--to",),
        ),
        Case("rollback-to-absurd-length", {"to": "7" * 5000}, verb="rollback", expect=("--to",)),
        Case(
            "rollback-to-arn-wrong-partition",
            {"to": "arn:evil:ecs:us-east-1:123456789012:task-definition/web:1"},
            verb="rollback",
            expect=("--to",),
        ),
        Case("rollback-nothing-to-go-to", verb="rollback", expect=("nothing to roll back",)),
        Case("status-cluster-absurd-length", {"cluster": too_long}, verb="status"),
        Case("status-missing-service", {"ecs-service": "nope"}, verb="status", expect=("nope",)),
        Case(
            "status-json-missing-service",
            {"ecs-service": "nope"},
            verb="status",
            flags=("--json",),
            faces=("cli",),
            expect=("nope",),
        ),
        Case("prune-keep-negative", {"prune-keep": "-5"}, verb="prune", expect=("keep",)),
        Case("prune-keep-secret", {"prune-keep": CANARY}, verb="prune", expect=("keep",)),
        Case("prune-without-keep", verb="prune", expect=("keep",)),
        Case("prune-secret-in-service", {"ecs-service": CANARY, "prune-keep": "1"}, verb="prune"),
        Case("verify-secret-in-cluster", {"cluster": CANARY}, verb="verify"),
        Case("verify-missing-service", {"ecs-service": "nope"}, verb="verify", expect=("nope",)),
    ]


CASES = (
    injection_cases()
    + SECRET_CASES
    + DOS_CASES
    + NUMBER_CASES
    + IMAGE_CASES
    + SMALL_CASES
    + bare_name_cases()
    + day_two_cases()
)


def test_the_corpus_is_large_and_named_once() -> None:
    assert len(CASES) >= 160
    assert len({case.id for case in CASES}) == len(CASES)


def _write(case: Case, directory: Path) -> Path:
    directory.mkdir()
    files = {"compose.yaml": COMPOSE, **case.files}
    for name, content in files.items():
        target = directory / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    for name, kind in case.special.items():
        if kind == "fifo":
            os.mkfifo(directory / name)
        else:
            (directory / name).symlink_to(kind)
    return directory


def _argv(inputs: dict[str, str], verb: str = "deploy", flags: tuple[str, ...] = ()) -> list[str]:
    argv = [verb, *flags]
    for name, value in inputs.items():
        if verb in ("rollback", "status", "prune") and name not in (
            *TARGET_INPUTS,
            "to",
            "prune-keep",
        ):
            continue
        if not value:
            continue
        items = value.split("\n") if name in LIST_INPUTS else [value]
        for item in items:
            argv += [FLAGS[name], item]
    return argv


def _problems(
    case: Case,
    face: str,
    result: subprocess.CompletedProcess[str],
    directory: Path,
    secrets: list[str],
) -> list[str]:
    summary = (directory / "summary").read_text(errors="replace") if face == "action" else ""
    outputs = (directory / "output").read_text(errors="replace") if face == "action" else ""
    wrong = []
    # the CLI's usage errors (a number option that is no number) are argparse's: exit 2
    usage = face == "cli" and result.returncode == 2
    errors = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("error:") or (usage and ": error: " in line)
    ]
    if result.returncode != 1 and not usage:
        wrong.append(f"exit {result.returncode}")
    if not errors:
        wrong.append("no error: line")
    if "Traceback" in result.stderr or "internal error" in result.stderr:
        wrong.append("a traceback or an internal error")
    wrong += [f"{word!r} not in the error" for word in case.expect if word not in "\n".join(errors)]
    # the runner's log (the action's) is what it shows: add-mask lines are commands it takes
    log = [shown(s) if face == "action" else s for s in (result.stdout, result.stderr)]
    everything = "\n".join((*log, summary, outputs))
    wrong += [f"secret {s[:6]}… printed" for s in (*case.secrets, *secrets) if s in everything]
    for stream in (result.stdout, result.stderr):
        bad = injected(stream)
        wrong += [f"the runner would run {c.name} {c.properties} from {c.line!r}" for c in bad]
    seconds = getattr(result, "seconds", 0.0)
    if seconds > 30:
        wrong.append(f"took {seconds:.0f} s")
    if wrong:
        return [f"{case.id} ({face}): {', '.join(wrong)}\n{result.stderr[-2000:]}"]
    return []


def _jobs(make: Callable[[Case, Path], Job], root: Path, face: str) -> tuple[list[Case], list[Job]]:
    cases = [case for case in CASES if face in case.faces]
    return cases, [make(case, _write(case, root / f"{face}-{case.id}")) for case in cases]


def test_hostile_input_stops_cleanly_through_both_faces(
    world: World, aws_env: dict[str, str], tmp_path: Path
) -> None:
    first = world.service("web")
    defaults = {
        "compose-file": "compose.yaml",
        "services": "app",
        "cluster": CLUSTER,
        "ecs-service": "web",
        "aws-region": world.region,
    }
    environment = {**os.environ, **aws_env, "CANARY_TOKEN": CANARY}
    secrets = [CANARY, aws_env["AWS_SECRET_ACCESS_KEY"]]

    def cli(case: Case, directory: Path) -> Job:
        argv = _argv({**defaults, **case.inputs}, case.verb, case.flags)
        return Job("cli", argv, str(directory), environment)

    def runner(case: Case, directory: Path) -> Job:
        (directory / "output").touch()
        (directory / "summary").touch()
        inputs = {**defaults, "command": case.verb, **case.inputs}
        return Job(
            "action",
            [],
            str(directory),
            {
                **environment,
                **{f"INPUT_{name.upper()}": inputs.get(name, "") for name in action.INPUTS},
                "GITHUB_OUTPUT": str(directory / "output"),
                "GITHUB_STEP_SUMMARY": str(directory / "summary"),
            },
        )

    problems = []
    for face, make in (("cli", cli), ("action", runner)):
        cases, jobs = _jobs(make, tmp_path, face)
        for case, job, result in zip(cases, jobs, run_all(jobs), strict=True):
            problems += _problems(case, face, result, Path(job.cwd), secrets)
    assert not problems, f"{len(problems)} runs went wrong:\n" + "\n".join(problems)
    assert world.revisions("web") == [first]
    assert len(world.running("web")["deployments"]) == 1
