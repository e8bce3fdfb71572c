"""Progress for people: where a deploy says what it does (the terminal, or the runner), and
the one printer every line on stdout and stderr goes through.

Much of what the tool prints is text it did not write: names and values from inputs,
compose and base files, AWS's messages, a failed container's log lines. The job log is read
by others and parsed by the runner, so `Printer` masks every secret it knows (values the
deploy registered, credentials in the environment) and every value whose own shape the
secret detector flags (report/redact: token formats, a URL's password, `Bearer …`), then
makes each line safe for the runner (report/safe_text). A value under a secret-looking
name is the messages' business: they name the key, never the value.
Machine-readable output (`data`: the rendered JSON, a diff) is masked by known values only,
so that a request piped to a file stays the request; the diff is already redacted.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

from compose_ecs_deploy.compose import secret_shapes
from compose_ecs_deploy.compose.taskdef import SECRET_LOOKING_NAME
from compose_ecs_deploy.report import redact, safe_text

MIN_ENVIRONMENT_SECRET = 8  # a shorter value (`true`, `1`) under a secret-looking name is
# a setting, and masking it would blot out common words of every line
# The runner's escapes of a command's data, in the order they must be applied (actions/runner
# src/Runner.Common/ActionCommand.cs, `_escapeDataMappings`, undone by `UnescapeData`).
_COMMAND_DATA = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))


def environment_secret(name: str, value: str) -> bool:
    """A credential in the environment (AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, a registry
    password, GITHUB_TOKEN, a token-shaped value under any name). Not an input's (`INPUT_*`:
    options, such as `secrets`' ARNs; the runner masks the secrets passed to them), a short
    value, a flag, nor a path (`PWD=/github/workspace`, `AWS_WEB_IDENTITY_TOKEN_FILE`):
    masked, those would blot out every file name in the log."""
    text = value.strip()
    if name.startswith("INPUT_") or len(text) < MIN_ENVIRONMENT_SECRET:
        return False
    if text.lower() in ("true", "false") or secret_shapes.is_path(text):
        return False
    return bool(
        SECRET_LOOKING_NAME.search(name)
        or secret_shapes.secret_name(name)
        or secret_shapes.secret_value(text)
        or redact.found_in(text, by_name=False)
    )


class Printer:
    """Every line the tool prints: secrets masked, nothing for the runner to execute."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self._stdout = stdout
        self._stderr = stderr
        self.known: list[str] = []
        self.from_environment = tuple(
            value for name, value in (environ or {}).items() if environment_secret(name, value)
        )
        for value in self.from_environment:
            self.learn(value)

    def learn(self, value: str) -> None:
        """A secret value, and each of its lines: the runner's log has one line at a time."""
        for part in (value, *value.splitlines()):
            if len(part.strip()) >= redact.MIN_SECRET_LENGTH and part not in self.known:
                self.known.append(part)

    def lines(self, text: str) -> list[str]:
        """`text` masked and split into lines the runner executes nothing in."""
        return safe_text.lines(redact.mask(text, self.known, by_name=False))

    def one_line(self, text: str) -> str:
        """`text` masked as one line (a title, an annotation's message)."""
        return safe_text.one_line(redact.mask(text, self.known, by_name=False))

    def out(self, text: str) -> None:
        self._write(self.lines(text) or [""], self._stdout or sys.stdout)

    def err(self, text: str) -> None:
        self._write(self.lines(text) or [""], self._stderr or sys.stderr)

    def diagnostic(self, text: str) -> None:
        """One `error:`/`warning:`/`notice:` line on stderr: one line whatever it quotes."""
        self._write([self.one_line(text)], self._stderr or sys.stderr)

    def add_mask(self, value: str) -> None:
        """`::add-mask::` for the runner (ours: the one command whose data is a secret), the
        data escaped as the runner unescapes it, so that the whole value is registered and
        nothing in it can end the command's line."""
        for token, escape in _COMMAND_DATA:
            value = value.replace(token, escape)
        self._write([f"::add-mask::{value}"], self._stdout or sys.stdout)

    def data(self, text: str) -> None:
        """Machine-readable text on stdout, known secrets masked; its escapes are JSON's, so
        the rendered request still parses to the same values."""
        for value in sorted(self.known, key=len, reverse=True):
            text = text.replace(value, redact.MASK)
        self._write(safe_text.lines(text), self._stdout or sys.stdout)

    @staticmethod
    def _write(lines: list[str], stream: TextIO) -> None:
        stream.write("".join(f"{line}\n" for line in lines))
        stream.flush()


class Log(Protocol):
    """Where a deploy tells what it does: the console, or the runner's log with groups."""

    def info(self, line: str) -> None: ...
    def group(self, title: str) -> Any: ...
    def mask(self, value: str) -> None: ...


class ConsoleLog:
    """Progress lines on stdout, flushed at once so that a CI log shows them as they come."""

    def __init__(self, stream: TextIO | None = None, printer: Printer | None = None) -> None:
        self.printer = printer or Printer(stdout=stream)

    def info(self, line: str) -> None:
        self.printer.out(line)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.info(f"==> {title}")
        yield

    def mask(self, value: str) -> None:
        """A terminal has no log masking: the printer masks the value itself."""
        self.printer.learn(value)


class RememberingLog:
    """A Log that also keeps every value it was asked to mask: text the tool prints from
    outside (a failed container's log lines) is masked with the same values as the rest.
    It keeps the lines too, for the verbs that show them again in the job summary."""

    def __init__(self, log: Log) -> None:
        self._log = log
        self.masked: list[str] = []
        self.lines: list[str] = []

    def info(self, line: str) -> None:
        self.lines.append(line)
        self._log.info(line)

    def group(self, title: str) -> Any:
        return self._log.group(title)

    def mask(self, value: str) -> None:
        self.masked.append(value)
        self._log.mask(value)
