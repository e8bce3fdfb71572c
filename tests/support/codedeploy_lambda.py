"""A test playing a CodeDeploy hook's Lambda function against the stack's simulator.

Real CodeDeploy invokes the function named in the AppSpec's Hooks with the ``DeploymentId``
and a ``LifecycleEventHookExecutionId``, and the function reports Succeeded or Failed through
PutLifecycleEventHookExecutionStatus (user guide, tutorial-ecs-with-hooks-create-hooks.html).
The simulator runs no Lambda; it lists the invocations it would have made
(/moto-api/simulator/codedeploy-hook-invocations, tests/support/codedeploy_api.py), and
`HookFunction` answers them from a thread while the deploy under test waits, as the function
would, through boto3's own PutLifecycleEventHookExecutionStatus.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

from tests.support import guard


def invocations(endpoint: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    """Every hook invocation of the region's deployments, oldest first."""
    guard.check_url(endpoint, what="moto endpoint")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = f"{endpoint}/moto-api/simulator/codedeploy-hook-invocations?region={region}"
    with opener.open(url, timeout=10) as answer:
        return list(json.loads(answer.read()))


class HookFunction(threading.Thread):
    """The Lambda function `name`: each time CodeDeploy invokes it, it reports `status`."""

    def __init__(self, codedeploy: Any, endpoint: str, name: str, status: str) -> None:
        super().__init__(daemon=True)
        self.codedeploy, self.endpoint, self.name, self.status = codedeploy, endpoint, name, status
        self.answered: list[dict[str, Any]] = []
        self._done = threading.Event()

    def run(self) -> None:
        seen: set[str] = set()
        while not self._done.wait(0.02):
            for call in invocations(self.endpoint):
                payload = call["Payload"]
                if (
                    call["FunctionName"] != self.name
                    or payload["LifecycleEventHookExecutionId"] in seen
                ):
                    continue
                seen.add(payload["LifecycleEventHookExecutionId"])
                self.answered.append(
                    self.codedeploy.put_lifecycle_event_hook_execution_status(
                        deploymentId=payload["DeploymentId"],
                        lifecycleEventHookExecutionId=payload["LifecycleEventHookExecutionId"],
                        status=self.status,
                    )
                )

    def __enter__(self) -> HookFunction:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self.join(timeout=10)
