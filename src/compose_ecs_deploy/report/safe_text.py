"""Text we did not write, made safe for the places others read: the job log and the summary.

The GitHub runner executes workflow commands found in a step's output (actions/runner,
commit 258d6c8):
- src/Runner.Sdk/ProcessInvoker.cs, StartReadStream: lines are read with .NET's
  `StreamReader.ReadLine`, which ends a line at `\\n`, `\\r` or `\\r\\n`;
- src/Runner.Common/ActionCommand.cs, `TryParseV2`: a line that starts with `::` once its
  leading white space is trimmed (`TrimStart`), and `TryParse`: `##[` anywhere in a line.

So a value that holds a `\\r` starts a new line for the runner, and a `##[` in a request path
that an app logged is a command. `one_line` makes any text one line the runner executes
nothing in; `lines` does the same for a block, line by line. Every escape is JSON's own
(`\\uXXXX`), and JSON text can only hold `##[` and control characters inside strings: so the
rendered task definition passes through unchanged in meaning and still parses.

The summary is GitHub-flavoured Markdown and HTML: `markdown` turns every character that
could open a link, an image, a table cell, a code span or a tag into an HTML character
reference, which renders as the character and means nothing; `fence` picks a code fence
longer than any backtick run inside (CommonMark, "Fenced code blocks"). GitHub drops a
step summary over 1 MiB (FileCommandManager.cs, `AttachmentSizeLimit = 1024 * 1024`):
`clip` shortens one value, `fit` the whole text, each with a note.
"""

from __future__ import annotations

import re
from urllib.parse import quote

SUMMARY_LIMIT = 1024 * 1024  # bytes of one step's summary (FileCommandManager.cs)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# C0 controls but tab, DEL, C1 controls, the Unicode line and paragraph separators, and the
# bidirectional controls that reorder what a reader sees ("Trojan Source", CVE-2021-42574).
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_COMMAND_START = re.compile(r"^(\s*)::")


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group(0)):04x}"


def one_line(text: str) -> str:
    """`text` as one line in which the runner finds no workflow command.

    Line breaks and control characters become `\\uXXXX`; `##[` becomes `##\\u005b`; a `::`
    at the start (after white space, as the runner trims it) becomes `:\\u003a`.
    """
    text = _CONTROL.sub(_escaped, text)
    text = text.replace("##[", "##\\u005b")
    return _COMMAND_START.sub(lambda m: f"{m.group(1)}:\\u003a", text)


def lines(text: str) -> list[str]:
    """A block of text as the runner would split it, each line made safe by `one_line`."""
    if not text:
        return []
    parts = _LINE_BREAK.split(text)
    if parts[-1] == "":
        parts.pop()
    return [one_line(part) for part in parts]


# Characters that open Markdown or HTML syntax within a line: tags and entities, code spans,
# link and image brackets, table cells, emphasis and strike-through, and the escape itself,
# written as numeric character references (they render as the character and mean nothing).
# Line-start syntax (headings, lists) cannot occur: these values never start a line.
_MARKDOWN = str.maketrans({c: f"&#{ord(c)};" for c in "&<>`*[]|~\\"} | {"\t": " "})


def markdown(text: str, *, limit: int | None = None) -> str:
    """`text` for a table cell or a sentence of the summary: rendered as written, one line."""
    if limit is not None:
        text = clip(text, limit)
    return one_line(text).translate(_MARKDOWN)


def code(text: str, *, limit: int | None = None) -> str:
    """`text` as inline code that no backtick or pipe inside can close or split."""
    return f"<code>{markdown(text, limit=limit)}</code>"


def link(text: str, url: str, *, limit: int | None = None) -> str:
    """A Markdown link whose text renders as written and whose URL no `)` or space ends
    early (everything outside a URL's own characters is percent-encoded)."""
    return f"[{markdown(text, limit=limit)}]({quote(url, safe=':/?#=&%.~_-+')})"


def fence(body: list[str], info: str = "") -> list[str]:
    """A fenced code block whose fence no line of `body` can close."""
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    marker = "`" * max(3, longest + 1)
    return [f"{marker}{info}", *body, marker]


def clip(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, and a note of how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters not shown)"


def fit(markdown_text: str, limit: int) -> str:
    """The summary cut at a line so that it takes at most `limit` bytes of UTF-8, an open
    code fence closed, and a note saying so; unchanged when it fits."""
    if len(markdown_text.encode()) <= limit:
        return markdown_text
    note = (
        "\n\n_The summary was cut here: GitHub accepts at most 1 MiB of summary per step. "
        "The step's log has all of it._\n"
    )
    budget = limit - len(note.encode()) - 16  # room for a closing fence
    kept: list[str] = []
    used = 0
    open_fence = ""
    for line in markdown_text.splitlines():
        size = len(line.encode()) + 1
        if used + size > budget:
            break
        kept.append(line)
        used += size
        stripped = line.strip()
        if stripped.startswith("```"):
            run = stripped[: len(stripped) - len(stripped.lstrip("`"))]
            if not open_fence:
                open_fence = run
            elif run == open_fence and stripped == run:
                open_fence = ""
    if open_fence:
        kept.append(open_fence)
    return "\n".join(kept) + note
