"""
Reading a lesson (lessons/week-N.md).

The format, which the replay (cli/course/replay.py) relies on:

- `## N. Title` starts step N. Other `## ` headings (such as "If it broke") are not steps.
- A fenced block whose info string has a title names a file and is a *listing*:
  ```python title="posts/models.py"   → the whole file, exactly
  ```diff title="retrosocial/settings.py"   → a change to the file, as unified-diff hunks
  ```python title="retrosocial/live.py" get   → the whole file, which the student gets with
  `retro lesson get N PATH` (shown in the same step) and reads instead of typing
- ```console blocks show shell commands, one per `$ ` line, each followed by what it prints.
  `needs="postgres"` (or redis, heroku, network) marks commands that need a service.
- ```pycon blocks show an interactive Python session (`>>> ` and what it prints).
- Any other fenced block is an illustration: it names no file and is not replayed.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from cli.errors import CLIError, ExitCode

STEP_HEADING = re.compile(r"^## (\d+)\. (.+?)\s*$")
FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")


@dataclass
class Command:
    text: str  # the command line, without the prompt
    output: str  # what the lesson says it prints ("" when it shows nothing)
    line: int


@dataclass
class Block:
    lang: str
    attrs: dict[str, str]
    body: str
    line: int  # 1-based line of the opening fence
    step: int | None  # the step it is in, None before the first step or after the last

    @property
    def path(self) -> str | None:
        return self.attrs.get("title")

    @property
    def kind(self) -> str:
        if self.path:
            return "diff" if self.lang == "diff" else "listing"
        if self.lang in {"console", "pycon"}:
            return self.lang
        return "code"

    @property
    def given(self) -> bool:
        """A whole file the student gets with `retro lesson get`, to read rather than type."""
        return self.kind == "listing" and "get" in self.attrs

    @property
    def typed_lines(self) -> int:
        """How many lines the student types for this block: a listing's lines, a diff's added
        lines, nothing for a file they get or for anything that is not a listing."""
        if self.kind == "listing" and not self.given:
            return len(self.body.rstrip("\n").split("\n"))
        if self.kind == "diff":
            return sum(1 for line in self.body.split("\n") if line.startswith("+"))
        return 0

    @property
    def needs(self) -> list[str]:
        return [item for item in self.attrs.get("needs", "").split(",") if item]

    def commands(self) -> list[Command]:
        """The `$ ` commands of a console block, with the lines each prints."""
        commands: list[Command] = []
        lines = self.body.split("\n")
        index = 0
        while index < len(lines):
            line = lines[index]
            if line.startswith("$ "):
                text = line[2:]
                start = self.line + 1 + index
                while text.endswith("\\") and index + 1 < len(lines):
                    index += 1
                    text = text[:-1] + " " + lines[index].strip()
                commands.append(Command(text=text.strip(), output="", line=start))
            elif commands:
                commands[-1].output += line + "\n"
            elif line.strip():
                raise CLIError(
                    f"line {self.line + 1 + index}: console output before any `$ ` command",
                    code=ExitCode.PROJECT,
                )
            index += 1
        for command in commands:
            command.output = command.output.rstrip("\n")
        return commands


@dataclass
class Step:
    number: int
    title: str
    line: int
    markdown: str = ""


@dataclass
class Lesson:
    path: Path
    title: str
    markdown: str
    steps: list[Step] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def step(self, number: int) -> Step:
        for step in self.steps:
            if step.number == number:
                return step
        raise CLIError(
            f"{self.path.name} has no step {number}",
            code=ExitCode.NOT_FOUND,
            hint=f"its steps are 1 to {len(self.steps)}",
        )

    def find_step(self, words: str) -> Step:
        """The one step whose title contains `words` (case-insensitive)."""
        found = [step for step in self.steps if words.lower() in step.title.lower()]
        if len(found) != 1:
            raise LookupError(f"{len(found)} steps of {self.path.name} are titled like {words!r}")
        return found[0]

    @property
    def listings(self) -> list[Block]:
        return [block for block in self.blocks if block.kind in {"listing", "diff"}]

    @property
    def typed_lines(self) -> int:
        """Lines of code the student types this week (see Block.typed_lines)."""
        return sum(block.typed_lines for block in self.blocks if block.step is not None)

    @property
    def given_files(self) -> list[str]:
        return [block.path for block in self.blocks if block.given and block.path]


def parse_info(info: str) -> tuple[str, dict[str, str]]:
    try:
        words = shlex.split(info)
    except ValueError:
        words = info.split()
    if not words:
        return "", {}
    attrs = {}
    for word in words[1:]:
        key, _, value = word.partition("=")
        attrs[key] = value
    return words[0], attrs


def parse(path: Path) -> Lesson:
    try:
        markdown = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CLIError(f"cannot read the lesson {path}: {error}", code=ExitCode.PROJECT) from None
    return parse_text(markdown, path)


def parse_text(markdown: str, path: Path) -> Lesson:
    lines = markdown.split("\n")
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), path.stem)
    lesson = Lesson(path=path, title=title, markdown=markdown)
    step: Step | None = None
    step_start = 0
    fence: str | None = None
    block_lines: list[str] = []
    block_start = 0
    lang, attrs = "", {}

    def close_step(end: int) -> None:
        if step is not None:
            step.markdown = "\n".join(lines[step_start:end]).rstrip() + "\n"

    for index, line in enumerate(lines):
        if fence is not None:
            if line.startswith(fence) and line.strip() == fence:
                lesson.blocks.append(
                    Block(
                        lang=lang,
                        attrs=attrs,
                        body="\n".join(block_lines) + "\n",
                        line=block_start + 1,
                        step=step.number if step else None,
                    )
                )
                fence = None
            else:
                block_lines.append(line)
            continue
        opening = FENCE.match(line)
        if opening:
            fence, block_lines, block_start = opening.group(1), [], index
            lang, attrs = parse_info(opening.group(2))
            continue
        if line.startswith("## "):
            close_step(index)
            heading = STEP_HEADING.match(line)
            step = Step(int(heading.group(1)), heading.group(2), index + 1) if heading else None
            step_start = index
            if step:
                lesson.steps.append(step)
    if fence is not None:
        raise CLIError(
            f"{path.name}: the code block at line {block_start + 1} is never closed",
            code=ExitCode.PROJECT,
        )
    close_step(len(lines))
    return lesson
