"""Secret bindings (`NAME=ARN`, `SERVICE.NAME=ARN`) parsed from options and secrets files."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# An environment variable's name, or a compose secret's (file secrets: `db-password`); which
# one it is is known only with the project (`bind_secrets`).
SECRET_NAME = re.compile(r"[A-Za-z0-9_-]+")
# The shapes ECS takes as a secret's `valueFrom` (ECS developer guide, "Pass sensitive data
# to an Amazon ECS container"): a Secrets Manager ARN with an optional
# `:json-key:version-stage:version-id` suffix, an SSM parameter ARN, or a parameter name.
# Partitions as AWS lists them (ARN reference); limits: a secret name is 1-512 characters
# (Secrets Manager CreateSecret), a parameter name with its full ARN at most 1,011 and at
# most 15 levels deep (SSM PutParameter).
_PARTITION = r"aws(?:-cn|-us-gov|-iso(?:-[a-z])?|-eusc)?"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
SECRETS_MANAGER_ARN = re.compile(
    rf"arn:{_PARTITION}:secretsmanager:{_REGION}:\d{{12}}:secret:[A-Za-z0-9/_+=.@-]{{1,512}}"
    r"(?::[^:\s]*:[^:\s]*:[^:\s]*)?"
)
SSM_PARAMETER_ARN = re.compile(
    rf"arn:{_PARTITION}:ssm:{_REGION}:\d{{12}}:parameter/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*"
)
SSM_PARAMETER_NAME = re.compile(r"/?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
SSM_MAX = 1011
SECRETS_MANAGER_MAX = 2048
SHAPES = (
    "a Secrets Manager ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key::]), "
    "an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME) or a /PATH/NAME"
)


def reference_problem(value_from: str) -> str | None:
    """Why `value_from` is not a secret reference ECS takes, never repeating it; or None."""
    if value_from.startswith("arn:"):
        if SECRETS_MANAGER_ARN.fullmatch(value_from):
            return None if len(value_from) <= SECRETS_MANAGER_MAX else "the ARN is too long"
        if SSM_PARAMETER_ARN.fullmatch(value_from):
            return None if len(value_from) <= SSM_MAX else "the ARN is too long"
        return f"it is an ARN of no shape ECS takes for a secret: use {SHAPES}"
    if not SSM_PARAMETER_NAME.fullmatch(value_from):
        return f"it is not {SHAPES}"
    if len(value_from) > SSM_MAX or value_from.count("/") > 15:
        return "the parameter name is longer or deeper than SSM allows"
    return None


def is_bare_parameter(value_from: str) -> bool:
    """An SSM parameter name without a path or an ARN (`db-password`)."""
    return "/" not in value_from and not value_from.startswith("arn:")


STORE_IT = (
    "if it is the secret itself, store it in Secrets Manager or SSM Parameter Store and pass "
    "its ARN"
)
ONLY_IF_SSM_HAS_IT = (
    "the valueFrom is no ARN and no /PATH/NAME, so it is taken as an SSM parameter name only "
    "if SSM has it"
)


@dataclass(frozen=True)
class BareName:
    """A bare SSM parameter name (`db-password`) in the request about to be registered: a
    container's `secrets[].valueFrom` or its `logConfiguration.secretOptions[].valueFrom`,
    whatever set it (`--secret`, a secrets file, a service's x-ecs, the base file, the
    running revision).

    ECS takes a name alone for a parameter of the task's Region (ECS API reference, "Secret":
    "If the SSM Parameter Store parameter exists in the same Region as the task you're
    launching, then you can use either the full ARN or name of the parameter"); the same
    type is a log configuration's `secretOptions`. But a pasted password has the same shape,
    so it is taken only once SSM says the parameter exists (aws/parameters.py) and is never
    printed. `where` is the error to give when it is not taken, less its reason: it names
    the file and line, service and field (or the option or secrets-file line and the key),
    never the value."""

    value_from: str
    container: str
    name: str  # the environment variable's or the log option's
    where: Diagnostic

    def refused(self, why: str) -> Diagnostic:
        """The error, with why the name was not taken."""
        return replace(
            self.where,
            message=f"{self.where.message}, and {why} (the value is not repeated here); {STORE_IT}",
        )


def is_secret_reference(value_from: str) -> bool:
    """What ECS accepts as `valueFrom`: a Secrets Manager ARN, an SSM ARN or parameter name."""
    return reference_problem(value_from) is None


@dataclass(frozen=True)
class SecretBinding:
    name: str
    value_from: str
    service: str | None
    origin: str

    @property
    def key(self) -> str:
        return f"{self.service}.{self.name}" if self.service else self.name

    @property
    def bare(self) -> bool:
        """A parameter name with no `/` and no ARN: legal in ECS (a parameter of the task's
        Region), but a pasted password has the same shape, so it is taken only once SSM
        says the parameter exists (aws/parameters.py), and never printed."""
        return is_bare_parameter(self.value_from)

    def bare_name(self, container: str, name: str) -> BareName:
        """The bare name this binding put into `container`, blamed on the binding: its
        option or secrets-file line, and its key."""
        said = ONLY_IF_SSM_HAS_IT.replace("the valueFrom is", "the value is", 1)
        where = Diagnostic.error("secret-arn", f"{self.origin}: {self.key}: {said}")
        return BareName(self.value_from, container, name, where)


def parse_secret_line(text: str, origin: str, diagnostics: Diagnostics) -> SecretBinding | None:
    """One binding, or an error naming `origin` (a file:line or the option) and the fix."""
    key, sep, value_from = text.partition("=")
    key, value_from = key.strip(), value_from.strip()
    if not sep or not key or not value_from:
        diagnostics.add(
            Diagnostic.error(
                "secret-syntax",
                f"{origin}: the line is not NAME=ARN (or SERVICE.NAME=ARN; its text is not "
                "repeated here); write e.g. "
                "DATABASE_URL=arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
            )
        )
        return None
    service, dot, name = key.rpartition(".")
    if not dot:
        service, name = "", key
    if not SECRET_NAME.fullmatch(name):
        diagnostics.add(
            Diagnostic.error(
                "secret-name",
                f"{origin}: the name before = is neither a valid environment variable name "
                "(letters, digits and _; not starting with a digit) nor a compose secret's name",
            )
        )
        return None
    problem = reference_problem(value_from)
    if problem is not None:
        diagnostics.add(
            Diagnostic.error(
                "secret-arn",
                f"{origin}: {name}: the value is not a secret reference ({problem}; it is not "
                "repeated here); if it is the secret itself, store it in Secrets Manager or "
                "SSM Parameter Store and pass its ARN",
            )
        )
        return None
    return SecretBinding(name=name, value_from=value_from, service=service or None, origin=origin)


def parse_secret_lines(
    lines: list[tuple[str, str]], diagnostics: Diagnostics
) -> tuple[SecretBinding, ...]:
    """Bindings from (text, origin) pairs; blank lines and `#` comments are skipped."""
    bindings: list[SecretBinding] = []
    seen: dict[str, SecretBinding] = {}
    for text, origin in lines:
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        binding = parse_secret_line(text, origin, diagnostics)
        if binding is None:
            continue
        if binding.key in seen and seen[binding.key].value_from != binding.value_from:
            diagnostics.add(
                Diagnostic.error(
                    "secret-duplicate",
                    f"{origin}: {binding.key} is bound twice (also at {seen[binding.key].origin}) "
                    "with different values; keep one",
                )
            )
            continue
        seen[binding.key] = binding
        bindings.append(binding)
    return tuple(bindings)
