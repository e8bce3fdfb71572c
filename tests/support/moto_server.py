"""moto_server with the ECS rollout simulator, its service deployments, one-off tasks, Express
services and CodeDeploy blue/green deployments (codedeploy_simulator), and ECR's image reads
answered from the stand-in registry (ecr_registry).

Start: ``python -m tests.support.moto_server -H 127.0.0.1 -p PORT``.

Why a launcher and not plain ``moto_server``: the simulator patches moto's ECS backend in the
server's own process, so it must be installed before moto starts serving. Everything else is
moto's ``moto.server.main`` unchanged (same options, same /moto-api/ endpoints). The
simulator keeps its state on moto's backend objects, so POST /moto-api/reset clears it too.
moto's request recorder (/moto-api/recorder/*, read by tests/support/moto_calls.py) writes to a
file of its own in a temporary directory, never the checkout (its default is ./moto_recording),
one whole line per request even when requests are answered at once.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from moto import server
from moto.moto_api import recorder

from tests.support import (
    codedeploy_api,
    ecr_registry,
    ecs_simulator,
    express_simulator,
    run_task_simulator,
    service_deployments,
    service_history,
    task_definitions,
)


def _recorder_of_whole_lines() -> None:
    recorder._location = str(Path(tempfile.mkdtemp(prefix="moto-recorder-")) / "requests")
    record = recorder._record_request
    lock = threading.Lock()

    def one_at_a_time(*args: Any, **kwargs: Any) -> None:
        with lock:
            record(*args, **kwargs)

    recorder._record_request = one_at_a_time  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    """Install the simulator, then run moto's server exactly as ``moto_server`` does."""
    _recorder_of_whole_lines()
    ecs_simulator.install()
    service_deployments.install()
    service_history.install()
    task_definitions.install()
    run_task_simulator.install()
    express_simulator.install()
    codedeploy_api.install()
    ecr_registry.install()
    server.main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
