"""Reading input files within bounds: a regular file, a size limit, YAML within budgets.

A deploy reads files that a pull request can change (compose files, env files, a base task
definition, a secrets file). A FIFO would block the read for ever, `/dev/zero` or a huge file
would fill the memory, `/proc/self/environ` would hand over the runner's credentials, and a
small YAML document of nested aliases (a "billion laughs") expands exponentially in whatever
walks it. So every file goes through `read_text`: a regular file outside the kernel's own
file systems, at most `limit` bytes, opened without blocking; and every YAML document through
`compose`: at most MAX_DEPTH levels deep and MAX_NODES nodes once its aliases are expanded.
A file that breaks a bound is an `InputError` naming it and the bound (README, "Hardening").
"""

from __future__ import annotations

import os
import stat

import yaml

from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import InputError

MiB = 1024 * 1024
FILE_LIMIT = 10 * MiB  # compose files, env files and base task definitions
SECRETS_LIMIT = 1 * MiB  # a secrets file holds NAME=ARN lines
MAX_DEPTH = 100  # real compose files nest about ten levels deep
MAX_NODES = 200_000  # nodes once aliases are expanded: real files have a few thousand
KERNEL_FILE_SYSTEMS = ("/proc", "/sys", "/dev")


def refused(path: str, what: str, reason: str, line: int | None = None) -> InputError:
    return InputError(
        f"cannot read {path}",
        [
            Diagnostic.error(
                "file-refused", f"cannot read the {what}: {reason}", file=path, line=line
            )
        ],
    )


def read_text(path: str, what: str, limit: int = FILE_LIMIT) -> str:
    """The file's text (UTF-8, a leading BOM dropped), or an InputError saying why not."""
    resolved = os.path.realpath(path)
    for top in KERNEL_FILE_SYSTEMS:
        if resolved == top or resolved.startswith(top + "/"):
            raise refused(
                path,
                what,
                f"it is in {top}, which holds the system's own state, not input files; "
                "give a regular file",
            )
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise refused(path, what, str(exc.strerror)) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise refused(path, what, "it is not a regular file (a directory, FIFO or device)")
    with os.fdopen(fd, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise refused(path, what, f"it is larger than {limit // MiB} MiB, the limit for it")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise refused(path, what, f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc


def write_text(path: str, what: str, text: str) -> None:
    """Write `text` (UTF-8) to a regular file, made or replaced: never into the kernel's file
    systems, and never to a FIFO (opening one without a reader would wait for ever), a
    device or a directory; an InputError says why not."""
    resolved = os.path.realpath(path)
    if any(resolved == top or resolved.startswith(top + "/") for top in KERNEL_FILE_SYSTEMS):
        raise InputError(
            f"cannot write {path}",
            [Diagnostic.error("file-refused", f"cannot write the {what}: it is in a system "
                              "directory (/proc, /sys, /dev); give a regular file", file=path)],
        )  # fmt: skip
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise InputError(
            f"cannot write {path}",
            [Diagnostic.error("file-refused", f"cannot write the {what}: {exc.strerror}",
                              file=path)],
        ) from exc  # fmt: skip
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(
            f"cannot write {path}",
            [Diagnostic.error("file-refused", f"cannot write the {what}: it is not a regular "
                              "file (a directory, FIFO or device)", file=path)],
        )  # fmt: skip
    with os.fdopen(fd, "wb") as file:
        file.truncate()
        file.write(text.encode("utf-8"))


class TooDeep(Exception):
    """A document nested deeper than MAX_DEPTH, at this line (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__(f"nested more than {MAX_DEPTH} levels deep at line {line}")
        self.line = line


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses a document nested deeper than MAX_DEPTH levels (PyYAML's
    composer recurses once per level: deeper input would end in a RecursionError)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # untyped stub
                raise TooDeep(mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def compose(
    text: str, path: str, what: str, loader: type[BoundedLoader] = BoundedLoader
) -> yaml.Node | None:
    """The document's node tree, refused when its aliases expand past MAX_NODES (the YAML
    errors themselves are the caller's to report, with its own wording)."""
    try:
        root = yaml.compose(text, Loader=loader)
    except TooDeep as exc:
        raise refused(
            path, what, f"it is nested more than {MAX_DEPTH} levels deep", line=exc.line
        ) from exc
    if root is not None and expanded_size(root) > MAX_NODES:
        raise refused(
            path,
            what,
            f"it expands to more than {MAX_NODES:,} values through YAML aliases (*name): "
            "a document made to exhaust the memory; write it without nested aliases",
        )
    return root


def expanded_size(root: yaml.Node) -> int:
    """How many nodes the tree has with every alias expanded, capped at MAX_NODES + 1.

    An alias is its anchor's node again, so sizes are memoised per node (linear in the
    written file); an alias inside its own anchor (`&a [*a]`) expands for ever.
    """
    over = MAX_NODES + 1
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    in_progress = {id(root)}
    while stack:  # depth-first without recursion
        node, index = stack[-1]
        children = _children(node)
        if index < len(children):
            stack[-1] = (node, index + 1)
            child = children[index]
            if id(child) in in_progress:
                return over  # a cycle
            if id(child) not in sizes:
                in_progress.add(id(child))
                stack.append((child, 0))
            continue
        stack.pop()
        in_progress.discard(id(node))
        sizes[id(node)] = min(over, 1 + sum(sizes[id(child)] for child in children))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
