"""
Applying a lesson's ```diff listing to a file.

A diff listing is a list of unified-diff hunks: each starts with an `@@` line (its numbers, if
any, are for the reader and are not used), then lines starting with " " (context, kept), "-"
(removed) or "+" (added); an empty line is an empty context line. Each hunk's context and
removed lines must appear exactly once in the file, after the previous hunk: a change that
could land in two places, or in none, is an error rather than a guess.
"""

from __future__ import annotations


class PatchError(Exception):
    pass


def hunks(diff: str) -> list[tuple[list[str], list[str]]]:
    """[(old lines, new lines)] of each hunk."""
    result: list[tuple[list[str], list[str]]] = []
    old: list[str] | None = None
    new: list[str] = []
    for number, line in enumerate(diff.rstrip("\n").split("\n"), start=1):
        if line.startswith(("--- ", "+++ ")) and old is None:
            continue
        if line.startswith("@@"):
            if old is not None:
                result.append((old, new))
            old, new = [], []
            continue
        if old is None:
            raise PatchError(f"diff line {number}: expected an @@ line before any change")
        if line.startswith("\\"):
            continue
        marker, text = (line[0], line[1:]) if line else (" ", "")
        if marker == " ":
            old.append(text)
            new.append(text)
        elif marker == "-":
            old.append(text)
        elif marker == "+":
            new.append(text)
        else:
            raise PatchError(f"diff line {number}: a line must start with ' ', '-' or '+'")
    if old is not None:
        result.append((old, new))
    if not result:
        raise PatchError("the diff has no hunks")
    return result


def apply(text: str, diff: str) -> str:
    lines = text.split("\n")
    trailing_newline = text.endswith("\n")
    if trailing_newline:
        lines.pop()
    cursor = 0
    for index, (old, new) in enumerate(hunks(diff), start=1):
        if not any(line.strip() for line in old):
            raise PatchError(f"hunk {index} has no context to place it by")
        wanted = [line.rstrip() for line in old]
        matches = [
            start
            for start in range(cursor, len(lines) - len(old) + 1)
            if [line.rstrip() for line in lines[start : start + len(old)]] == wanted
        ]
        if not matches:
            raise PatchError(f"hunk {index} does not match the file: {old[0].strip()!r} …")
        if len(matches) > 1:
            raise PatchError(f"hunk {index} matches {len(matches)} places in the file")
        start = matches[0]
        lines[start : start + len(old)] = new
        cursor = start + len(new)
    return "\n".join(lines) + ("\n" if trailing_newline else "")
