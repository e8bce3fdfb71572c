"""Which compose services to build and into which ECR repository, decided from data alone.

Planning needs this before anything is built or logged in to (a missing repository is an
input error found with every other one), so it lives apart from the build stage: `plan`
imports this module, never `build`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.errors import InputError
from compose_ecs_deploy.loading.inputs import parse_pairs
from compose_ecs_deploy.settings import Settings

_TAG_INVALID = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class BuildJob:
    """A service to build: Compose's resolved `build` section with our args and labels."""

    service: str
    repository: str
    section: Mapping[str, Any]
    platform: str | None = None

    @property
    def section_key(self) -> str:
        """Equal for two services that would build the same image."""
        return json.dumps([self.section, self.platform], sort_keys=True)

    @property
    def context(self) -> str:
        return str(self.section.get("context", "."))


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
                    f"({', '.join(built) or 'none'}); give SERVICE=REPOSITORY for each"
                )
            mapping[built[0]] = entry
            continue
        if not service.strip() or not repository.strip():
            raise InputError(f"--ecr-repository {entry!r} is not SERVICE=REPOSITORY")
        mapping[service.strip()] = repository.strip()
    return mapping


def build_jobs(
    project: Project,
    task_services: Sequence[str],
    given_images: Mapping[str, str],
    repository_lines: Sequence[str],
    build_args: Mapping[str, str],
    labels: Mapping[str, str],
    platform: str | None,
) -> list[BuildJob]:
    """The services to build: in a task, with a `build` section, and no `--image` given."""
    built = [
        s
        for s in dict.fromkeys(task_services)
        if "build" in project.services.get(s, {}) and s not in given_images
    ]
    if not built:
        return []
    repositories = repository_map(repository_lines, built)
    missing = [s for s in built if s not in repositories]
    if missing:
        raise InputError(
            f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} a build section but "
            "no ECR repository; pass --ecr-repository SERVICE=REPOSITORY (action input "
            "ecr-repository), or --image SERVICE=URI to deploy an existing image"
        )
    jobs = []
    for service in built:
        section = dict(project.services[service]["build"])
        section["args"] = {**(section.get("args") or {}), **build_args}
        section["labels"] = {**(section.get("labels") or {}), **labels}
        chosen = platform or (section.get("platforms") or [None])[0]
        section.pop("platforms", None)
        jobs.append(BuildJob(service, repositories[service], section, chosen))
    return jobs


def oci_labels(revision: str | None, source: str | None) -> dict[str, str]:
    labels = {}
    if revision:
        labels["org.opencontainers.image.revision"] = revision
    if source:
        labels["org.opencontainers.image.source"] = source
    return labels


def jobs_for(
    project: Project,
    given_images: Mapping[str, str],
    settings: Settings,
    services: Sequence[str],
    repository_lines: Sequence[str] | None = None,
) -> list[BuildJob]:
    """The build jobs of `services` with the settings' repositories, build args, OCI labels and
    platform: the one call the deploy, the run verb and the run-before one-offs share."""
    return build_jobs(
        project,
        services,
        given_images,
        settings.ecr_repositories if repository_lines is None else repository_lines,
        dict(parse_pairs(settings.build_args, "--build-arg")),
        oci_labels(settings.image_tag, settings.source_url),
        settings.platform,
    )
