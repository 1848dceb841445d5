"""The git plumbing behind `retro checkpoint reset` and `publish`: commits made without touching
anyone's working tree, index or current branch."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cli.errors import CLIError, ExitCode

# Published checkpoint commits are the same bytes every time: fixed author, committer and date.
COURSE_AUTHOR = {
    "GIT_AUTHOR_NAME": "RetroSocial course",
    "GIT_AUTHOR_EMAIL": "course@retrosocial.invalid",
    "GIT_AUTHOR_DATE": "2025-04-02T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "RetroSocial course",
    "GIT_COMMITTER_EMAIL": "course@retrosocial.invalid",
    "GIT_COMMITTER_DATE": "2025-04-02T00:00:00+00:00",
}
FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "retro",
    "GIT_AUTHOR_EMAIL": "retro@localhost",
    "GIT_COMMITTER_NAME": "retro",
    "GIT_COMMITTER_EMAIL": "retro@localhost",
}


def git(
    repo: Path,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
) -> str:
    if shutil.which("git") is None:
        raise CLIError("git is not installed", code=ExitCode.ERROR, hint="install git first")
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=120,
    )
    if check and result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise CLIError(
            f"git {args[0]} failed in {repo}: {message[-1] if message else result.returncode}",
            code=ExitCode.ERROR,
        )
    return result.stdout.strip()


def toplevel(folder: Path) -> Path | None:
    """The root of the git work tree holding `folder`, or None when it is not in one."""
    if shutil.which("git") is None:
        return None
    result = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return Path(result.stdout.strip()).resolve() if result.returncode == 0 else None


def head(repo: Path) -> str | None:
    out = git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False)
    return out or None


def branch_commit(repo: Path, branch: str) -> str | None:
    out = git(repo, "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False)
    return out or None


def current_branch(repo: Path) -> str | None:
    out = git(repo, "symbolic-ref", "-q", "HEAD", check=False)
    return out.removeprefix("refs/heads/") if out else None


def identity(repo: Path) -> dict[str, str]:
    """The user's own git identity when they have one, else a stand-in (a commit needs one)."""
    if git(repo, "config", "user.email", check=False) and git(
        repo, "config", "user.name", check=False
    ):
        return {}
    return dict(FALLBACK_IDENTITY)


def tree_from_files(repo: Path, files: dict[str, Path | bytes]) -> str:
    """Write a tree of exactly `files` (path → file on disk, or its bytes) into `repo`'s
    objects, through an index of its own; returns the tree's id."""
    on_disk = {rel: source for rel, source in files.items() if isinstance(source, Path)}
    shas = dict(
        zip(
            on_disk,
            git(
                repo,
                "hash-object",
                "-w",
                "--no-filters",
                "--stdin-paths",
                input="".join(f"{path}\n" for path in on_disk.values()),
            ).split(),
            strict=True,
        )
    )
    entries = []
    for rel, source in sorted(files.items()):
        if isinstance(source, bytes):
            sha = git(repo, "hash-object", "-w", "--stdin", input=source.decode("utf-8"))
            mode = "100644"
        else:
            sha = shas[rel]
            mode = "100755" if os.access(source, os.X_OK) else "100644"
        entries.append(f"{mode} {sha}\t{rel}")
    with tempfile.TemporaryDirectory(prefix="retro-index-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        git(repo, "update-index", "--add", "--index-info", env=env, input="\n".join(entries) + "\n")
        return git(repo, "write-tree", env=env)


def snapshot_worktree(repo: Path, also: list[str]) -> str:
    """A tree of the work tree as it is: every file git would see (tracked, or untracked and
    not ignored), plus the paths in `also` even if ignored. Index and HEAD are untouched."""
    with tempfile.TemporaryDirectory(prefix="retro-index-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        if head(repo):
            git(repo, "read-tree", "HEAD", env=env)
        git(repo, "add", "-A", ".", env=env)
        existing = [rel for rel in also if (repo / rel).exists()]
        for start in range(0, len(existing), 200):
            git(repo, "add", "-f", "--", *existing[start : start + 200], env=env)
        return git(repo, "write-tree", env=env)


def unique_branch(repo: Path, name: str) -> str:
    candidate, number = name, 2
    while branch_commit(repo, candidate):
        candidate = f"{name}-{number}"
        number += 1
    return candidate


def cat_blobs(repo: Path, shas: list[str]) -> list[bytes]:
    """The contents of blobs, byte for byte, in the order asked (one `git cat-file --batch`)."""
    if not shas:
        return []
    result = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha in shas).encode(),
        capture_output=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise CLIError(f"git cat-file failed in {repo}", code=ExitCode.ERROR)
    out, position, blobs = result.stdout, 0, []
    for _ in shas:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        if len(header) != 3:
            raise CLIError(f"a backup's file is missing in {repo}", code=ExitCode.ERROR)
        size = int(header[2])
        blobs.append(out[end + 1 : end + 1 + size])
        position = end + 1 + size + 1
    return blobs


def is_bare(repo: Path) -> bool:
    return git(repo, "rev-parse", "--is-bare-repository", check=False) == "true"
