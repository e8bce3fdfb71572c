"""The calls a run-before one-off adds to a deploy (issue 16): RunTask, then one
DescribeTasks per poll, plus its family's DescribeTaskDefinition and, when it changed, its
RegisterTaskDefinition.

The same deploy (images given: nothing built) is made twice onto two services of the same
shape, with and without `run-before`; the difference by call name is the row. The one-off
goes through four states (SIMULATOR_TICKS=4: PENDING, RUNNING, DEPROVISIONING, STOPPED),
so it takes four polls.
"""

from __future__ import annotations

import tempfile
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from tests.support.terraform import first_revision

from bench.lab import Lab
from bench.rows_deploy import by_name
from bench.table import Row

TICKS = 4
COMPOSE = f"""\
    name: bench-oneoff
    services:
      web:
        image: example/web:1
      migrate:
        image: example/web:1
        command: ["python3", "-c", "print('migrated')"]
        environment: {{SIMULATOR_TICKS: "{TICKS}"}}
        profiles: ["tools"]
    """


def _service(lab: Lab, what: str) -> str:
    """A Fargate service in a subnet, as Terraform makes it (one-offs run in its network)."""
    ec2, ecs = lab.client("ec2"), lab.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=lab.name(what), Description="bench", VpcId=vpc)[
        "GroupId"
    ]
    name = lab.name(what)
    arn = first_revision(ecs, name, "arn:aws:iam::123456789012:role/bench-execution")
    ecs.create_service(
        cluster=lab.cluster(),
        serviceName=name,
        taskDefinition=arn,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}
        },
        tags=[{"key": "simulator:ticks", "value": "1"}],
    )
    return name


def oneoff_rows(lab: Lab) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        compose = Path(tmp) / "compose.yaml"
        compose.write_text(textwrap.dedent(COMPOSE))
        common: dict[str, Any] = {
            "compose_files": (str(compose),),
            "profiles": ("tools",),
            "secrets": (),
            "images": ("web=example/web:2",),
            "image_tag": "bench",
        }
        plain = lab.deploy(lab.settings(_service(lab, "plain"), **common))
        gated = lab.deploy(lab.settings(_service(lab, "gated"), run_before=("migrate",), **common))
    added = Counter(gated.aws.calls)
    added.subtract(plain.aws.calls)
    added = +added
    expected = Counter(
        {
            "ecs:RunTask": 1,
            "ecs:DescribeTasks": TICKS,
            "ecs:DescribeTaskDefinition": 1,
            "ecs:RegisterTaskDefinition": 1,
        }
    )
    # verify (issue 25) checks the one-off's own references before the first write: its
    # family's default awslogs group, looked up and made once
    checks = Counter({"logs:DescribeLogGroups": 1, "logs:CreateLogGroup": 1})
    ecs_added = Counter({k: v for k, v in added.items() if k.startswith("ecs:")})
    (one_off,) = gated.deployment.result.one_offs
    return [
        Row(
            "API calls a run-before one-off adds (first run, 4-state task)",
            float(sum(added.values())),
            "calls",
            "",
            f"RunTask 1 + DescribeTasks 1 per poll ({TICKS} polls) + its family's "
            "DescribeTaskDefinition 1 + RegisterTaskDefinition 1 (+ verify: its log group)",
            ecs_added == expected and added - ecs_added <= checks,
            f"added: {by_name(added)}; one-off {one_off.kind}, exit code {one_off.exit_code}",
        )
    ]
