"""The fresh-runner rebuild: a one-line change to an app whose dependency layer is expensive.

A GitHub-hosted runner starts with an empty Docker cache, so the seed's plain pipeline
rebuilds the dependency layer on every push. Ours builds through bake with the running
revision's image in ECR as `cache_from` (BuildKit reads its inline cache from the registry;
engines before Docker 27 pull it first), so only the changed layer is built.
Both are measured in the same run, alternating, on an engine emptied of every image of the
app and of BuildKit's build cache before each pipeline (the base image stays: a runner has
`FROM` images cached no better than ECR serves them, and the seed pipeline would pull it
too).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import seed_pipeline
from bench.lab import HEAVY, Lab, LabError, new_sha
from bench.table import Row, spread, time_row

PAIRS = 3
LABEL = "org.compose-ecs-deploy.bench-app=heavy"


def change_one_line(app: Path, version: int) -> None:
    """The commit: `VERSION = "1"` becomes the next number."""
    path = app / "app.py"
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("VERSION = "))
    lines[index] = f'VERSION = "{version}"\n'
    path.write_text("".join(lines))


def seed_plain(lab: Lab, app: Path, repository: str) -> float:
    """The seed's pipeline without the ECS step: build (no cache), log in, tag, push."""
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        image = seed_pipeline.build(
            lab.docker,
            app,
            f"{repository}-local",
            nocache=True,
            buildargs={"BASE_IMAGE": lab.info.base_image},
            network_mode="none",
        )
        registry = seed_pipeline.ecr_login(lab.client("ecr"), lab.docker)
        seed_pipeline.tag_and_push(lab.docker, image, f"{registry}/{repository}", new_sha())
    return time.perf_counter() - started


def ours(lab: Lab, app: Path, service: str, repository: str) -> tuple[float, bool]:
    """A whole deploy of a new commit; also whether the dependency layer came from cache."""
    run = lab.deploy(
        lab.settings(
            service,
            compose_files=(str(app / "compose.yaml"),),
            secrets=(),
            ecr_repositories=(repository,),
            image_tag=new_sha(),
        )
    )
    return run.seconds, dependency_layer_cached(run.log.lines)


_RUN_STEP = re.compile(r"^#(\d+) \[[^\]]+\] RUN ")


def dependency_layer_cached(lines: list[str]) -> bool:
    """Whether the expensive RUN step came from the cache (BuildKit's plain progress says
    `#N CACHED` for the step's number): after the engine was emptied, only ECR had it."""
    runs = {match.group(1) for line in lines if (match := _RUN_STEP.match(line))}
    return bool(runs) and all(f"#{number} CACHED" in lines for number in runs)


def rebuild_rows(lab: Lab) -> list[Row]:
    service = lab.service("heavy")
    ours_repo, seed_repo = lab.repository("heavy"), lab.repository("heavy-seed")
    plain: list[float] = []
    cached: list[float] = []
    misses = 0
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "heavy"
        shutil.copytree(HEAVY, app)
        lab.remove_images(LABEL)
        first = time.perf_counter()
        lab.deploy(
            lab.settings(
                service,
                compose_files=(str(app / "compose.yaml"),),
                secrets=(),
                ecr_repositories=(ours_repo,),
                image_tag=new_sha(),
            )
        )  # what the last push left in ECR
        first_seconds = time.perf_counter() - first
        for pair in range(PAIRS):
            change_one_line(app, pair + 2)
            lab.remove_images(LABEL)
            plain.append(seed_plain(lab, app, seed_repo))
            lab.remove_images(LABEL)
            seconds, hit = ours(lab, app, service, ours_repo)
            cached.append(seconds)
            misses += not hit
        lab.remove_images(LABEL)
    if misses == PAIRS:
        raise LabError("our deploy never used the previous image's cache")
    ratio = statistics.median(plain) / statistics.median(cached)
    ratios = [p / o for p, o in zip(plain, cached, strict=True)]
    return [
        time_row(
            "fresh runner, one-line change: seed plain pipeline",
            plain,
            None,
            no_target="none set",
            detail="build without cache, log in, tag, push (SDK); engine emptied of "
            "the app's images and the build cache first",
        ),
        time_row(
            "fresh runner, one-line change: ours (cache from ECR)",
            cached,
            None,
            no_target="none set",
            detail="whole deploy: build through bake with the previous image's "
            "cache from ECR, push, register, update, "
            f"wait; first deploy of the app {first_seconds:.1f} s; "
            f"{lab.info.engine}" + (f"; {misses} run(s) missed the cache" if misses else ""),
        ),
        Row(
            "fresh runner rebuild: plain / ours",
            round(ratio, 2),
            "x",
            spread(ratios, "x"),
            ">= 3x",
            ratio >= 3,
            "ratio of the medians above, same run, alternating",
        ),
    ]
