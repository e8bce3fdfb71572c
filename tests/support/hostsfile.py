"""A marked block in /etc/hosts that maps our hostnames to 127.0.0.1, and its exact removal.

`add` appends the block (recording the exact bytes it added, and a backup of the file as it
was); `remove` takes exactly those bytes out again, so that the file is byte-identical to
what it was when nobody else changed it meanwhile. If someone did, only the lines between
our markers are removed. The file is rewritten in place (same inode, mode and owner).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

BEGIN = "# >>> compose-ecs-deploy local stack"
END = "# <<< compose-ecs-deploy local stack"


def _markers(tag: str) -> tuple[bytes, bytes]:
    return f"{BEGIN} {tag} >>>\n".encode(), f"{END} {tag} <<<\n".encode()


def block_for(tag: str, hosts: Iterable[str]) -> bytes:
    begin, end = _markers(tag)
    lines = b"".join(f"127.0.0.1 {h}\n".encode() for h in hosts)
    return begin + lines + end


def has_block(content: bytes, tag: str) -> bool:
    return _markers(tag)[0] in content


def strip_block(content: bytes, tag: str, added: bytes | None) -> bytes:
    """`content` without our block: exactly the recorded bytes, else the marked lines."""
    if added and added in content:
        return content.replace(added, b"", 1)
    begin, end = _markers(tag)
    out: list[bytes] = []
    inside = False
    for line in content.splitlines(keepends=True):
        if line == begin:
            inside = True
            continue
        if inside:
            if line == end:
                inside = False
            continue
        out.append(line)
    return b"".join(out)


def _write_in_place(path: Path, data: bytes) -> None:
    with path.open("r+b") as f:
        f.write(data)
        f.truncate()
        f.flush()


def add(path: Path, tag: str, hosts: Iterable[str], record: Path, backup: Path) -> bool:
    """Ensure our block is present and current. Returns True when the file was changed."""
    wanted = block_for(tag, hosts)
    content = path.read_bytes()
    if has_block(content, tag):
        recorded = record.read_bytes() if record.exists() else None
        if recorded and recorded.endswith(wanted) and recorded in content:
            return False
        content = strip_block(content, tag, recorded)  # stale block: replace it
    else:
        backup.parent.mkdir(parents=True, exist_ok=True)
        backup.write_bytes(content)
    added = wanted if not content or content.endswith(b"\n") else b"\n" + wanted
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_bytes(added)
    _write_in_place(path, content + added)
    return True


def remove(path: Path, tag: str, record: Path) -> bool:
    """Take our block out again. Returns True when the file was changed."""
    content = path.read_bytes()
    if not has_block(content, tag):
        record.unlink(missing_ok=True)
        return False
    recorded = record.read_bytes() if record.exists() else None
    _write_in_place(path, strip_block(content, tag, recorded))
    record.unlink(missing_ok=True)
    return True
