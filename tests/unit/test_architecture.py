"""Boundaries that keep the core pure and the documentation true."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from compose_ecs_deploy.core import fields

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "src" / "compose_ecs_deploy" / "core"

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
    return module in ALLOWED_MODULES or module.startswith("compose_ecs_deploy.core")


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


def test_core_imports_no_io_and_reads_no_environment() -> None:
    assert len(list(CORE.glob("*.py"))) > 5
    assert package_impurities(CORE) == {}


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
    "an adapter": "from compose_ecs_deploy.adapters import aws\n",
    "an adapter by name": "from compose_ecs_deploy import settings\n",
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
        "dataclass\nfrom compose_ecs_deploy.core.units import parse_port_range\n"
        "from compose_ecs_deploy.diagnostics import Diagnostics\n"
        "def f(text: str) -> bool:\n    return bool(re.match('a', text))\n"
        "if __name__ == '__main__':\n    print(f('a'))\n"
    )
    assert impurities(source) == []
    assert impurities(source.replace("if __name__ == '__main__':\n    ", "")) == ["calls print()"]


def test_readme_mapping_table_is_generated_from_the_rules() -> None:
    readme = (ROOT / "README.md").read_text()
    assert fields.markdown_table() in readme, (
        "README's mapping table is stale: paste `python -m compose_ecs_deploy.core.fields`"
    )


def test_every_rule_converts_or_says_where_it_is_handled() -> None:
    """One table: a field converted, ignored (its note is the notice) or documented."""
    assert len(fields.BY_NAME) == len(fields.RULES), "a compose field has two rows"
    for rule in fields.RULES:
        assert rule.convert is not None or rule.note, rule.compose


def test_render_does_not_import_boto3_clients() -> None:
    code = (
        "import sys, compose_ecs_deploy.cli, compose_ecs_deploy.render; "
        "print(int('boto3' in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "0"


def test_planning_neither_builds_nor_logs_in() -> None:
    """Data flows one way: the plan is made (and can fail) before the build stage or the
    registry login is reached, so neither planning module imports them."""
    package = ROOT / "src" / "compose_ecs_deploy"
    for name in ("plan.py", "build_plan.py"):
        imported = {
            node.module
            for node in ast.walk(ast.parse((package / name).read_text()))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "compose_ecs_deploy.build" not in imported, name
        assert "compose_ecs_deploy.adapters.ecr" not in imported, name
        source = (package / name).read_text()
        assert "ecr" not in {
            alias.name
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.module == "compose_ecs_deploy.adapters"
            for alias in node.names
        }, name


def _core_imports(path: Path) -> set[str]:
    """The core modules a module imports, type-checking-only imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "compose_ecs_deploy.core":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("compose_ecs_deploy.core."):
                found.add(node.module.rsplit(".", 1)[1])
    return found


def test_core_has_no_import_cycle_and_no_module_over_400_lines() -> None:
    graph = {path.stem: _core_imports(path) for path in CORE.glob("*.py")}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            step == goal or (step not in seen and reaches(step, goal, seen | {step}))
            for step in graph.get(start, ())
        )

    assert [name for name in graph if reaches(name, name, set())] == []
    # Lines of code (not blank, not a comment): ruff format decides how many physical lines a
    # table row takes, and a module's size should not change with it.
    long = {
        path.name: n
        for path in CORE.glob("*.py")
        if (n := sum(_is_code(line) for line in path.read_text().splitlines())) > 400
    }
    assert long == {}


def _is_code(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")
