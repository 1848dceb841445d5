"""
The course as a static site: `make course` builds the lessons into build/course/ with
MkDocs and Material for MkDocs, in strict mode (a broken link or a missing picture fails).

The lessons are not MkDocs pages as they are: this writes a docs folder of its own under
build/course-src/ (never into lessons/), where each lesson becomes a page with

- its steps (`## N. Title`) anchored as #step-N, listed in the navigation under the week;
- listings titled with their file (`title="posts/models.py"`), highlighted;
- console and pycon blocks whose copy button copies the commands only: not the `$ ` or
  `>>> ` prompt, not what they print (the block carries a data-copy attribute that Material's
  copy button takes instead of the block's text);
- the checkpoint box as a "checkpoint" admonition, with its pictures (lessons/pictures/);
- a box at the top naming the week's checkpoint branch (a link when RETRO_COURSE_REPO_URL,
  or --repo-url, names where the instructor published the branches).

The site needs no server and nothing from the network (no web fonts; search works from
file:// through Material's offline plugin): open build/course/index.html, or copy the folder
to any static host.

    python course/site.py                     # build/course/
    python course/site.py --out /tmp/course   # elsewhere
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cli.course import lesson as lessons  # noqa: E402  (after the path above)
from cli.course import model  # noqa: E402

BUILD = ROOT / "build" / "course"
SOURCE = ROOT / "build" / "course-src"
ASSETS = Path(__file__).resolve().parent / "assets"
CHECKPOINT_BOX = re.compile(r"^> \*\*Checkpoint — week (\d+)\.\*\*\s*(.*)$")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def step_anchor(number: int) -> str:
    return f"step-{number}"


def page_name(week: model.Week) -> str:
    return f"week-{week.number}.md"


def copy_text(lang: str, body: str) -> str:
    """What a console or pycon block's copy button copies: its commands, without prompts or
    what they print."""
    if lang == "console":
        lines = []
        for line in body.split("\n"):
            if line.startswith("$ "):
                lines.append(line[2:])
            elif lines and lines[-1].endswith("\\"):
                lines.append(line)  # a command continued on the next line
        return "\n".join(lines)
    return "\n".join(
        line[4:]
        for line in body.split("\n")
        if line.startswith((">>> ", "... ")) or line in {">>>", "..."}
    )


def _fence_info(lang: str, attrs: dict[str, str]) -> str:
    title = attrs.get("title")
    if not title:
        return lang
    return f'{lang} title="{title}"'


def to_page(markdown: str, week: model.Week, repo_url: str = "") -> str:
    """A lesson's Markdown as a page of the site (see the module's docstring)."""
    lines = markdown.split("\n")
    out: list[str] = []
    index = 0
    header_done = False
    while index < len(lines):
        line = lines[index]
        opening = lessons.FENCE.match(line)
        if opening:
            fence = opening.group(1)
            lang, attrs = lessons.parse_info(opening.group(2))
            end = index + 1
            while end < len(lines) and lines[end].strip() != fence:
                end += 1
            body = "\n".join(lines[index + 1 : end])
            block = [f"{fence}{_fence_info(lang, attrs)}", *lines[index + 1 : end + 1]]
            if lang in {"console", "pycon"}:
                text = html.escape(copy_text(lang, body), quote=True).replace("\n", "&#10;")
                block = [f'<div class="commands" data-copy="{text}" markdown>', "", *block, ""]
                block.append("</div>")
            out.extend(block)
            index = end + 1
            continue
        step = lessons.STEP_HEADING.match(line)
        if step:
            out.append(f"{line.rstrip()} {{ #{step_anchor(int(step.group(1)))} }}")
            index += 1
            continue
        box = CHECKPOINT_BOX.match(line)
        if box:
            body = [box.group(2)]
            index += 1
            while index < len(lines) and lines[index].startswith(">"):
                body.append(lines[index][2:] if lines[index].startswith("> ") else "")
                index += 1
            out.append(f'!!! checkpoint "Checkpoint — week {box.group(1)}"')
            out.append("")
            out.extend(f"    {text}" if text else "" for text in body)
            continue
        out.append(line)
        index += 1
        if line.startswith("# ") and not header_done:
            header_done = True
            out.extend(["", *week_box(week, repo_url), ""])
    return "\n".join(out)


def branch_link(week: model.Week, repo_url: str) -> str:
    name = f"`{week.branch}`"
    if repo_url:
        return f"[{name}]({repo_url.rstrip('/')}/tree/{week.branch})"
    return name


def week_box(week: model.Week, repo_url: str) -> list[str]:
    end = "the end of the course" if week.is_final else f"the end of week {week.number}"
    return [
        f'!!! branch "Week {week.number} · {week.title}"',
        "",
        f"    {week.summary}",
        "",
        f"    **Checkpoint branch:** {branch_link(week, repo_url)}, the whole project at {end}. "
        f"Check yours with `retro check {week.number}`; stuck, `retro lesson diff {week.number}` "
        f"shows what the week changes and `retro checkpoint reset {week.number}` puts the "
        "checkpoint in place (yours is saved first).",
    ]


def index_page(course: model.Course, parsed: dict[int, lessons.Lesson], repo_url: str) -> str:
    weeks = []
    for week in course.weeks:
        steps = len(parsed[week.number].steps)
        weeks += [
            f"### [Week {week.number} · {week.title}]({page_name(week)})",
            "",
            week.summary,
            "",
            f"{steps} steps · checkpoint branch {branch_link(week, repo_url)} · "
            f"`retro check {week.number}`",
            "",
        ]
    return "\n".join(
        [
            f"# {course.title}",
            "",
            f"**{course.subtitle}.** One lesson a week, each ending at a checkpoint: the whole "
            "project as it should be at the end of that week, a branch of its own, and "
            "`retro check N` to compare yours with it.",
            "",
            "Each lesson is also in your terminal, and this site opens from there at any step:",
            "",
            '<div class="commands" data-copy="retro lesson show 1&#10;'
            'retro lesson open 1 --step 3" markdown>',
            "",
            "```console",
            "$ retro lesson show 1",
            "$ retro lesson open 1 --step 3",
            "```",
            "",
            "</div>",
            "",
            "The pictures in each checkpoint box were taken from that week's checkpoint itself, "
            "so they show what your site should look like when the week is done.",
            "",
            *weeks,
        ]
    )


def config(course: model.Course) -> dict:
    nav = [{"The course": "index.md"}]
    nav += [{f"Week {week.number} · {week.title}": page_name(week)} for week in course.weeks]
    return {
        "site_name": f"{course.title}: the course",
        "site_description": course.subtitle,
        "docs_dir": "docs",
        "strict": True,
        "use_directory_urls": False,
        "nav": nav,
        "theme": {
            "name": "material",
            "font": False,  # the system's fonts: no request to a font service
            "language": "en",
            "palette": {"scheme": "default", "primary": "deep orange", "accent": "deep orange"},
            "features": [
                "content.code.copy",
                "navigation.top",
                "navigation.footer",
                "navigation.tracking",
                "toc.integrate",
                "toc.follow",
                "search.highlight",
            ],
        },
        "extra_css": ["assets/course.css"],
        # The offline plugin would load this shim (workers from file://, for search) from a
        # CDN; naming a copy of our own keeps the site free of requests to the network.
        "extra": {"polyfills": ["assets/iframe-worker-shim.js"]},
        "plugins": ["search", "offline"],
        "validation": {
            "omitted_files": "warn",
            "absolute_links": "warn",
            "unrecognized_links": "warn",
            "anchors": "warn",
        },
        "markdown_extensions": [
            "admonition",
            "attr_list",
            "md_in_html",
            "tables",
            {"toc": {"permalink": True, "toc_depth": 2}},
            {"pymdownx.highlight": {"anchor_linenums": False}},
            "pymdownx.inlinehilite",
            "pymdownx.superfences",
            "pymdownx.details",
        ],
    }


def write_sources(course: model.Course, source: Path, repo_url: str = "") -> None:
    import yaml

    if source.exists():
        shutil.rmtree(source)
    docs = source / "docs"
    docs.mkdir(parents=True)
    parsed = {week.number: lessons.parse(course.lesson_path(week)) for week in course.weeks}
    for week in course.weeks:
        page = to_page(parsed[week.number].markdown, week, repo_url)
        (docs / page_name(week)).write_text(page, encoding="utf-8")
    (docs / "index.md").write_text(index_page(course, parsed, repo_url), encoding="utf-8")
    pictures = course.root / "lessons" / "pictures"
    if pictures.is_dir():
        shutil.copytree(pictures, docs / "pictures")
    shutil.copytree(ASSETS, docs / "assets")
    (source / "mkdocs.yml").write_text(
        yaml.safe_dump(config(course), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


class BuildError(Exception):
    pass


def build(out: Path = BUILD, source: Path = SOURCE, repo_url: str = "") -> Path:
    """Build the site into `out`; returns the path of its index.html."""
    write_sources(model.load(ROOT), source, repo_url)
    run_mkdocs(source, out)
    return out / "index.html"


def run_mkdocs(source: Path, out: Path) -> None:
    """`mkdocs build --strict` of the sources written by write_sources; BuildError if it fails."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        # Not --quiet: it hides the warnings from strict mode too, which then fails nothing.
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean"]
        + ["--config-file", str(source / "mkdocs.yml"), "--site-dir", str(out.resolve())],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if result.returncode != 0:
        said = (result.stderr + result.stdout).splitlines()
        problems = [line for line in said if not line.startswith("INFO")]
        raise BuildError("\n".join(problems).strip() or "mkdocs build failed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the lessons into a static site.")
    parser.add_argument("--out", type=Path, default=BUILD, help="Where (default build/course).")
    parser.add_argument(
        "--repo-url",
        default=os.environ.get("RETRO_COURSE_REPO_URL", ""),
        help="Where the checkpoint branches are published (links to <url>/tree/<branch>).",
    )
    options = parser.parse_args(argv)
    started = time.monotonic()
    try:
        index = build(options.out, repo_url=options.repo_url)
    except BuildError as error:
        print(f"error: the course site did not build:\n{error}", file=sys.stderr)
        return 1
    print(f"The course site is in {index.parent} ({time.monotonic() - started:.1f} s): {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
