"""The request checked against botocore's own model of RegisterTaskDefinition.

Only botocore's data loader and validator are used (no client, no credentials, no network),
so `render` stays offline; the model is what the real API validates types and enums with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.session import get_session
from botocore.validate import ParamValidator


def check_register_request(request: Mapping[str, Any]) -> list[str]:
    """One line per problem botocore's validator finds; empty when the request is valid."""
    model = get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    assert shape is not None  # RegisterTaskDefinition always has an input shape
    report = ParamValidator().validate(dict(request), shape)
    if not report.has_errors():
        return []
    lines = report.generate_report().splitlines()
    return [line.strip() for line in lines[1:] if line.strip()] or lines
