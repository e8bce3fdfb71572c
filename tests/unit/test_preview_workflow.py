"""The reusable preview workflow's job logic: which event runs which job and step, the
permissions each job holds, one run at a time per pull request, and the comment it writes
(its script run under node with GitHub's client stubbed). actionlint and zizmor lint it with
the other workflows (test_action.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "preview.yml").read_text())
JOBS: dict[str, Any] = WORKFLOW["jobs"]
REPO = "acme/shop"
SHA = "0123456789abcdef0123456789abcdef01234567"
MARKER = "<!-- compose-ecs-deploy:preview -->"
COMMENT_STEP = "Comment on the pull request"


class Node(dict[str, Any]):
    """A context object as GitHub's expressions see it: a missing property is null ('')."""

    def __getattr__(self, name: str) -> Any:
        value = self.get(name, "")
        return Node(value) if isinstance(value, dict) else value


def evaluate(expression: str, github: dict[str, Any], steps: dict[str, Any] | None = None) -> Any:
    """Evaluate the subset of GitHub's expression syntax the workflow uses (property paths,
    string literals, true, always(), ==, !=, &&, ||): it is also Python once && and || are
    spelled out, with the same value rules (`a && b || c` is b when a, else c). (always()
    also runs after a failed step; here no step fails.)"""
    text = expression.strip().removeprefix("${{").removesuffix("}}")
    assert re.fullmatch(r"[\w.\s'=!&|()-]*", text), text
    python = text.replace("&&", " and ").replace("||", " or ").replace("\n", " ")
    names = {"github": Node(github), "steps": Node(steps or {}), "true": True}
    return eval(python, {"__builtins__": {}}, {**names, "always": lambda: True})


def holds(expression: str, github: dict[str, Any]) -> bool:
    return bool(evaluate(expression, github))


def event(action: str, *, fork: bool = False, name: str = "pull_request") -> dict[str, Any]:
    head = "someone/shop" if fork else REPO
    return {
        "event_name": name,
        "repository": REPO,
        "event": {
            "action": action,
            "pull_request": {"number": 12, "head": {"sha": SHA, "repo": {"full_name": head}}},
        }
        if name == "pull_request"
        else {},
    }


def runs(github: dict[str, Any]) -> dict[str, list[str]]:
    """The jobs that run for the event, each with the ids (or names) of its steps that run."""
    ran = {}
    for name, job in JOBS.items():
        if holds(job.get("if", "true"), github):
            ran[name] = [
                step.get("id") or step.get("name") or step["uses"].split("@")[0]
                for step in job["steps"]
                if holds(step.get("if", "true"), github)
            ]
    return ran


@pytest.mark.parametrize("action", ["opened", "synchronize", "reopened"])
def test_an_open_pull_request_of_this_repository_goes_up(action: str) -> None:
    assert runs(event(action)) == {
        "preview": [
            "actions/checkout",
            "aws-actions/configure-aws-credentials",
            "up",
            "Comment on the pull request",
        ]
    }


def test_a_closed_pull_request_goes_down_without_a_checkout() -> None:
    assert runs(event("closed")) == {
        "preview": ["aws-actions/configure-aws-credentials", "down", "Comment on the pull request"]
    }


@pytest.mark.parametrize("action", ["opened", "synchronize", "closed"])
def test_a_fork_gets_no_credentials_only_a_summary(action: str) -> None:
    assert runs(event(action, fork=True)) == {"fork": ["Say why"]}
    assert JOBS["fork"]["permissions"] == {}
    (step,) = JOBS["fork"]["steps"]
    assert "uses" not in step and "GITHUB_STEP_SUMMARY" in step["run"]


def test_the_schedule_sweeps() -> None:
    ran = runs(event("", name="schedule"))
    assert list(ran) == ["sweep"]
    (sweep,) = [s for s in JOBS["sweep"]["steps"] if s.get("with", {}).get("command")]
    assert sweep["with"]["command"] == "preview sweep"
    assert sweep["with"]["open-pull-requests"] == "${{ steps.open.outputs.result }}"


def test_each_job_holds_only_the_permissions_it_needs() -> None:
    assert WORKFLOW["permissions"] == {}
    assert JOBS["preview"]["permissions"] == {
        "id-token": "write",  # OIDC for the AWS role
        "contents": "read",  # the checkout
        "pull-requests": "write",  # the comment
    }
    assert JOBS["sweep"]["permissions"] == {"id-token": "write", "pull-requests": "read"}


