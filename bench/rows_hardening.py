"""Issue 7's figures, read from the tests that establish them (run here, with the stack up):

- bad inputs tried / rejected cleanly / AWS writes made: the render corpus
  (tests/unit/test_bad_inputs.py: no AWS access at all) and the deploy corpus
  (tests/deploy/test_bad_deploys.py: each passing case asserts that no repository, image,
  revision or service update was made);
- fault scenarios survived with exactly one revision (tests/deploy/test_faults.py);
- IAM actions needed (docs/iam-policy.json), checked against the API calls this bench run's
  deploys made;
- secret leaks found (tests/action/test_runner_harness.py scans everything the action wrote
  for the registry password).

pytest's fixtures reset moto, so this group runs last.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.lab import ROOT
from bench.table import Row, not_measured

FILES = (
    "tests/unit/test_bad_inputs.py",
    "tests/deploy/test_bad_deploys.py",
    "tests/deploy/test_faults.py",
    "tests/action/test_runner_harness.py",
)
RENDER_CORPUS = "test_bad_input_gives_one_clear_error_per_problem["
DEPLOY_CORPUS = "test_bad_input_writes_nothing["
LEAK_TEST = "test_the_action_deploys_hello_as_the_runner_runs_it"
LEAK_MESSAGE = "the registry password appears in"
POLICY = ROOT / "docs" / "iam-policy.json"


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    outcome: str  # passed / failed / error / skipped
    message: str


def run_tests(junit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *FILES,
            f"--junitxml={junit}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        check=False,
    )


def read_junit(path: Path) -> list[Case]:
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = case.find(kind)
            if found is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
                message = (found.get("message") or found.text or "").strip()
                break
        module = str(case.get("classname", "")).split(".")
        cases.append(
            Case(
                "/".join(module[:3]) + ".py" if len(module) >= 3 else "",
                str(case.get("name", "")),
                outcome,
                message,
            )
        )
    return cases


def bad_input_row(cases: list[Case]) -> Row:
    render = [c for c in cases if c.name.startswith(RENDER_CORPUS)]
    deploy = [c for c in cases if c.name.startswith(DEPLOY_CORPUS)]
    tried = len(render) + len(deploy)
    clean = sum(c.outcome == "passed" for c in render + deploy)
    unverified = sum(c.outcome != "passed" for c in deploy)
    writes = "0" if not unverified else f"unknown in {unverified}"
    detail = (
        f"{len(render)} render cases (no AWS access) + {len(deploy)} deploy cases "
        "(each asserts no repository, image, revision or service update)"
    )
    failing = [c.name for c in render + deploy if c.outcome != "passed"]
    if failing:
        detail += f"; not clean: {', '.join(failing[:5])}"
    return Row(
        "bad inputs: tried / rejected cleanly / AWS writes",
        float(clean),
        "",
        "",
        "N / N / 0",
        tried > 0 and clean == tried and not unverified,
        detail,
        text=f"{tried} / {clean} / {writes}",
    )


def fault_row(cases: list[Case]) -> Row:
    faults = [c for c in cases if c.file.endswith("test_faults.py")]
    survived = sum(c.outcome == "passed" for c in faults)
    failing = [c.name for c in faults if c.outcome != "passed"]
    detail = (
        "throttling, 500/503, resets, slow and lost answers through the fault proxy; "
        "each asserts exactly one revision and one UpdateService (past the retry "
        "budget: nothing moved)"
    )
    return Row(
        "AWS fault scenarios survived with exactly one revision",
        float(survived),
        "",
        "",
        "all",
        bool(faults) and not failing,
        detail + (f"; failed: {', '.join(failing)}" if failing else ""),
        text=f"{survived} / {len(faults)}",
    )


def policy_actions(path: Path = POLICY) -> set[str]:
    document = json.loads(path.read_text())
    actions: set[str] = set()
    for statement in document["Statement"]:
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def iam_row(seen: Mapping[str, int]) -> Row:
    actions = policy_actions()
    called = {name for name, count in seen.items() if count}
    missing = sorted(called - actions)
    if not called:
        return Row(
            "IAM actions needed (docs/iam-policy.json)",
            float(len(actions)),
            "actions",
            "",
            "every call made is allowed",
            None,
            "no deploy ran in this bench run to check the policy against",
        )
    return Row(
        "IAM actions needed (docs/iam-policy.json)",
        float(len(actions)),
        "actions",
        "",
        "every call made is allowed",
        not missing,
        f"{len(called)} distinct API calls made by this run's deploys, "
        + (f"NOT in the policy: {', '.join(missing)}" if missing else "all in it")
        + "; the rest are registry push/pull, ListTasks/DescribeTasks, PassRole",
    )


def leak_row(cases: list[Case]) -> Row:
    name = "secret leaks found (registry password in the action's output)"
    harness = [c for c in cases if c.name == LEAK_TEST]
    if not harness:
        return not_measured(name, "0", f"{LEAK_TEST} did not run")
    case = harness[0]
    if case.outcome == "passed":
        return Row(
            name,
            0.0,
            "",
            "",
            "0",
            True,
            "stdout, stderr, outputs and summary of a full action run scanned",
        )
    if LEAK_MESSAGE in case.message:
        return Row(name, 1.0, "", "", "0", False, case.message.splitlines()[0][:200], text=">= 1")
    return not_measured(
        name,
        "0",
        f"the harness test {case.outcome} before its scan: "
        + (case.message.splitlines()[0][:200] if case.message else "?"),
    )


def hardening_rows(seen: Mapping[str, int]) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        done = run_tests(junit)
        if not junit.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            raise RuntimeError(
                f"pytest wrote no report (exit {done.returncode}): " + " | ".join(tail)
            )
        cases = read_junit(junit)
    return [bad_input_row(cases), fault_row(cases), iam_row(seen), leak_row(cases)]
