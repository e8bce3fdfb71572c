"""The seed's manual pipeline, as a small script would do it with boto3 and the docker SDK.

The document the project was created from (docker-ecs-integration.ja.md, "実際のコマンド例",
kept outside this repository) deploys with five commands:

    docker build -t example-project:latest .
    aws ecr get-login-password | docker login --username AWS --password-stdin <registry>
    docker tag example-project:latest <registry>/example-project:latest
    docker push <registry>/example-project:latest
    aws ecs update-service --cluster C --service S --force-new-deployment

This is that, literally: no diff, no task-definition revision, no wait, no rollback. It is
the baseline the benchmark compares compose-ecs-deploy with (wall time, API calls, and what
each says when the new tasks crash), so it must stay as naive as the document, not be
improved. `deploy` is the deploy half that the official deploy action adds (register a
revision, update the service onto it, describe it once), for the CLI wall-time row.

    python -m bench.seed_pipeline pipeline --context DIR --repository REPO --cluster C --service S
    python -m bench.seed_pipeline deploy --task-definition FILE --cluster C --service S

Credentials, region and endpoint come from the environment, as for the AWS CLI.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

LOCAL_TAG = "latest"


class PipelineError(RuntimeError):
    """A step failed the way the shell script's `set -e` would stop on it."""


def ecr_login(ecr: Any, docker_client: Any) -> str:
    """`aws ecr get-login-password | docker login`: returns the registry host."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    registry = str(data["proxyEndpoint"]).removeprefix("https://")
    docker_client.login(username=username, password=password, registry=registry, reauth=True)
    print("Login Succeeded", flush=True)
    return registry


def build(
    docker_client: Any,
    context: Path,
    name: str,
    *,
    nocache: bool = False,
    buildargs: Mapping[str, str] | None = None,
    network_mode: str | None = None,
) -> str:
    """`docker build -t NAME:latest .`, its output printed as the CLI prints it."""
    image_id = ""
    for item in docker_client.api.build(
        path=str(context),
        tag=f"{name}:{LOCAL_TAG}",
        nocache=nocache,
        buildargs=dict(buildargs or {}),
        network_mode=network_mode,
        rm=True,
        decode=True,
    ):
        if "stream" in item:
            sys.stdout.write(str(item["stream"]))
        if "error" in item:
            raise PipelineError(f"docker build failed: {item['error']}")
        if "aux" in item and "ID" in item["aux"]:
            image_id = str(item["aux"]["ID"])
    return image_id


def tag_and_push(docker_client: Any, image: str, repository_uri: str, tag: str = LOCAL_TAG) -> str:
    """`docker tag` + `docker push`; returns the pushed digest."""
    docker_client.api.tag(image, repository_uri, tag)
    digest = ""
    for item in docker_client.api.push(repository_uri, tag=tag, stream=True, decode=True):
        if "error" in item:
            raise PipelineError(f"docker push failed: {item['error']}")
        digest = str((item.get("aux") or {}).get("Digest") or digest)
    print(f"{tag}: digest: {digest}", flush=True)
    return digest


def update_service(
    ecs: Any, cluster: str, service: str, task_definition: str | None = None
) -> dict[str, Any]:
    """`aws ecs update-service --force-new-deployment`, printing its answer as the CLI does."""
    params: dict[str, Any] = {"cluster": cluster, "service": service, "forceNewDeployment": True}
    if task_definition:
        params["taskDefinition"] = task_definition
    answer = ecs.update_service(**params)
    print(json.dumps({"service": answer["service"]}, indent=4, default=str), flush=True)
    return dict(answer["service"])


def pipeline(
    ecr: Any,
    ecs: Any,
    docker_client: Any,
    *,
    context: Path,
    repository: str,
    cluster: str,
    service: str,
    nocache: bool = False,
    buildargs: Mapping[str, str] | None = None,
    network_mode: str | None = None,
) -> None:
    """The document's five commands, in its order."""
    image = build(
        docker_client,
        context,
        repository,
        nocache=nocache,
        buildargs=buildargs,
        network_mode=network_mode,
    )
    registry = ecr_login(ecr, docker_client)
    tag_and_push(docker_client, image, f"{registry}/{repository}")
    update_service(ecs, cluster, service)


def deploy(ecs: Any, *, request: Mapping[str, Any], cluster: str, service: str) -> str:
    """Register the revision, update the service onto it, describe it once; the new ARN."""
    arn = str(ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"])
    update_service(ecs, cluster, service, arn)
    ecs.describe_services(cluster=cluster, services=[service])
    return arn


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seed_pipeline", description=__doc__.split("\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    run = verbs.add_parser("pipeline", help="build, log in, tag, push, update-service")
    run.add_argument("--context", type=Path, required=True)
    run.add_argument("--repository", required=True)
    run.add_argument("--build-arg", action="append", default=[], metavar="K=V")
    run.add_argument("--network", default=None)
    run.add_argument("--no-cache", action="store_true")
    part = verbs.add_parser("deploy", help="register, update-service, describe once")
    part.add_argument("--task-definition", type=Path, required=True)
    for sub in (run, part):
        sub.add_argument("--cluster", required=True)
        sub.add_argument("--service", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import boto3

    ecs = boto3.client("ecs")
    if args.verb == "deploy":
        request = json.loads(args.task_definition.read_text())
        print(deploy(ecs, request=request, cluster=args.cluster, service=args.service))
        return 0
    import docker

    buildargs = dict(pair.split("=", 1) for pair in args.build_arg)
    pipeline(
        boto3.client("ecr"),
        ecs,
        docker.from_env(),
        context=args.context,
        repository=args.repository,
        cluster=args.cluster,
        service=args.service,
        nocache=args.no_cache,
        buildargs=buildargs,
        network_mode=args.network,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
