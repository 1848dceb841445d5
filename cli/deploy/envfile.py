"""
The project's `.env`: the settings `heroku local` and honcho give the Procfile's processes,
one KEY=VALUE a line. Read here so that `retro deploy local` runs with the settings the lesson
has the student write there.

The format is the common subset of honcho, the Heroku CLI and python-dotenv: blank lines and
`#` comments are skipped, `export ` in front of a name is allowed, a value may be in single
quotes (taken as it is) or double quotes (where \\n, \\t, \\" and \\\\ are escapes), and an
unquoted value ends at a ` #` comment. A variable set in the real environment wins over the
file's, as python-dotenv and docker compose do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "KEY")


class EnvFileError(ValueError):
    """A line that cannot be read (its number and why, never its value: it may be a secret)."""


@dataclass
class EnvFile:
    path: Path
    values: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # lines that are not KEY=VALUE, said why


def parse(text: str, path: Path) -> EnvFile:
    found = EnvFile(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[len("export") :].lstrip()
        name, sep, rest = line.partition("=")
        name = name.strip()
        if not sep or not NAME.fullmatch(name):
            found.skipped.append(f"line {number} is not NAME=VALUE")
            continue
        found.values[name] = _value(rest.strip(), number, path)
    return found


def _value(text: str, number: int, path: Path) -> str:
    if text[:1] == "'":
        end = text.find("'", 1)
        if end == -1:
            raise EnvFileError(f"{path}, line {number}: the value has no closing '")
        return text[1:end]
    if text[:1] == '"':
        out = []
        index = 1
        while index < len(text):
            char = text[index]
            if char == "\\" and index + 1 < len(text) and text[index + 1] in ESCAPES:
                out.append(ESCAPES[text[index + 1]])
                index += 2
                continue
            if char == '"':
                return "".join(out)
            out.append(char)
            index += 1
        raise EnvFileError(f'{path}, line {number}: the value has no closing "')
    comment = re.search(r"\s#", text)
    return (text[: comment.start()] if comment else text).strip()


def read(folder: Path) -> EnvFile | None:
    """The `.env` of `folder`, or None when there is none."""
    path = folder / ".env"
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise EnvFileError(f"cannot read {path}: {error}") from None
    return parse(text, path)


def is_secret(name: str) -> bool:
    return any(word in name.upper() for word in SECRET_WORDS)


def shown(name: str, value: str) -> str:
    """NAME=value for the screen: secrets hidden, passwords in URLs too."""
    from cli.database_url import shown_url

    if is_secret(name):
        return f"{name}=***"
    return f"{name}={shown_url(value) if '://' in value else value}"
