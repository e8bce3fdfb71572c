"""The build stage: each built compose service's image, in ECR, under the commit's SHA.

Which images to build and where they go is decided from data alone (`build_jobs`); the rest
runs them: log in with the ECR token, skip tags that already exist, warm the cache from the
previous image, build once per distinct build section, push every tag, and read back the
digest the registry itself reports, which is what the task definition pins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from compose_ecs_deploy.adapters import ecr
from compose_ecs_deploy.adapters.aws import Aws
from compose_ecs_deploy.adapters.ecr import RegistryLogin
from compose_ecs_deploy.build_spec import BuildSpec
from compose_ecs_deploy.core.project import Project
from compose_ecs_deploy.errors import BuildError, InputError
from compose_ecs_deploy.timing import Stopwatch

_TAG_INVALID = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class BuildJob:
    service: str
    repository: str
    spec: BuildSpec

    @property
    def spec_key(self) -> str:
        return json.dumps(self.spec.__dict__, sort_keys=True, default=list)


@dataclass(frozen=True)
class BuiltImage:
    service: str
    repository_uri: str
    tag: str
    digest: str
    reused: bool
    extra_tags: tuple[str, ...] = ()

    @property
    def tagged(self) -> str:
        return f"{self.repository_uri}:{self.tag}"

    @property
    def pinned(self) -> str:
        return f"{self.tagged}@{self.digest}"


def sanitise_tag(tag: str) -> str:
    """A branch name like `feature/login` as a valid image tag (`feature-login`)."""
    cleaned = _TAG_INVALID.sub("-", tag.strip()).lstrip(".-")[:128]
    return cleaned or "latest"


def repository_map(lines: Sequence[str], built: Sequence[str]) -> dict[str, str]:
    """`REPO` (for the one built service) or `SERVICE=REPO` lines → service → repository."""
    entries = [line.strip() for line in lines if line.strip()]
    mapping: dict[str, str] = {}
    for entry in entries:
        service, sep, repository = entry.partition("=")
        if not sep:
            if len(built) != 1 or len(entries) != 1:
                raise InputError(
                    f"--ecr-repository {entry}: {len(built)} services are built "
                    f"({', '.join(built) or 'none'}); give SERVICE=REPOSITORY for each")
            mapping[built[0]] = entry
            continue
        if not service.strip() or not repository.strip():
            raise InputError(f"--ecr-repository {entry!r} is not SERVICE=REPOSITORY")
        mapping[service.strip()] = repository.strip()
    return mapping


def build_jobs(project: Project, task_services: Sequence[str], given_images: Mapping[str, str],
               repository_lines: Sequence[str], build_args: Mapping[str, str],
               labels: Mapping[str, str], platform: str | None) -> list[BuildJob]:
    """The services to build: in a task, with a `build` section, and no `--image` given."""
    built = [s for s in dict.fromkeys(task_services)
             if "build" in project.services.get(s, {}) and s not in given_images]
    if not built:
        return []
    repositories = repository_map(repository_lines, built)
    missing = [s for s in built if s not in repositories]
    if missing:
        raise InputError(
            f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} a build section but "
            "no ECR repository; pass --ecr-repository SERVICE=REPOSITORY (action input "
            "ecr-repository), or --image SERVICE=URI to deploy an existing image")
    jobs = []
    for service in built:
        section = project.services[service]["build"]
        args = {str(k): str(v) for k, v in (section.get("args") or {}).items() if v is not None}
        spec = BuildSpec(
            context=str(section.get("context", ".")),
            dockerfile=str(section.get("dockerfile") or "Dockerfile"),
            target=section.get("target"),
            args={**args, **build_args},
            labels={**{str(k): str(v) for k, v in (section.get("labels") or {}).items()},
                    **labels},
            cache_from=tuple(str(c) for c in section.get("cache_from") or []
                             if not str(c).startswith("type=")),
            platform=platform or (section.get("platforms") or [None])[0],
            network=section.get("network"),
        )
        jobs.append(BuildJob(service, repositories[service], spec))
    return jobs


def oci_labels(revision: str | None, source: str | None) -> dict[str, str]:
    labels = {}
    if revision:
        labels["org.opencontainers.image.revision"] = revision
    if source:
        labels["org.opencontainers.image.source"] = source
    return labels


@dataclass(frozen=True)
class BuildOptions:
    tag: str
    extra_tags: tuple[str, ...] = ()
    skip_existing: bool = True
    create_repository: bool = False
    scan_on_push: bool = True
    immutable_tags: bool = False


def build_and_push(aws: Aws, credentials: RegistryLogin, jobs: Sequence[BuildJob],
                   options: BuildOptions, log: Any, cache_images: Mapping[str, str],
                   stopwatch: Stopwatch) -> dict[str, BuiltImage]:
    """Run the jobs; `cache_images` names each service's previous image to warm the cache."""
    from compose_ecs_deploy.adapters import images  # the docker SDK only when building

    repositories = {}
    for repository in dict.fromkeys(job.repository for job in jobs):
        found = ecr.find_repository(aws, repository)
        if found is None:
            if not options.create_repository:
                raise BuildError(f"ECR repository {repository} does not exist; create it (e.g. "
                                 "with Terraform) or set create-repository: true")
            found = ecr.create_repository(aws, repository, scan_on_push=options.scan_on_push,
                                          immutable_tags=options.immutable_tags)
            log.info(f"created ECR repository {found.uri}")
        repositories[repository] = found

    client = images.connect()
    images.login(client, credentials)
    results: dict[str, BuiltImage] = {}
    to_build: list[BuildJob] = []
    for job in jobs:
        uri = repositories[job.repository].uri
        existing = (images.registry_digest(client, f"{uri}:{options.tag}", credentials)
                    if options.skip_existing else None)
        if existing:
            log.info(f"{job.service}: {uri}:{options.tag} is already in ECR ({existing}); "
                     "build and push skipped")
            results[job.service] = BuiltImage(job.service, uri, options.tag, existing, True)
        else:
            to_build.append(job)

    groups: dict[str, list[BuildJob]] = {}
    for job in to_build:
        groups.setdefault(job.spec_key, []).append(job)
    use_buildx = bool(groups) and images.buildx_available()
    if groups:
        log.info("builder: " + ("BuildKit (docker buildx)" if use_buildx
                                else "the engine's own (docker SDK)"))
    for group in groups.values():
        uris = [repositories[job.repository].uri for job in group]
        tags = list(dict.fromkeys(
            f"{uri}:{name}" for uri in uris for name in (options.tag, *options.extra_tags)))
        if use_buildx:
            with log.group(f"build and push {', '.join(job.service for job in group)}"), \
                    stopwatch.phase("build and push"):
                digest = images.buildx_build_and_push(group[0].spec, tags,
                                                      f"{uris[0]}:buildcache", credentials, log)
            digests = dict.fromkeys(uris, digest)
        else:
            digests = _build_and_push_with_sdk(client, credentials, group, uris, options, log,
                                               cache_images, stopwatch)
        for job, uri in zip(group, uris, strict=True):
            log.info(f"{job.service}: pushed {uri}:{options.tag}@{digests[uri]}")
            results[job.service] = BuiltImage(job.service, uri, options.tag, digests[uri], False,
                                              options.extra_tags)
    return {job.service: results[job.service] for job in jobs}


