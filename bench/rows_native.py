"""The row for a deployment that ECS runs itself (BLUE_GREEN): API calls per poll.

Issue 18's target: each poll is one DescribeServices (for the services' events) and one
DescribeServiceDeployments (for every native service at once), and nothing else while
nothing needs acting on. The image is given, so nothing is built: the row measures the wait.
"""

from __future__ import annotations

from bench.lab import Lab
from bench.rows_deploy import by_name
from bench.table import Row

PER_POLL = ("ecs:DescribeServices", "ecs:DescribeServiceDeployments")


def native_rows(lab: Lab) -> list[Row]:
    service = lab.service("native")
    lab.client("ecs").update_service(
        cluster=lab.cluster(),
        service=service,
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1},
    )
    run = lab.deploy(lab.settings(service, images=("web=example/web:2",)))
    waited = run.during_wait
    polls = waited["ecs:DescribeServices"]
    per_poll = sum(waited.values()) / polls if polls else 0.0
    met = bool(polls) and set(waited) == set(PER_POLL) and waited[PER_POLL[1]] == polls
    return [
        Row(
            "API calls per poll: BLUE_GREEN deployment (service deployment)",
            per_poll,
            "calls",
            "",
            "1 DescribeServices + 1 DescribeServiceDeployments",
            met,
            f"{polls} polls until SUCCESSFUL; wait: {by_name(waited, 'ecs:')}",
        )
    ]
