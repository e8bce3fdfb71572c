"""The container action as a runner meets it: its image's size, and how long from `docker run`
to the first line it prints (the wait a user sees before anything happens).

The image is built the way the tests build it (tests/support/action_image.py: offline,
from action.yml's `runs.image`; reused while its content hash is unchanged) and run the way
the runner runs it (tests/support/runner.py). The start is measured on a compose file with
an out-of-range health check, so each run stops right after validation, as the harness
suggests: what is timed is startup, not the deploy.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tests.support import action_image, runner

from bench.lab import HELLO, Lab
from bench.table import Row, time_row

RUNS = 5
SIZE_LIMIT_MB = 250.0


def size_row(image: action_image.ActionImage) -> Row:
    size = image.size / 1e6
    how = "reused (same content hash)" if image.cached else f"built in {image.seconds:.0f} s"
    return Row("action image size (uncompressed)", round(size, 1), "MB", "",
               f"< {SIZE_LIMIT_MB:g} MB", size < SIZE_LIMIT_MB,
               f"docker image inspect Size of {image.tag}; {how}; python "
               f"{image.python_version}")


def first_line_row(lab: Lab, image: action_image.ActionImage) -> Row:
    service, repository = lab.service("action"), lab.repository("action")
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "work" / "hello" / "hello"
        shutil.copytree(HELLO, workspace)
        compose = workspace / "compose.yaml"
        compose.write_text(compose.read_text().replace("interval: 10s", "interval: 1s"))
        inputs = {"compose-file": "compose.yaml", "ecr-repository": repository,
                  "cluster": lab.cluster(), "ecs-service": service, "aws-region": lab.region}
        times = runner.time_to_first_line(
            image.tag, workspace, inputs, stack=lab.info, runs=RUNS, client=lab.docker,
            github=runner.GitHub(repository="example/hello"),
            env={"BASE_IMAGE": lab.info.base_image})
    return time_row("action: docker run to its first log line", times, 2.0,
                    detail="as the runner runs it; the first line is ::add-mask:: of the "
                           "registry token, after compose config and the first AWS reads "
                           "(each run then stops at a validation error)")


def action_rows(lab: Lab) -> list[Row]:
    image = action_image.for_stack(lab.info, client=lab.docker)
    return [size_row(image), first_line_row(lab, image)]