def _build_and_push_with_sdk(client: Any, credentials: RegistryLogin, group: list[BuildJob],
                             uris: list[str], options: BuildOptions, log: Any,
                             cache_images: Mapping[str, str],
                             stopwatch: Stopwatch) -> dict[str, str]:
    """Build once with the engine's builder, then tag and push for every repository."""
    from compose_ecs_deploy.adapters import images

    first, uri = group[0], uris[0]
    with log.group(f"build {', '.join(job.service for job in group)}"), \
            stopwatch.phase("build"):
        cache = _warm_cache(client, credentials, uri, cache_images.get(first.service), log)
        spec = replace(first.spec, cache_from=first.spec.cache_from + tuple(cache))
        image_id = images.build(client, spec, f"{uri}:{options.tag}", log)
    digests: dict[str, str] = {}
    for target in dict.fromkeys(uris):
        with log.group(f"push {target}"), stopwatch.phase("push"):
            for tag_name in (options.tag, *options.extra_tags):
                images.tag(client, image_id, target, tag_name)
                pushed = images.push(client, target, tag_name, credentials, log)
                digests.setdefault(target, pushed)
    return digests


def _warm_cache(client: Any, credentials: RegistryLogin, uri: str, previous: str | None,
                log: Any) -> list[str]:
    """Pull the service's previous image (the running one, else `latest`) as build cache."""
    from compose_ecs_deploy.adapters import images

    candidates = [c for c in (previous, f"{uri}:latest") if c and c.startswith(uri)]
    for candidate in dict.fromkeys(candidates):
        reference = candidate.split("@", 1)[0]
        if images.pull(client, reference, credentials):
            log.info(f"build cache: pulled {reference}")
            return [reference]
    log.info("build cache: no previous image in ECR; building from scratch")
    return []
