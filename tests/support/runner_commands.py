"""Which workflow commands the GitHub runner would execute in a step's output: a port of its parser.

The runner reads a step's stdout and stderr alike (ContainerActionHandler hands both streams to
an OutputManager). Everything here follows actions/runner (commit 258d6c8, 2026-08):

- src/Runner.Sdk/ProcessInvoker.cs, StartReadStream: lines come from .NET's
  `StreamReader.ReadLine`, which ends a line at `\\n`, at `\\r`, or at `\\r\\n`: a bare `\\r`
  in a value starts a new line for the parser, whatever a terminal shows.
- src/Runner.Worker/Handlers/OutputManager.cs, OnDataReceived: a line that holds `##[` or
  `::` anywhere goes to ActionCommandManager.TryProcessCommand.
- src/Runner.Worker/ActionCommandManager.cs, TryProcessCommand: `TryParseV2`, else `TryParse`,
  against the registered command names; after `::stop-commands::TOKEN` only `TOKEN` is
  registered until `::TOKEN::` resumes.
- src/Runner.Common/ActionCommand.cs:
  - TryParseV2: the line, after `TrimStart()` (every Unicode white space), starts with `::`;
    the next `::` ends the command info; the name is the info up to the first space;
    properties are `k=v` separated by `,`.
  - TryParse: `##[` *anywhere* in the line; the next `]` ends the command info; properties
    are separated by `;`.

`executed(text)` returns every command the runner would run, in order. Tests assert that
what the tool prints yields only the commands it meant to give (see `injected`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# ActionCommandManager.Initialize: `stop-commands` plus every IActionCommandExtension's name
# except `internal-set-repo-path` (registered only while a runner plugin runs).
REGISTERED = frozenset(
    {
        "stop-commands",
        "set-env",
        "set-output",
        "save-state",
        "add-mask",
        "add-path",
        "add-matcher",
        "remove-matcher",
        "debug",
        "warning",
        "error",
        "notice",
        "group",
        "endgroup",
        "echo",
    }
)

# What compose-ecs-deploy itself prints as commands (github-action-utils' writers).
OURS = frozenset({"add-mask", "group", "endgroup", "error", "warning", "notice", "debug"})


@dataclass(frozen=True)
class Executed:
    """One command the runner would execute, and how it found it."""

    name: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""
    via: str = "::"  # "::" (TryParseV2) or "##[" (TryParse)
    line: str = ""


def runner_lines(text: str) -> list[str]:
    """The lines as StreamReader.ReadLine gives them: split at `\\r\\n`, `\\r` or `\\n`."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()  # ReadLine returns no empty line after a final line break
    return lines


def _unescape(value: str, pairs: Iterable[tuple[str, str]]) -> str:
    for token, replacement in pairs:
        value = value.replace(replacement, token)
    return value


# ActionCommand's _escapeMappings, _escapeDataMappings, _escapePropertyMappings, in its order.
_LEGACY = ((";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D"), ("%", "%25"))
_DATA = (("\r", "%0D"), ("\n", "%0A"), ("%", "%25"))
_PROPERTY = (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25"))


def _dotnet_trim_start(text: str) -> str:
    """String.TrimStart(): removes leading characters for which Char.IsWhiteSpace is true
    (Unicode categories Zs, Zl, Zp, plus U+0009-U+000D, U+0085); Python's isspace() is that
    set plus U+001C-U+001F, which only makes this port stricter."""
    return text.lstrip()


def _properties(text: str, separator: str, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """`k=v` items split at `separator`; an item without both parts is skipped, as the runner
    does (`StringSplitOptions.RemoveEmptyEntries`); keys compare case-insensitively there."""
    properties = {}
    for item in text.split(separator):
        pair = [part for part in item.split("=", 1) if part]
        if len(pair) == 2:
            properties[pair[0].lower()] = _unescape(pair[1], pairs)
    return properties


def try_parse_v2(line: str, registered: frozenset[str]) -> Executed | None:
    message = _dotnet_trim_start(line)
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if name not in registered:
        return None
    properties = _properties(info[space + 1 :].strip() if space > 0 else "", ",", _PROPERTY)
    return Executed(name, properties, _unescape(message[end + 2 :], _DATA), "::", line)


def try_parse(line: str, registered: frozenset[str]) -> Executed | None:
    prefix = line.find("##[")
    if prefix < 0:
        return None
    bracket = line.find("]", prefix)
    if bracket < 0:
        return None
    info = line[prefix + 3 : bracket]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if name not in registered:
        return None
    properties = _properties(info[space + 1 :] if space > 0 else "", ";", _LEGACY)
    return Executed(name, properties, _unescape(line[bracket + 1 :], _LEGACY), "##[", line)


def _read(text: str) -> list[tuple[str, Executed | None]]:
    """Each line of `text` with the command the runner executes from it (None: a log line),
    stop-commands honoured (ActionCommandManager.TryProcessCommand)."""
    registered = set(REGISTERED)
    stop_token: str | None = None
    read: list[tuple[str, Executed | None]] = []
    for line in runner_lines(text):
        command = None
        if line and ("##[" in line or "::" in line):
            frozen = frozenset(registered)
            command = try_parse_v2(line, frozen) or try_parse(line, frozen)
        if command is not None and stop_token is not None:
            if command.name.lower() == stop_token.lower():
                registered = set(REGISTERED)
                stop_token = None
            else:
                command = None  # stopped: the line is logged as it is
        elif command is not None and command.name == "stop-commands" and command.data:
            stop_token = command.data
            registered = {stop_token}
        read.append((line, command))
    return read


def executed(text: str) -> list[Executed]:
    """Every command the runner would execute in `text` (one stream of a step's output)."""
    return [command for _, command in _read(text) if command is not None]


def shown(text: str) -> str:
    """`text` as the step's log shows it: a line the runner takes as a command is not logged
    (OutputManager.OnDataReceived returns once TryProcessCommand took it; `add-mask` has
    OmitEcho, so even with echo on only `::add-mask::***` would show), and each value given to
    `add-mask` is replaced by `***` in the lines after it (AddMaskCommandExtension:
    HostContext.SecretMasker.AddValue). What reaches the log: what tests check for secrets."""
    masks: list[str] = []
    logged = []
    for line, command in _read(text):
        if command is None or command.name == "stop-commands" or command.name not in REGISTERED:
            # a log line; stop-commands and its resume token are logged as they are too
            for value in sorted(masks, key=len, reverse=True):
                line = line.replace(value, "***")
            logged.append(line)
        elif command.name == "add-mask" and command.data.strip():
            masks.append(command.data)
    return "\n".join(logged)


def injected(text: str) -> list[Executed]:
    """The commands in `text` that compose-ecs-deploy did not mean to give.

    Ours are only `::name ...::data` at a line's start (never `##[`), with names from OURS,
    the annotations' properties among those the tool sets and their title its own (what
    they say may quote hostile text: the runner shows it as the annotation's words).
    Anything else was smuggled in by text the tool printed.
    """
    bad = []
    for command in executed(text):
        ours = (
            command.via == "::"
            and command.name in OURS
            and command.line.startswith("::")
            and set(command.properties) <= {"title", "file", "line", "col", "endline"}
            and command.properties.get("title", "compose-ecs-deploy").startswith(
                "compose-ecs-deploy"
            )
        )
        if not ours:
            bad.append(command)
    return bad
