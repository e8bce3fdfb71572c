"""Rows for Express Mode (issue 27): the API calls and wall time of a first deploy (the
service created) and of an update, through the stack's simulated Express services
(tests/support/express_simulator.py). The image is given, so nothing is built: the rows
measure planning, the register, the Express write and the canary's wait (one simulated
minute per poll)."""

from __future__ import annotations

import json
import statistics
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

from tests.support import terraform

from bench.lab import ACCOUNT, Lab
from bench.rows_deploy import by_name
from bench.table import Row, spread

RUNS = 3
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRoleForExpressServices"


def express_rows(lab: Lab) -> list[Row]:
    firsts: list[float] = []
    updates: list[float] = []
    first_calls: Counter[str] = Counter()
    update_calls: Counter[str] = Counter()
    execution_role = f"arn:aws:iam::{ACCOUNT}:role/hello-execution"
    terraform.roles(lab.client("iam"), execution_role)  # a deploy looks it up (verify)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base.json"  # the execution role a new service has no revision for
        base.write_text(json.dumps({"executionRoleArn": execution_role}))
        for index in range(RUNS):
            settings = lab.settings(
                lab.name(f"express{index}"),
                images=("web=example/web:2",),
                express=True,
                infrastructure_role_arn=ROLE,
                task_definition=str(base),
            )
            first = lab.deploy(settings)
            firsts.append(first.seconds)
            first_calls = Counter(first.aws.calls)
            update = lab.deploy(replace(settings, images=("web=example/web:3",)))
            updates.append(update.seconds)
            update_calls = Counter(update.aws.calls)
    return [
        Row(
            "Express: first deploy (CreateExpressGatewayService, canary to SUCCESSFUL)",
            statistics.median(firsts),
            "s",
            spread(firsts),
            "",
            None,
            f"{sum(first_calls.values())} calls: {by_name(first_calls)}",
        ),
        Row(
            "Express: update (UpdateExpressGatewayService, canary 5% then 100%)",
            statistics.median(updates),
            "s",
            spread(updates),
            "",
            None,
            f"{sum(update_calls.values())} calls: {by_name(update_calls)}",
        ),
    ]
