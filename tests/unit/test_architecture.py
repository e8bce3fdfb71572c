"""Boundaries that keep the core pure and the documentation true."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from compose_ecs_deploy.compose import fields

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "compose_ecs_deploy"
# The folders of pure code: the compose conversion and the rollout verdicts.
PURE = (PACKAGE / "compose", PACKAGE / "rollout" / "verdicts")
PURE_MODULES = ("compose_ecs_deploy.compose", "compose_ecs_deploy.rollout.verdicts")

# What the pure core may import: the standard library's data tools and its own kind. An
# allow-list, so that a new way to the outside (os, sys, pathlib, io, time, datetime,
# subprocess, socket, boto3, docker, an adapter...) fails without being foreseen here.
ALLOWED_MODULES = {
    "__future__",
    "collections",
    "collections.abc",
    "dataclasses",
    "decimal",
    "difflib",
    "enum",
    "functools",
    "itertools",
    "json",
    "math",
    "re",
    "string",
    "typing",
    "compose_ecs_deploy.diagnostics",
}
# Names that reach the outside without an import: builtins and attributes of objects
# handed in (an environment mapping, a Path, a clock).
FORBIDDEN_CALLS = {"open", "print", "input", "__import__", "breakpoint", "exec", "eval"}
FORBIDDEN_ATTRIBUTES = {
    "environ",
    "getenv",
    "putenv",
    "read_text",
    "write_text",
    "read_bytes",
    "write_bytes",
    "now",
    "utcnow",
    "today",
    "monotonic",
    "perf_counter",
    "sleep",
    "time_ns",
    "system",
    "popen",
}


def _allowed(module: str) -> bool:
    return module in ALLOWED_MODULES or module.startswith(PURE_MODULES)


def _is_main_block(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":`, a script's entry that importing never runs."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def impurities(source: str) -> list[str]:
    """Every way a module's source reaches outside pure data: imports, calls, attributes
    (outside an `if __name__ == "__main__":` block, which importing never runs)."""
    found: list[str] = []
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not _is_main_block(node)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"imports {a.name}" for a in node.names if not _allowed(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            module = node.module or ""
            if not _allowed(module):
                found.append(f"imports {module}")
            elif module == "compose_ecs_deploy":
                found += [
                    f"imports compose_ecs_deploy.{a.name}"
                    for a in node.names
                    if not _allowed(f"compose_ecs_deploy.{a.name}")
                ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and (node.func.id in FORBIDDEN_CALLS)
        ):
            found.append(f"calls {node.func.id}()")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"uses .{node.attr}")
    return found


def package_impurities(package: Path) -> dict[str, list[str]]:
    """The purity check of a package directory: each impure module with what it does."""
    found = {path.name: impurities(path.read_text()) for path in sorted(package.glob("*.py"))}
    return {name: problems for name, problems in found.items() if problems}


def test_pure_folders_import_no_io_and_read_no_environment() -> None:
    for folder in PURE:
        assert len(list(folder.glob("*.py"))) > 5, folder
        assert package_impurities(folder) == {}, folder


PLANTED = {
    "os": "import os\n",
    "os.path": "import os.path\n",
    "environ from os": "from os import environ\n",
    "environ of a mapping handed in": "def f(o):\n    return o.environ['HOME']\n",
    "getenv": "def f(o):\n    return o.getenv('HOME')\n",
    "sys": "import sys\n",
    "clock: time": "import time\n",
    "clock: datetime": "from datetime import datetime\n",
    "clock: now of a class handed in": "def f(clock):\n    return clock.now()\n",
    "clock: monotonic": "def f(t):\n    return t.monotonic()\n",
    "file I/O: open": "def f():\n    return open('x').read()\n",
    "file I/O: pathlib": "from pathlib import Path\n",
    "file I/O: io": "import io\n",
    "file I/O: read_text": "def f(p):\n    return p.read_text()\n",
    "file I/O: print": "def f():\n    print('x')\n",
    "subprocess": "import subprocess\n",
    "subprocess via os.system": "def f(o):\n    o.system('ls')\n",
    "dynamic import": "def f():\n    return __import__('os')\n",
    "importlib": "import importlib\n",
    "boto3": "import boto3\n",
    "botocore": "from botocore.config import Config\n",
    "docker": "import docker\n",
    "socket": "import socket\n",
    "an adapter": "from compose_ecs_deploy.aws import client\n",
    "an adapter by name": "from compose_ecs_deploy import settings\n",
    "a controller": "from compose_ecs_deploy.rollout import rolling\n",
    "the rollout loop by name": "from compose_ecs_deploy.rollout.watch import watch\n",
}


@pytest.mark.parametrize("source", PLANTED.values(), ids=PLANTED.keys())
def test_each_planted_violation_fails_the_purity_check(source: str, tmp_path: Path) -> None:
    (tmp_path / "pure.py").write_text("from collections.abc import Mapping\n")
    (tmp_path / "planted.py").write_text("from collections.abc import Mapping\n" + source)
    assert list(package_impurities(tmp_path)) == ["planted.py"], (
        f"the check lets this through: {source!r}"
    )


def test_a_pure_module_passes_the_purity_check() -> None:
    source = (
        "from __future__ import annotations\nimport re\nfrom dataclasses import "
        "dataclass\nfrom compose_ecs_deploy.compose.units import parse_port_range\n"
        "from compose_ecs_deploy.diagnostics import Diagnostics\n"
        "def f(text: str) -> bool:\n    return bool(re.match('a', text))\n"
        "if __name__ == '__main__':\n    print(f('a'))\n"
    )
    assert impurities(source) == []
    assert impurities(source.replace("if __name__ == '__main__':\n    ", "")) == ["calls print()"]


def test_readme_mapping_table_is_generated_from_the_rules() -> None:
    readme = (ROOT / "README.md").read_text()
    assert fields.markdown_table() in readme, (
        "README's mapping table is stale: paste `python -m compose_ecs_deploy.compose.fields`"
    )


def test_every_rule_converts_or_says_where_it_is_handled() -> None:
    """One table: a field converted, ignored (its note is the notice) or documented."""
    assert len(fields.BY_NAME) == len(fields.RULES), "a compose field has two rows"
    for rule in fields.RULES:
        assert rule.convert is not None or rule.note, rule.compose


def test_render_does_not_import_boto3_clients() -> None:
    code = (
        "import sys, compose_ecs_deploy.faces.cli, compose_ecs_deploy.loading.inputs; "
        "print(int('boto3' in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "0"


def test_planning_neither_builds_nor_logs_in() -> None:
    """Data flows one way: the plan is made (and can fail) before the build stage or the
    registry login is reached, so neither planning module imports them."""
    for path in (PACKAGE / "pipeline" / "plan.py", PACKAGE / "images" / "plan.py"):
        imported = _imports(path)
        assert "compose_ecs_deploy.images.build" not in imported, path.name
        assert "compose_ecs_deploy.aws.ecr" not in imported, path.name


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every package module `path` imports, wherever the import is (in a function, or only
    for type checking): `from a.b import c` counts as a.b.c when c is a module, else a.b."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("compose_ecs_deploy")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not node.module.startswith("compose_ecs_deploy"):
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found - {"compose_ecs_deploy"}


MODULES = {_module_name(path) for path in PACKAGE.rglob("*.py")}
GRAPH = {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}
FACES = "compose_ecs_deploy.faces"
VERBS = "compose_ecs_deploy.verbs"


def test_the_import_walk_sees_every_module() -> None:
    assert len(GRAPH) > 60
    assert "compose_ecs_deploy.verbs.deploy" in GRAPH["compose_ecs_deploy.faces.action"]
    assert "compose_ecs_deploy.rollout.watch" in GRAPH["compose_ecs_deploy.rollout.roll_out"]


def test_only_the_faces_import_a_verb() -> None:
    offenders = {
        module: sorted(i for i in imported if i.startswith(VERBS))
        for module, imported in GRAPH.items()
        if not module.startswith(FACES) and any(i.startswith(VERBS) for i in imported)
    }
    assert offenders == {}


def test_pure_folders_import_only_pure_code_and_the_diagnostics() -> None:
    offenders = {
        module: sorted(
            i
            for i in imported
            if not i.startswith(PURE_MODULES) and i != "compose_ecs_deploy.diagnostics"
        )
        for module, imported in GRAPH.items()
        if module.startswith(PURE_MODULES)
    }
    assert {m: i for m, i in offenders.items() if i} == {}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle, each once, found by a depth-first walk of the graph."""
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module) :]
            if sorted(cycle) not in [sorted(c) for c in found]:
                found.append(cycle)
            return
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            walk(imported, [*path, module])
        done.add(module)

    for module in sorted(graph):
        walk(module, [])
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(GRAPH) == []


def test_the_cycle_walk_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_is_over_400_lines_of_code() -> None:
    # Lines of code (not blank, not a comment): ruff format decides how many physical lines a
    # table row takes, and a module's size should not change with it.
    long = {
        path.name: n
        for path in PACKAGE.rglob("*.py")
        if (n := sum(_is_code(line) for line in path.read_text().splitlines())) > 400
    }
    assert long == {}


def _is_code(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")
