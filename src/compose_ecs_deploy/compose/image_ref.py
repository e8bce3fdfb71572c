"""Whether a string is an image reference `docker` would accept: checked before any write.

The grammar is distribution's reference format (github.com/distribution/reference,
reference.go and regexp.go, the rule `docker pull` and the engine use):

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ domain "/" ] path-component [ "/" path-component ]*
    domain     := host [ ":" port ]            host: DNS-like components or [IPv6]
    path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex{32,}       algorithm: [A-Za-z][A-Za-z0-9]* joined by -_+.

and the name (domain and path, without tag or digest) is at most 255 characters
(NameTotalLengthMax). ECS's own limit on `image` is 255 characters too (ContainerDefinition,
ECS API reference), so a longer reference is refused as well. Pure: no I/O.
"""

from __future__ import annotations

import re

NAME_MAX = 255
IMAGE_MAX = 255  # ContainerDefinition.image: "Up to 255 letters ... are allowed"

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"(?P<name>(?:{_HOST}(?::[0-9]+)?/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?",
    re.ASCII,
)


def image_problem(reference: str) -> str | None:
    """Why `reference` is not an image reference (never repeating it), or None when it is."""
    if not reference:
        return "it is empty"
    if len(reference) > IMAGE_MAX:
        return f"it is {len(reference)} characters long; ECS accepts at most {IMAGE_MAX}"
    match = _REFERENCE.fullmatch(reference)
    if match is None:
        if reference != reference.strip() or any(c.isspace() for c in reference):
            return "it contains white space"
        if any(c.isupper() for c in reference.split("/", 1)[-1].split(":", 1)[0]):
            return "a repository name must be lowercase"
        return (
            "it is not an image reference ([REGISTRY/]REPOSITORY[:TAG][@DIGEST], lowercase "
            "letters, digits and . _ - separators)"
        )
    if len(match.group("name")) > NAME_MAX:
        return f"its repository name is longer than {NAME_MAX} characters"
    return None
