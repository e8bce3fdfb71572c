"""The request checked against botocore's own model of RegisterTaskDefinition.

Only botocore's data loader and validator are used (no session, no client, no credentials,
no network), so `render` stays offline and starts fast; the model is the one the real API
client validates types, required keys and enums with.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from botocore.loaders import create_loader
from botocore.model import ServiceModel, StructureShape
from botocore.validate import ParamValidator


@functools.cache
def _register_input_shape() -> StructureShape:
    """Loaded once a process: a deploy checks each request before and after the build."""
    model = ServiceModel(create_loader().load_service_model("ecs", "service-2"), "ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    assert shape is not None  # RegisterTaskDefinition always has an input shape
    return shape


def check_register_request(request: Mapping[str, Any]) -> list[str]:
    """One line per problem botocore's validator finds; empty when the request is valid."""
    shape = _register_input_shape()
    report = ParamValidator().validate(dict(request), shape)
    if not report.has_errors():
        return []
    lines = report.generate_report().splitlines()
    return [line.strip() for line in lines[1:] if line.strip()] or lines
