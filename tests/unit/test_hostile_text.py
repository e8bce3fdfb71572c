"""The printer's text rules and the secret detector, on their own (issue #22).

The runner's command parser is ported in tests/support/runner_commands.py; its own unit
tests' cases (actions/runner src/Test/L0/Worker/ActionCommandL0.cs) are checked first, so
that "the runner would execute nothing" below means what the runner does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from compose_ecs_deploy.compose.image_ref import image_problem
from compose_ecs_deploy.compose.secrets import reference_problem
from compose_ecs_deploy.report import redact, safe_text
from tests.support.runner_commands import (
    executed,
    injected,
    runner_lines,
    shown,
    try_parse,
    try_parse_v2,
)

SHAPES = yaml.safe_load(
    (Path(__file__).parents[1] / "fixtures" / "secret_shapes.yaml").read_text(encoding="utf-8")
)
DO = frozenset({"do-something"})

# --------------------------------------------------------------- the runner's parser, ported


def test_the_log_shows_no_command_line_and_masks_what_add_mask_gave_after_it():
    out = "before hunter2-Zq81\n::add-mask::hunter2-Zq81\nafter hunter2-Zq81\n::group::x\n"
    assert shown(out) == "before hunter2-Zq81\nafter ***"
    stopped = "::stop-commands::tok\n::add-mask::s3cr3t-value\nsaid s3cr3t-value\n::tok::\n"
    assert (
        shown(stopped)
        == "::stop-commands::tok\n::add-mask::s3cr3t-value\nsaid s3cr3t-value\n::tok::"
    )


def test_the_legacy_form_is_found_anywhere_in_a_line_as_the_runner_finds_it():
    command = try_parse(">>>   ##[do-something k1=v1;]msg", DO)
    assert command is not None
    assert (command.name, command.properties, command.data) == ("do-something", {"k1": "v1"}, "msg")
    escaped = try_parse("##[do-something k1=%3B=%0D=%0A=%5D;]%3B-%0D-%0A-%5D", DO)
    assert escaped is not None
    assert escaped.properties == {"k1": ";=\r=\n=]"}
    assert escaped.data == ";-\r-\n-]"


def test_the_v2_form_starts_a_line_after_white_space_only():
    command = try_parse_v2("   ::do-something k1=v1,::msg", DO)
    assert command is not None
    assert (command.properties, command.data) == ({"k1": "v1"}, "msg")
    assert try_parse_v2("   >>>   ::do-something k1=v1,::msg", DO) is None
    escaped = try_parse_v2("::do-something k1=;=%2C=%0D=%0A=]=%3A,::;-%0D-%0A-]-:-,", DO)
    assert escaped is not None
    assert escaped.properties == {"k1": ";=,=\r=\n=]=:"}
    assert escaped.data == ";-\r-\n-]-:-,"
    assert try_parse_v2("::not-registered::x", DO) is None


def test_lines_end_at_cr_lf_and_crlf_as_streamreader_readline_ends_them():
    assert runner_lines("a\rb\r\nc\nd\n") == ["a", "b", "c", "d"]
    assert [c.name for c in executed("harmless\r::set-env name=A::b")] == ["set-env"]


def test_stop_commands_hold_every_command_until_its_token():
    text = "::stop-commands::tok\n::set-env name=A::b\n##[add-path]x\n::tok::\n::warning::w\n"
    assert [c.name for c in executed(text)] == ["stop-commands", "tok", "warning"]


def test_commands_the_tool_gives_are_not_counted_as_injected():
    text = "::add-mask::abc\n::error title=compose-ecs-deploy,file=compose.yaml,line=3::m\n"
    assert injected(text) == []
    assert injected("::error title=evil::m\n")
    assert injected(" ::set-env name=A::b\n")
    assert injected("a ##[warning]b\n")


# --------------------------------------------------------------------------- one_line, lines

HOSTILE = [
    "::set-env name=NODE_OPTIONS::--require /tmp/x.js",
    "  \t::add-path::/tmp/evil",
    "\u3000::add-mask::x",  # ideographic space: .NET's TrimStart removes it too
    "GET /##[set-output name=image-uri]evil HTTP/1.1",
    "ok\r::stop-commands::x",
    "ok\r\n##[error]fake",
    "ok\x1b[2K\r::error::fake",
    "a\u2028::error::b\u0085c",
    "\u202eevil\u202c",
    "::::::",
    "##[##[##[",
    "%0A::set-env name=A::b",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_no_hostile_text_leaves_a_command_for_the_runner(payload):
    line = safe_text.one_line(payload)
    assert "\r" not in line and "\n" not in line
    assert executed(line) == []
    assert executed("\n".join(safe_text.lines(payload))) == []


@given(st.text())
def test_nothing_the_printer_prints_is_a_command(text):
    assert executed(safe_text.one_line(text)) == []
    assert executed("\n".join(safe_text.lines(text))) == []


@given(st.text())
def test_escapes_are_json_so_rendered_json_keeps_its_values(text):
    document = json.dumps({"environment": [{"name": "X", "value": text}]}, indent=2)
    printed = "\n".join(safe_text.lines(document))
    assert json.loads(printed) == json.loads(document)
    assert json.loads(safe_text.one_line(json.dumps(text))) == text


def test_plain_lines_pass_unchanged():
    for line in ("error: compose.yaml:3: service web: bad", "arn:aws:secretsmanager:x::", "a::b"):
        assert safe_text.one_line(line) == line


# ------------------------------------------------------------------------------- Markdown


@pytest.mark.parametrize(
    "value",
    [
        "nginx | evil",
        "img`</code><img src=x onerror=alert(1)>",
        "[click](https://evil.example)",
        "![x](https://evil.example/p.png)",
        "<script>alert(1)</script>",
        "a\nb|c\r\n# heading",
        "``` \n```",
    ],
)
def test_a_cell_renders_as_written_and_stays_one_cell(value):
    cell = safe_text.markdown(value)
    for char in "|[]<>`\n\r":
        assert char not in cell
    row = f"| {cell} | {safe_text.code(value)} |"
    assert row.count("|") == 3


def test_a_fence_outlasts_any_backtick_run_inside():
    body = ["```", "````", "x"]
    block = safe_text.fence(body, "diff")
    assert block[0] == "`````diff" and block[-1] == "`````"


def test_clip_and_fit_keep_a_summary_under_the_limit():
    assert safe_text.clip("abcdef", 3) == "abc… (3 more characters not shown)"
    text = "## t\n\n```diff\n" + "+ x\n" * 400_000 + "```\n"
    fitted = safe_text.fit(text, 1024 * 1024)
    assert len(fitted.encode()) <= 1024 * 1024
    assert fitted.count("```") % 2 == 0
    assert "cut here" in fitted
    assert safe_text.fit("short\n", 100) == "short\n"


# ------------------------------------------------------ secret shapes: one fixture, two uses


@pytest.mark.parametrize("shape", SHAPES, ids=[s["id"] for s in SHAPES])
def test_the_log_line_masker_hides_each_shape(shape):
    assert shape["secret"] not in redact.mask(shape["line"])


@pytest.mark.parametrize("shape", SHAPES, ids=[s["id"] for s in SHAPES])
def test_the_redactor_flags_each_shape_as_a_value(shape):
    assert redact.looks_secret(shape["name"], shape["value"])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "8080"),
        ("NODE_ENV", "production"),
        ("BACKEND_URL", "http://localhost:8000"),
        ("REQUEST_ID", "7f3c2a91-aa44-4b1e-9d0f-88c1e2b3d4a5"),
        ("DJANGO_SETTINGS_MODULE", "app.settings.production"),
    ],
)
def test_ordinary_values_are_shown(name, value):
    assert not redact.looks_secret(name, value)


@pytest.mark.parametrize(
    "line",
    ["GET /health 200 12ms", "password authentication failed for user app", "token expired"],
)
def test_ordinary_lines_are_not_masked(line):
    assert redact.mask(line) == line


def test_known_values_are_masked_whatever_their_shape():
    assert redact.mask("hello plain-value-7 there", ["plain-value-7"]) == "hello *** there"


# ------------------------------------------------------------------------- the one printer


def test_the_printer_masks_what_it_knows_and_what_looks_like_a_token(capsys):
    from compose_ecs_deploy.report.console import Printer

    printer = Printer({"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG", "INPUT_SECRETS": "a=b"})
    printer.learn("line-one-secret\nline-two-secret")
    printer.err(
        "key wJalrXUtnFEMI/K7MDENG, line-two-secret, ghp_4Vq8Zr2Lm7Nx1Pw5Ks9Td3Yh6Bj0Fc2Ga8Ue"
    )
    printer.out("name x\r::set-env name=A::b")
    out, err = capsys.readouterr()
    assert err == "key ***, ***, ***\n"
    assert out == "name x\n:\\u003aset-env name=A::b\n"
    assert executed(out) == [] and executed(err) == []


def test_the_printer_keeps_field_names_and_arns_of_the_tools_own_lines(capsys):
    from compose_ecs_deploy.report.console import Printer

    line = (
        "warning: service app, field environment.DB_PASSWORD: DB_PASSWORD is plain text; "
        "pass --secret DB_PASSWORD=arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf"
    )
    Printer({}).err(line)
    assert capsys.readouterr().err == line + "\n"


def test_the_runner_face_annotates_and_summarises_hostile_text_safely(
    tmp_path, capsys, monkeypatch
):
    from compose_ecs_deploy.diagnostics import Diagnostic
    from compose_ecs_deploy.faces.action import Runner

    summary = tmp_path / "summary"
    summary.write_text("x" * (safe_text.SUMMARY_LIMIT - 2000))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    face = Runner({"GITHUB_STEP_SUMMARY": str(summary)})
    hostile = Diagnostic.error(
        "x", "bad | [link](https://e.example) \r::add-path::/tmp ##[set-env name=A]b", file="c.yml"
    )
    face.report(hostile)
    face.stopped([hostile] * 50)
    out, err = capsys.readouterr()
    assert injected(out) == [] and injected(err) == []
    assert len(err.splitlines()) == 1
    written = summary.read_text()
    assert len(written.encode()) <= safe_text.SUMMARY_LIMIT
    assert "](https" not in written and "| [" not in written


# ------------------------------------------------- references: images and secrets, by shape


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.25",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:3f2c1a9",
        "localhost:5000/a/b@sha256:" + "a" * 64,
        "[::1]:5000/x",
        "ghcr.io/org/app:v1@sha256:" + "0" * 64,
    ],
)
def test_image_references_docker_accepts_pass(image):
    assert image_problem(image) is None


@pytest.mark.parametrize(
    "image",
    ["a b", "x|y", "`id`", "[x](http://e)", "App", "x:" + "t" * 129, "a" * 300, "x:", "<i>"],
)
def test_other_image_strings_are_refused_without_being_repeated(image):
    problem = image_problem(image)
    assert problem is not None and image not in problem


@pytest.mark.parametrize(
    "value",
    [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::",
        "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/prod/db",
        "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/x",
        "/prod/db/password",
    ],
)
def test_secret_references_of_documented_shapes_pass(value):
    assert reference_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "arn:evil:secretsmanager:us-east-1:123456789012:secret:db",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + "d" * 600,
        "arn:aws:ssm:us-east-1:123456789012:parameter/" + "p" * 1100,
        "my secret value",
        "hunter2!",
        "/" + "/".join("a" * 17),
    ],
)
def test_other_secret_values_are_refused_without_being_repeated(value):
    problem = reference_problem(value)
    assert problem is not None and value not in problem


def test_a_bare_parameter_name_is_marked_for_the_lookup_and_a_path_is_not():
    from compose_ecs_deploy.compose.secrets import parse_secret_line
    from compose_ecs_deploy.diagnostics import Diagnostics

    diagnostics = Diagnostics()
    bare = parse_secret_line("DB_PASSWORD=hunter2-Zq81", "--secret", diagnostics)
    path = parse_secret_line("DB_PASSWORD=/prod/db", "--secret", diagnostics)
    arn = parse_secret_line(
        "DB=arn:aws:ssm:us-east-1:123456789012:parameter/db", "--secret", diagnostics
    )
    assert not diagnostics.items
    assert bare is not None and bare.bare
    assert path is not None and not path.bare
    assert arn is not None and not arn.bare


def test_values_under_secret_names_are_masked_wherever_a_deploy_holds_them():
    """Every secret value the tool learns is masked (and, in the action, registered with
    ::add-mask::) before anything prints: environment entries, labels, log-driver options,
    build arguments."""
    from compose_ecs_deploy.pipeline.plan import secret_looking_values

    container = {
        "environment": [{"name": "DB_PASSWORD", "value": "p1"}, {"name": "MODE", "value": "x"}],
        "dockerLabels": {"api.token": "t1", "team": "a"},
        "logConfiguration": {"options": {"splunk-token": "s1", "splunk-url": "u"}},
    }
    request = {"containerDefinitions": [container]}
    assert secret_looking_values([request], ["NPM_TOKEN=n1", "VERSION=3"]) == [
        "n1", "p1", "t1", "s1",
    ]  # fmt: skip
