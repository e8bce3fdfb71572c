"""The build stage: each built compose service's image, in ECR, under the commit's SHA.

Which images to build and where they go is decided from data alone (`build_plan`, and
`build_file` here); the rest runs them: skip tags the registry already has, build every distinct
build section in one `docker compose build` (BuildKit, with the previous image's inline
cache), push every tag, and read back the digest the registry itself reports, which is what
the task definition pins. On a named buildx builder (`builder`) BuildKit pushes the tags
itself, and the digests are read back from the registry the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.aws import ecr
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.ecr import RegistryLogin
from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.errors import BuildError
from compose_ecs_deploy.images import compose_build
from compose_ecs_deploy.images.plan import BuildJob, sanitise_tag
from compose_ecs_deploy.settings import Settings
from compose_ecs_deploy.timing import Stopwatch


def registry_login(aws: Aws, log: Any) -> RegistryLogin:
    """ECR's login, its password and token masked before anything can print them.

    Called once per run, after planning: nothing is logged in to for input that fails.
    """
    credentials = ecr.login(aws)
    log.mask(credentials.password)
    log.mask(credentials.token)
    return credentials


@dataclass(frozen=True)
class BuiltImage:
    service: str
    repository_uri: str
    tag: str
    digest: str
    reused: bool

    @property
    def tagged(self) -> str:
        return f"{self.repository_uri}:{self.tag}"

    @property
    def pinned(self) -> str:
        return f"{self.tagged}@{self.digest}"


@dataclass(frozen=True)
class BuildOptions:
    tag: str
    extra_tags: tuple[str, ...] = ()
    skip_existing: bool = True
    registry_cache: bool = False
    create_repository: bool = False
    scan_on_push: bool = True
    immutable_tags: bool = False
    builder: str | None = None  # a buildx builder's name: it builds and pushes


@dataclass(frozen=True)
class BuildGroup:
    """Services with one build section: built once, under every tag of every repository."""

    jobs: tuple[BuildJob, ...]
    tags: tuple[str, ...]
    cache_from: tuple[str, ...]
    cache_to: tuple[str, ...] = ("type=inline",)


def cache_sources(uri: str, previous: str | None) -> list[str]:
    """The images whose inline cache a fresh runner can reuse, best first: the running one,
    else `latest`."""
    candidates = (previous.split("@", 1)[0] if previous else None, f"{uri}:latest")
    return [c for c in dict.fromkeys(candidates) if c and c.startswith(f"{uri}:")]


def registry_cache(uri: str) -> tuple[str, str]:
    """(cache_from, cache_to) of the build cache kept in ECR as `uri:buildcache`: every
    stage's layers (mode=max), as an OCI image manifest, which ECR stores (its default
    cache manifest it does not)."""
    ref = f"{uri}:buildcache"
    return (
        f"type=registry,ref={ref}",
        f"type=registry,ref={ref},mode=max,image-manifest=true,oci-mediatypes=true",
    )


def build_file(
    project_name: str, groups: Sequence[BuildGroup], top_level_secrets: Mapping[str, Any]
) -> dict[str, Any]:
    """The compose file `docker compose build` runs: one service per group, named after its
    first service, with our tags, the previous images as cache, and our cache export
    (inline cache written into the new image, or the registry cache) so that the next fresh
    runner can reuse it; a `cache_to` of the build section's own wins."""
    services: dict[str, Any] = {}
    for group in groups:
        job = group.jobs[0]
        section = {key: value for key, value in job.section.items() if key != "tags"}
        section["tags"] = list(group.tags[1:])
        section["cache_from"] = [*(section.get("cache_from") or []), *group.cache_from]
        section["cache_to"] = section.get("cache_to") or list(group.cache_to)
        service: dict[str, Any] = {"image": group.tags[0], "build": section}
        if job.platform:
            service["platform"] = job.platform
        services[job.service] = service
    used_secrets = {
        _secret_name(entry)
        for group in groups
        for entry in group.jobs[0].section.get("secrets") or []
    }
    document: dict[str, Any] = {"name": project_name or "build", "services": services}
    secrets = {
        name: top_level_secrets[name] for name in sorted(used_secrets) if name in top_level_secrets
    }
    if secrets:
        document["secrets"] = secrets
    return document


