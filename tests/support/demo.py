"""The demo (scripts/demo): deploy tests/apps/hello through the action's container, end to end.

On a running local stack (scripts/demo brings it up):

1. build the action's image from action.yml's `runs.image`, offline (or reuse it);
2. make the ECS world in moto the way a `terraform apply` would: cluster `demo`, ECR
   repository `hello`, the secret `hello/api-token`, log group `/ecs/hello`, a first
   task-definition revision (execution role, FARGATE, 0.25 vCPU / 0.5 GB) and the service
   `hello` on it; whatever already exists is left as it is (a second run changes nothing);
3. run the action's container on a checkout of tests/apps/hello as the GitHub runner runs a
   container step (tests/support/runner.py), its log streamed as the runner shows it;
4. print the step outputs and the job summary; exit with the action's exit code.

Every run is a new commit (a fresh GITHUB_SHA), so each one builds, pushes, registers and
rolls out; `DEMO_SHA=<sha> scripts/demo` re-runs a given commit (the image is then found in
ECR and the service left alone).

    python -m tests.support.demo
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support import action_image, guard, runner, terraform
from tests.support import stack as stack_mod
from tests.support.terraform import first_revision

APP = stack_mod.REPO_ROOT / "tests" / "apps" / "hello"
CLUSTER = "demo"
SERVICE = "hello"
REPOSITORY = "hello"
SECRET_NAME = "hello/api-token"
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/hello-task-execution"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def commit_sha(app: Path = APP) -> str:
    """DEMO_SHA, else a new commit-like SHA: the app's content and the time."""
    given = os.environ.get("DEMO_SHA", "").strip()
    if given:
        return given
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(p for p in app.rglob("*") if p.is_file()):
        digest.update(path.relative_to(app).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(str(time.time_ns()).encode())
    return digest.hexdigest()


def terraform_apply(info: stack_mod.StackInfo) -> dict[str, str]:
    """Create what infrastructure code owns, once; report what was created or kept."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=info.endpoint_url,  # type: ignore[call-overload]
            region_name=info.region,
        )

    ecs, ecr, secrets, logs = client("ecs"), client("ecr"), client("secretsmanager"), client("logs")
    done: dict[str, str] = {}

    clusters = ecs.describe_clusters(clusters=[CLUSTER])["clusters"]
    if not any(c["status"] == "ACTIVE" for c in clusters):
        ecs.create_cluster(clusterName=CLUSTER)
        done["cluster"] = f"{CLUSTER} created"
    else:
        done["cluster"] = f"{CLUSTER} exists"

    try:
        uri = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0][
            "repositoryUri"
        ]
        done["ecr"] = f"{uri} exists"
    except ecr.exceptions.RepositoryNotFoundException:
        uri = ecr.create_repository(
            repositoryName=REPOSITORY, imageScanningConfiguration={"scanOnPush": True}
        )["repository"]["repositoryUri"]
        done["ecr"] = f"{uri} created"

    arn, made = terraform.secret(secrets, SECRET_NAME, "demo-token")
    done["secret"] = f"{arn} {'created' if made else 'exists'}"
    done["secret_arn"] = arn

    groups = logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{SERVICE}")["logGroups"]
    if not any(g["logGroupName"] == f"/ecs/{SERVICE}" for g in groups):
        logs.create_log_group(logGroupName=f"/ecs/{SERVICE}")

    services = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    running = next((s for s in services if s["status"] == "ACTIVE"), None)
    if running is None:
        first = first_revision(ecs, SERVICE, EXECUTION_ROLE)
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=SERVICE,
            taskDefinition=first,
            desiredCount=2,
            launchType="FARGATE",
        )
        done["service"] = f"{SERVICE} created on {first.rsplit('/', 1)[-1]}"
    else:
        done["service"] = (
            f"{SERVICE} exists, running {running['taskDefinition'].rsplit('/', 1)[-1]}"
        )
    return done


def main(argv: list[str] | None = None) -> int:
    del argv
    info = stack_mod.StackInfo.load(stack_mod.Settings.from_env().state_dir)
    if info is None:
        print("demo: the local stack is not up (scripts/stack up)", file=sys.stderr)
        return 1
    try:
        guard.guard(info.endpoint_url, region=info.region, registry_hosts=info.registry_hosts)
    except guard.GuardError as exc:
        print(str(exc), file=sys.stderr)
        return 2

    say(
        "the action's image (action.yml runs.image: Dockerfile), built offline on the "
        "stack's dockerd"
    )
    try:
        image = action_image.for_stack(info, say=lambda m: print(f"    {m}", flush=True))
    except action_image.ActionImageError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    print(
        f"    {image.tag}: {image.size_mb:.0f} MB, "
        f"{'cached' if image.cached else 'built'} in {image.seconds:.1f}s"
    )

    say("terraform apply (in moto): the infrastructure the action deploys into")
    world = terraform_apply(info)
    for key in ("cluster", "ecr", "secret", "service"):
        print(f"    {key:<8} {world[key]}")

    sha = commit_sha()
    inputs = {
        "compose-file": "compose.yaml",
        "ecr-repository": REPOSITORY,
        "cluster": CLUSTER,
        "ecs-service": SERVICE,
        "aws-region": info.region,
        "secrets": f"API_TOKEN={world['secret_arn']}",
    }
    with tempfile.TemporaryDirectory(prefix="compose-ecs-deploy-demo-") as tmp:
        workspace = Path(tmp) / "work" / "hello" / "hello"
        shutil.copytree(APP, workspace)
        say(
            f"uses: ./ (docker run {image.tag}) on a checkout of tests/apps/hello at "
            f"{sha[:12]}, with:"
        )
        for name, value in inputs.items():
            print(f"    {name}: {value}")
        print(flush=True)

        def show(stream: str, line: str) -> None:
            print(line, file=sys.stdout if stream == "stdout" else sys.stderr, flush=True)

        result = runner.run_action(
            image.tag,
            workspace,
            inputs,
            stack=info,
            github=runner.GitHub(repository="example/hello", sha=sha),
            env={"BASE_IMAGE": info.base_image},
            on_line=show,
        )

    print(flush=True)
    say(f"step outputs (GITHUB_OUTPUT), exit code {result.exit_code}")
    for name, value in result.outputs.items():
        print(f"{name}={value}")
    print(flush=True)
    say("job summary (GITHUB_STEP_SUMMARY)")
    print(result.summary, flush=True)
    first = (
        f"{result.first_line_seconds:.2f}s"
        if result.first_line_seconds is not None
        else "no output"
    )
    say(f"the action ran {result.seconds:.1f}s; docker run -> first log line: {first}")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
