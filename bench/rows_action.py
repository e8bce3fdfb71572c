"""The container action as a runner meets it: its image's size, and how long from `docker run`
to the first line it prints (the wait a user sees before anything happens).

The image is built the way the tests build it (tests/support/action_image.py: offline,
from action.yml's `runs.image`; reused while its content hash is unchanged) and run the way
the runner runs it (tests/support/runner.py). The start is measured on a compose file with
an out-of-range health check, so each run stops right after validation, as the harness
suggests: what is timed is startup, not the deploy.

The two ways a runner can start the action, side by side: `docker run` of the prebuilt
image (what the published action.yml's `docker://...@sha256:` gives; the runner pulls it
first) and a cold `docker build` of `image: Dockerfile` (what main's action.yml, or a fork
that builds, gives: every job builds it on a new machine) followed by the same run.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import action_image, runner

from bench.lab import HELLO, Lab
from bench.table import Row, time_row

RUNS = 5
SIZE_LIMIT_MB = 300.0
FIRST_LINE_LIMIT = 2.0


def size_row(image: action_image.ActionImage) -> Row:
    size = image.size / 1e6
    how = "reused (same content hash)" if image.cached else f"built in {image.seconds:.0f} s"
    return Row(
        "action image size (uncompressed)",
        round(size, 1),
        "MB",
        "",
        f"<= {SIZE_LIMIT_MB:g} MB",
        size <= SIZE_LIMIT_MB,
        f"docker image inspect Size of {image.tag}; {how}; python "
        f"{image.python_version}; Compose, buildx and the venv on the slim base",
    )


@contextmanager
def _failing_workspace(lab: Lab) -> Iterator[tuple[Path, dict[str, str]]]:
    """The hello app with a health check interval of 2 h (longer than ECS can wait): the run
    stops at validation."""
    service, repository = lab.service("action"), lab.repository("action")
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "work" / "hello" / "hello"
        shutil.copytree(HELLO, workspace)
        compose = workspace / "compose.yaml"
        compose.write_text(compose.read_text().replace("interval: 10s", "interval: 2h"))
        inputs = {
            "compose-file": "compose.yaml",
            "ecr-repository": repository,
            "cluster": lab.cluster(),
            "ecs-service": service,
            "aws-region": lab.region,
        }
        yield workspace, inputs


def _first_lines(
    lab: Lab, image: action_image.ActionImage, workspace: Path, inputs: dict[str, str], runs: int
) -> list[float]:
    return runner.time_to_first_line(
        image.tag,
        workspace,
        inputs,
        stack=lab.info,
        runs=runs,
        client=lab.docker,
        github=runner.GitHub(repository="example/hello"),
        env={"BASE_IMAGE": lab.info.base_image},
    )


def first_line_row(times: list[float]) -> Row:
    return time_row(
        "action: docker run of the prebuilt image to its first log line",
        times,
        FIRST_LINE_LIMIT,
        detail="as the runner runs it; the first line is ::add-mask:: of the "
        "registry token, after compose config and the first AWS reads "
        "(each run then stops at a validation error); the runner pulls "
        "the image first (not timed: no GHCR here)",
    )


def cold_build_row(image: action_image.ActionImage, first: float, prebuilt: float) -> Row:
    total = image.seconds + first
    return Row(
        "action: cold docker build of image: Dockerfile, then its first log line",
        round(total, 1),
        "s",
        "",
        "none set (for comparison)",
        None,
        f"build without the layer cache {image.seconds:.1f} s + run to first line "
        f"{first:.2f} s; {total / prebuilt:.0f}x the prebuilt start; base images local "
        "here (a runner also pulls python:3.12-slim, compose-bin and buildx-bin)",
    )


def action_rows(lab: Lab) -> list[Row]:
    image = action_image.for_stack(lab.info, client=lab.docker)
    with _failing_workspace(lab) as (workspace, inputs):
        times = _first_lines(lab, image, workspace, inputs, RUNS)
        cold = action_image.for_stack(lab.info, client=lab.docker, cold=True)
        first = _first_lines(lab, cold, workspace, inputs, 1)[0]
    return [
        size_row(image),
        first_line_row(times),
        cold_build_row(cold, first, statistics.median(times)),
    ]