def _secret_name(entry: Any) -> str:
    return str(entry.get("source") if isinstance(entry, Mapping) else entry)


def build_and_push(
    aws: Aws,
    credentials: RegistryLogin,
    project: Project,
    jobs: Sequence[BuildJob],
    options: BuildOptions,
    log: Any,
    previous_images: Mapping[str, str],
    stopwatch: Stopwatch,
) -> dict[str, BuiltImage]:
    """Run the jobs; `previous_images` names each service's running image (build cache)."""
    from compose_ecs_deploy.images import engine as images  # the docker SDK only when building

    client = images.connect()
    # A named builder exports its own cache (or says it cannot); the engine's is not asked.
    if options.registry_cache and not options.builder and not images.exports_build_cache(client):
        raise BuildError(  # before anything, even a repository, is made
            "registry-cache: this engine cannot export a build cache (BuildKit's docker "
            "driver on the classic image store writes inline cache only); turn on the "
            'containerd image store (daemon.json "features": {"containerd-snapshotter": '
            "true}, the default from Docker 29) or leave registry-cache off"
        )
    repositories = {}
    for repository in dict.fromkeys(job.repository for job in jobs):
        found = ecr.find_repository(aws, repository)
        if found is None:
            if not options.create_repository:
                raise BuildError(
                    f"ECR repository {repository} does not exist; create it (e.g. "
                    "with Terraform) or set create-repository: true"
                )
            found = ecr.create_repository(
                aws,
                repository,
                scan_on_push=options.scan_on_push,
                immutable_tags=options.immutable_tags,
            )
            log.info(f"created ECR repository {found.uri}")
        repositories[repository] = found

    images.login(client, credentials)
    results: dict[str, BuiltImage] = {}
    to_build: list[BuildJob] = []
    for job in jobs:
        uri = repositories[job.repository].uri
        existing = (
            images.registry_digest(client, f"{uri}:{options.tag}", credentials)
            if options.skip_existing
            else None
        )
        if existing:
            log.info(
                f"{job.service}: {uri}:{options.tag} is already in ECR ({existing}); "
                "build and push skipped"
            )
            results[job.service] = BuiltImage(job.service, uri, options.tag, existing, True)
        else:
            to_build.append(job)
    if not to_build:
        return {job.service: results[job.service] for job in jobs}

    by_section: dict[str, list[BuildJob]] = {}
    for job in to_build:
        by_section.setdefault(job.section_key, []).append(job)
    groups = []
    with log.group(f"build {', '.join(job.service for job in to_build)}"), stopwatch.phase("build"):
        for members in by_section.values():
            uris = list(dict.fromkeys(repositories[job.repository].uri for job in members))
            tags = tuple(
                f"{uri}:{name}" for uri in uris for name in (options.tag, *options.extra_tags)
            )
            candidates = [
                source
                for job in members
                for source in cache_sources(
                    repositories[job.repository].uri, previous_images.get(job.service)
                )
            ]
            cache = _warm_cache(client, credentials, candidates, log, remote=bool(options.builder))
            if options.registry_cache:
                cache_from, cache_to = registry_cache(uris[0])
                groups.append(BuildGroup(tuple(members), tags, (cache_from, *cache), (cache_to,)))
            else:
                groups.append(BuildGroup(tuple(members), tags, cache))
        document = build_file(project.name, groups, project.secrets)
        if options.builder:
            # BuildKit pushes: the registry's 429 (ECR's PutImage limit) fails the build, and
            # the build again (all cached on the builder) is the push again.
            aws.throttle.call(
                f"pushing from builder {options.builder}",
                lambda: compose_build.build(document, credentials, log, options.builder),
                images.registry_throttled,
            )
        else:
            compose_build.build(document, credentials, log)
    if options.builder:
        pending = {job.service: repositories[job.repository].uri for job in to_build}
        results.update(
            _pushed_by_builder(client, credentials, pending, options.tag, options.builder, log)
        )
        return {job.service: results[job.service] for job in jobs}
    for group in groups:
        digests: dict[str, str] = {}
        for job in group.jobs:
            uri = repositories[job.repository].uri
            if uri not in digests:
                with log.group(f"push {uri}"), stopwatch.phase("push"):
                    for name in (options.tag, *options.extra_tags):
                        pushed = images.push(
                            client, uri, name, credentials, log, budget=aws.throttle
                        )
                        digests.setdefault(uri, pushed)
            log.info(f"{job.service}: pushed {uri}:{options.tag}@{digests[uri]}")
            results[job.service] = BuiltImage(job.service, uri, options.tag, digests[uri], False)
    return {job.service: results[job.service] for job in jobs}


