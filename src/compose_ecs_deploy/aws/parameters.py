"""Bare SSM parameter names in `secrets`: taken only when the parameter exists, never printed.

`DB_PASSWORD=db-password` is legal in ECS: a name alone is a parameter of the task's Region
(ECS developer guide, "Pass Systems Manager parameters as environment variables"). But a
pasted password has the same shape, and registering it would show it in every describe and
diff. So before anything is written, GetParameters (at most 10 names a call, SSM API
reference "GetParameters"; `WithDecryption` false, the values dropped unread) asks whether
each such name exists: names SSM does not know come back in `InvalidParameters`. One that
exists is masked like any secret the run learns (the action registers it with
`::add-mask::`); one that does not, or one that cannot be looked up (the call denied,
throttled past the retries), is an error that names the binding's key and where it was
given, never the value, and says how to store a secret instead. AWS's own message is left
out of it: a validation message may quote the name.
"""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.compose.secrets import SecretBinding
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.report.console import Log

BATCH = 10  # GetParameters' limit on Names
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
STORE_IT = (
    "if it is the secret itself, store it in Secrets Manager or SSM Parameter Store and pass "
    "its ARN"
)


def _problem(binding: SecretBinding, why: str) -> Diagnostic:
    return Diagnostic.error(
        "secret-arn",
        f"{binding.origin}: {binding.key}: the value is no ARN and no /PATH/NAME, so it is "
        f"taken as an SSM parameter name only if SSM has it, and {why} (the value is not "
        f"repeated here); {STORE_IT}",
    )


def _unreadable(error: Exception) -> str:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _DENIED:
            return (
                "ssm:GetParameters was denied (allow it: docs/iam-policy.json, statement "
                "OptionalVerify), or give the parameter's ARN"
            )
        return f"the lookup failed ({code or 'an error'}); give the parameter's ARN"
    return f"the lookup failed ({type(error).__name__}); give the parameter's ARN"


def check_bare_parameters(
    aws: Aws, bindings: Sequence[SecretBinding], log: Log
) -> list[Diagnostic]:
    """The problems of the bindings whose value is a bare parameter name (none: each exists,
    and is masked from here on)."""
    bare = [binding for binding in bindings if binding.bare]
    names = list(dict.fromkeys(binding.value_from for binding in bare))
    for name in names:  # masked before anything can print it, found or not
        log.mask(name)
    missing: dict[str, str] = {}
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        try:
            answer = aws.client("ssm").get_parameters(Names=batch, WithDecryption=False)
        except (ClientError, BotoCoreError, ResponseParserError) as exc:
            missing.update(dict.fromkeys(batch, _unreadable(exc)))
            continue
        for name in answer.get("InvalidParameters") or []:
            missing[str(name)] = "SSM has no parameter of that name in the deploy's Region"
    return [_problem(b, missing[b.value_from]) for b in bare if b.value_from in missing]