def test_runs_for_one_pull_request_queue_and_are_never_cancelled() -> None:
    concurrency = JOBS["preview"]["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is False


def test_the_verbs_get_the_preview_name_and_the_head_commit() -> None:
    steps = {s.get("id"): s for s in JOBS["preview"]["steps"]}
    assert steps["up"]["with"]["command"] == "preview up"
    assert steps["down"]["with"]["command"] == "preview down"
    for step in (steps["up"], steps["down"]):
        assert step["with"]["preview-name"] == "pr-${{ github.event.pull_request.number }}"
    assert steps["up"]["with"]["image-tag"] == "${{ github.event.pull_request.head.sha }}"
    checkout = JOBS["preview"]["steps"][0]
    assert checkout["with"] == {
        "ref": "${{ github.event.pull_request.head.sha }}",
        "persist-credentials": False,
    }
    assert JOBS["preview"]["outputs"]["url"] == "${{ steps.up.outputs.url }}"


@pytest.mark.parametrize(
    ("action", "outcome"),
    [("opened", "failure"), ("synchronize", "failure"), ("closed", "success")],
)
def test_the_comment_reads_the_outcome_of_the_step_that_ran(action: str, outcome: str) -> None:
    """The step that did not run is `skipped`; the comment must see the other one's outcome."""
    (step,) = [s for s in JOBS["preview"]["steps"] if s.get("name") == COMMENT_STEP]
    up, down = ("skipped", outcome) if action == "closed" else (outcome, "skipped")
    steps = {"up": {"outcome": up}, "down": {"outcome": down}}
    assert evaluate(step["env"]["PREVIEW_OUTCOME"], event(action), steps) == outcome


RUNNER = """
const calls = [];
const given = JSON.parse(process.env.GIVEN);
const github = {
  paginate: async (method, args) => { calls.push(["list", args]); return given.comments; },
  rest: { issues: {
    listComments: "listComments",
    updateComment: async (args) => calls.push(["update", args]),
    createComment: async (args) => calls.push(["create", args]),
  } },
};
const context = {
  payload: given.payload, repo: {owner: "acme", repo: "shop"},
  serverUrl: "https://github.com", runId: 99,
};
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction("github", "context", process.env.SCRIPT)(github, context)
  .then(() => console.log(JSON.stringify(calls)));
"""


def comment(
    action: str, outcome: str, url: str = "", comments: list[dict[str, Any]] | None = None
) -> list[Any]:
    """Run the comment step's script as github-script would, with its env; the calls made."""
    node = shutil.which("node")
    assert node, "node is on GitHub's runners and in scripts/test's image"
    (step,) = [
        s for s in JOBS["preview"]["steps"] if s.get("name") == "Comment on the pull request"
    ]
    given = {"payload": event(action)["event"], "comments": comments or []}
    result = subprocess.run(
        [node, "-e", RUNNER],
        env={
            "SCRIPT": step["with"]["script"],
            "GIVEN": json.dumps(given),
            "PREVIEW_URL": url,
            "PREVIEW_OUTCOME": outcome,
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_first_preview_creates_one_comment_with_the_url_and_the_commit() -> None:
    calls = comment("opened", "success", "https://web-pr-12-abc.ecs.us-east-1.on.aws")
    assert [c[0] for c in calls] == ["list", "create"]
    body = calls[1][1]["body"]
    assert body.startswith(MARKER)
    assert "https://web-pr-12-abc.ecs.us-east-1.on.aws" in body and SHA in body
    assert calls[1][1]["issue_number"] == 12


def test_a_later_push_updates_the_same_comment() -> None:
    ours = {"id": 7, "user": {"type": "Bot"}, "body": f"{MARKER}\nPreview of `old`: https://x"}
    quoted = {"id": 8, "user": {"type": "User"}, "body": f"{MARKER}\nquoted by a person"}
    calls = comment("synchronize", "success", "https://x", [quoted, ours])
    assert [c[0] for c in calls] == ["list", "update"]
    assert calls[1][1]["comment_id"] == 7
    assert SHA in calls[1][1]["body"]


def test_a_failed_preview_links_the_run_and_no_url() -> None:
    calls = comment("opened", "failure", "")
    body = calls[-1][1]["body"]
    assert "failed" in body and "https://github.com/acme/shop/actions/runs/99" in body


def test_closing_says_the_preview_is_deleted() -> None:
    ours = {"id": 7, "user": {"type": "Bot"}, "body": f"{MARKER}\nPreview of `old`: https://x"}
    calls = comment("closed", "success", "", [ours])
    assert calls[-1][0] == "update"
    assert "Preview deleted" in calls[-1][1]["body"]
