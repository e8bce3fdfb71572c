"""Boundaries that keep the core pure and the documentation true."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from compose_ecs_deploy.core import fields, service_fields

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "src" / "compose_ecs_deploy" / "core"
FORBIDDEN_MODULES = {"boto3", "botocore", "docker", "subprocess", "socket", "requests", "time"}


def test_core_imports_no_io_and_reads_no_environment() -> None:
    for path in CORE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            else:
                names = []
            assert not FORBIDDEN_MODULES & set(names), f"{path.name} imports {names}"
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                raise AssertionError(f"{path.name} reads the environment")
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "open":
                raise AssertionError(f"{path.name} opens a file")


def test_readme_mapping_table_is_generated_from_the_rules() -> None:
    readme = (ROOT / "README.md").read_text()
    assert fields.markdown_table() in readme, (
        "README's mapping table is stale: paste `python -m compose_ecs_deploy.core.fields`")


def test_every_mapped_rule_has_a_handler() -> None:
    handled = (set(service_fields.HANDLERS) | service_fields.HANDLED_ELSEWHERE
               | service_fields.RESOLVED_BY_COMPOSE)
    for rule in fields.RULES:
        if rule.handling in ("mapped", "rejected") and rule.compose != "x-ecs":
            assert rule.compose in handled, rule.compose
    for key in service_fields.HANDLERS:
        assert key in fields.BY_NAME, f"{key} is handled but missing from the table"


def test_render_does_not_import_boto3_clients() -> None:
    code = ("import sys, compose_ecs_deploy.cli, compose_ecs_deploy.render; "
            "print(int('boto3' in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "0"
