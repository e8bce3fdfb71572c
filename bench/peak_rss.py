"""Run a command and write its peak resident memory, measured from a process that is small.

Why a helper: on Linux a child's ru_maxrss starts at its parent's resident size (fork copies
the high-water mark, and exec keeps the old image's peak), so os.wait4 in the bench process,
which holds a few hundred MB after streaming image builds, would report the bench's size and
not the command's. This script runs as `python -I -S` (no site, a few MB resident), forks
the command, and takes the command's own peak from os.wait4.

    python -I -S bench/peak_rss.py RESULT.json COMMAND [ARG...]

RESULT.json gets {"exit": code, "maxrss_kib": peak of the command, "floor_kib": this
helper's resident size when it forked (VmRSS: its own ru_maxrss would again be inherited),
the lowest value the command could report}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def resident_kib() -> int:
    """This process's resident size now, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: peak_rss.py RESULT.json COMMAND [ARG...]", file=sys.stderr)
        return 2
    result, command = argv[0], argv[1:]
    floor = resident_kib()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    Path(result).write_text(
        json.dumps({"exit": code, "maxrss_kib": usage.ru_maxrss, "floor_kib": floor})
    )
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