def _pushed_by_builder(
    client: Any,
    credentials: RegistryLogin,
    pending: Mapping[str, str],
    tag: str,
    builder: str,
    log: Any,
) -> dict[str, BuiltImage]:
    """The images a named builder pushed (`pending`: service -> repository URI), by the digest
    the registry now serves."""
    from compose_ecs_deploy.images import engine as images

    built = {}
    for service, uri in pending.items():
        digest = images.registry_digest(client, f"{uri}:{tag}", credentials)
        if digest is None:
            raise BuildError(
                f"builder {builder} built {service} but the registry has no {uri}:{tag}; "
                "check that the builder can reach the registry"
            )
        log.info(f"{service}: pushed {uri}:{tag}@{digest} (by {builder})")
        built[service] = BuiltImage(service, uri, tag, digest, False)
    return built


PULL_FIRST_BEFORE = 27
"""Engines older than Docker 27 (BuildKit before v0.14) need the previous image pulled."""


def _warm_cache(
    client: Any, credentials: RegistryLogin, candidates: Sequence[str], log: Any, *, remote: bool
) -> tuple[str, ...]:
    """The first previous image the registry has, for the build's `cache_from`.

    From Docker 27 on (BuildKit v0.14, moby/buildkit#4796) BuildKit reads its inline cache
    straight from ECR and carries it on into the new image, so each fresh-runner build hits:
    the registry is only asked which candidate exists. Pulling it first would break that
    chain there (the layers of a local image are left out of the new inline cache, so every
    other build would miss). Older engines had it the other way round (moby/buildkit#2274):
    layers reused remotely were left out, so there the image is pulled. (Both measured:
    Docker 28.5 and 20.10; the cut-off follows the BuildKit release of the fix.) A named
    builder (`remote`) never sees the runner's images: nothing is pulled for it.
    """
    from compose_ecs_deploy.images import engine as images

    pull = not remote and images.engine_major(client) < PULL_FIRST_BEFORE
    for candidate in dict.fromkeys(candidates):
        if pull and images.pull(client, candidate, credentials):
            log.info(f"build cache: pulled {candidate} (Docker before {PULL_FIRST_BEFORE})")
            return (candidate,)
        if not pull and images.registry_digest(client, candidate, credentials):
            log.info(f"build cache: {candidate}, read from ECR by BuildKit")
            return (candidate,)
    log.info("build cache: no previous image in ECR; building from scratch")
    return ()


def build_options(settings: Settings) -> BuildOptions:
    """The build stage's options, from the settings."""
    return BuildOptions(
        tag=str(settings.image_tag),
        extra_tags=tuple(sanitise_tag(t) for t in settings.additional_tags),
        skip_existing=settings.skip_existing_image,
        registry_cache=settings.registry_cache,
        create_repository=settings.create_repository,
        scan_on_push=settings.scan_on_push,
        immutable_tags=settings.immutable_tags,
        builder=settings.builder,
    )


def pushed_images(settings: Settings, built: Mapping[str, BuiltImage]) -> dict[str, str]:
    """What a task definition names for each built service: pinned by digest unless not."""
    return {s: (b.pinned if settings.pin_digest else b.tagged) for s, b in built.items()}
