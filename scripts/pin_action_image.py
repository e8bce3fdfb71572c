#!/usr/bin/env python3
"""Point action.yml's `runs.image` at the prebuilt image, pinned by digest (release only).

    python3 scripts/pin_action_image.py action.yml ghcr.io/org/compose-ecs-deploy@sha256:...

The release workflow runs this on the release tag's commit after pushing the multi-arch
image, so that `uses: org/compose-ecs-deploy@v1` starts from that image instead of building
the Dockerfile on every job; `main` keeps `image: Dockerfile`. Only the one `image:` line
under `runs:` changes (comments, order and every other byte stay), and the reference must be
a lowercase GHCR-style name with a sha256 digest: a tag could move, a digest cannot.
Standard library only, so it runs on a bare runner.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REFERENCE = re.compile(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.[a-z0-9-]+)*(?::\d+)?"
    r"(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)+@sha256:[0-9a-f]{64}"
)
IMAGE_LINE = re.compile(r"^(?P<indent>[ \t]+)image:[ \t]*(?P<value>\S.*?)[ \t]*$")


class PinError(ValueError):
    """The file or the reference is not what a release can pin; the message says why."""


def pin(text: str, reference: str) -> str:
    """`text` (an action.yml) with its `runs.image` replaced by docker://`reference`."""
    if not REFERENCE.fullmatch(reference):
        raise PinError(f"{reference!r} is not IMAGE@sha256:<64 hex digits> in lowercase")
    lines = text.splitlines(keepends=True)
    in_runs = False
    found: list[int] = []
    for number, line in enumerate(lines):
        if re.match(r"^runs:[ \t]*(#.*)?$", line.rstrip("\r\n")):
            in_runs = True
        elif line[:1] not in ("", " ", "\t", "#", "\n", "\r"):
            in_runs = False  # the next top-level key
        elif in_runs and IMAGE_LINE.match(line.rstrip("\r\n")):
            found.append(number)
    if len(found) != 1:
        raise PinError(f"expected one `image:` under `runs:`, found {len(found)}")
    number = found[0]
    match = IMAGE_LINE.match(lines[number].rstrip("\r\n"))
    assert match is not None
    if match["value"] != "Dockerfile":
        raise PinError(f"runs.image is {match['value']!r}, not Dockerfile: already pinned?")
    ending = lines[number][len(lines[number].rstrip("\r\n")) :]
    lines[number] = f"{match['indent']}image: docker://{reference}{ending}"
    return "".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: pin_action_image.py ACTION_YML IMAGE@sha256:DIGEST", file=sys.stderr)
        return 2
    path = Path(argv[0])
    try:
        path.write_text(pin(path.read_text(encoding="utf-8"), argv[1]), encoding="utf-8")
    except (OSError, PinError) as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 1
    print(f"{path}: runs.image is docker://{argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
