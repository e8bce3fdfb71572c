"""Where a stopped container's log lines are, and how they are masked before anyone sees them.

The revision says where a container logs (`logConfiguration`): for `awslogs`, the group,
the region and the stream prefix, and ECS names the stream `PREFIX/CONTAINER/TASK_ID`
(ECS developer guide, "Using the awslogs log driver": awslogs-stream-prefix). Other drivers
(awsfirelens, splunk) send the lines somewhere this tool cannot read, so the log says where,
by driver and option names: option values (a Splunk token, an endpoint) stay out of CI logs.

The lines are the app's own output: report/redact masks them like everything else the tool
prints. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.rollout.verdicts.hints import container_definition


@dataclass(frozen=True)
class LogPlace:
    """Where one container of one task logged."""

    container: str
    driver: str
    group: str = ""
    region: str = ""
    stream: str = ""
    option_names: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        """awslogs with a known stream: GetLogEvents can read it."""
        return self.driver == "awslogs" and bool(self.group and self.stream)

    def describe(self) -> str:
        """One line saying where the container's lines went (never an option's value)."""
        if self.readable:
            return f"awslogs group {self.group}, stream {self.stream} ({self.region})"
        if self.driver == "awslogs":
            return (
                f"awslogs group {self.group or '(no awslogs-group)'} ({self.region}); with no "
                "awslogs-stream-prefix the stream is named by the Docker container ID"
            )
        if not self.driver:
            return "no logConfiguration: ECS kept none of its output"
        names = f" (options: {', '.join(self.option_names)})" if self.option_names else ""
        return f"the {self.driver} log driver{names}: read them where that driver sends them"


def log_place(
    revision: Mapping[str, Any], container: str, task_id: str, default_region: str
) -> LogPlace:
    """The container's log destination in this revision, for the task `task_id`."""
    config = container_definition(revision, container).get("logConfiguration") or {}
    driver = str(config.get("logDriver") or "")
    options: Mapping[str, Any] = config.get("options") or {}
    if driver != "awslogs":
        return LogPlace(container, driver, option_names=tuple(sorted(options)))
    prefix = str(options.get("awslogs-stream-prefix") or "")
    return LogPlace(
        container,
        driver,
        group=str(options.get("awslogs-group") or ""),
        region=str(options.get("awslogs-region") or default_region),
        stream=f"{prefix}/{container}/{task_id}" if prefix else "",
    )
