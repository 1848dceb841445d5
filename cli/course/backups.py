"""
What a reset (or a restore) saves first, where, and how it comes back.

A backup holds what the reset would overwrite or remove, and the student's other work in the
project: tracked files as they are in the work tree, untracked files, a vendored library that
is a git repository of its own. Never environments, caches or collected static files: they
are rebuilt, and a virtual environment alone can weigh a hundred times the project.

- In a git repository: a commit on a new branch `backup/<date>-week-N` (parent: HEAD), made
  through an index of its own: the student's branch, index and files are left alone.
- Otherwise: `<folder>-backup-<date>-week-N.tar.gz` beside the folder.

Nothing is ever written through a link that leads outside the project.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from cli.course import gitops
from cli.course.model import HEAVY_DIRS
from cli.errors import CLIError, ExitCode

# Never saved: environments, caches, collected static files, build output.
NEVER_SAVED_DIRS = (HEAVY_DIRS - {".git"}) | {
    "staticfiles",
    ".mypy_cache",
    ".tox",
    ".nox",
    "htmlcov",
    ".cache",
    "build",
    "dist",
    ".eggs",
}
NEVER_SAVED_SUFFIXES = (".pyc", ".pyo")
PROJECT_TRAILER = "Retro-Project:"
# When the backup was made, to the microsecond: a commit's own date counts whole seconds, and two
# backups of one command (the reset's, then the restore's) are often made in the same second.
MADE_TRAILER = "Retro-Made:"


@dataclass
class Backup:
    """One saved state of a project, as `retro checkpoint backups` lists it."""

    kind: str  # "branch" or "archive"
    name: str  # the branch name, or the archive's path
    project: Path
    made: datetime
    label: str  # "week 3", "before restore"
    commit: str = ""
    repo: Path | None = None
    files: int = 0

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "project": str(self.project),
            "made": self.made.isoformat(timespec="seconds"),
            "label": self.label,
            "commit": self.commit,
            "repo": str(self.repo) if self.repo else None,
            "files": self.files,
        }


# -- links -------------------------------------------------------------------------------------


def links_leaving(root: Path, rels: list[str]) -> list[tuple[str, Path]]:
    """Folders on the way to `rels` that are links leading outside `root`: writing or removing
    through them would change files elsewhere. Returns [(relative folder, where it leads)]."""
    found: dict[str, Path] = {}
    for rel in rels:
        folder = root
        parts = PurePosixPath(rel).parts[:-1]
        for index, part in enumerate(parts):
            folder = folder / part
            if folder.is_symlink():
                target = folder.resolve()
                if not target.is_relative_to(root):
                    found["/".join(parts[: index + 1])] = target
                break
            if not folder.is_dir():
                break
    return sorted(found.items())


def refuse_links(root: Path, rels: list[str], doing: str) -> None:
    leaving = links_leaving(root, rels)
    if leaving:
        rel, target = leaving[0]
        raise CLIError(
            f"{root / rel} is a link to {target}, outside the project: {doing} never writes "
            "through it, so nothing was changed",
            code=ExitCode.PROJECT,
            hint="replace the link with a real folder (copy its files in), then try again",
        )


# -- what a backup holds -----------------------------------------------------------------------


def saved(rel: str, venvs: set[str]) -> bool:
    """Whether a file (relative POSIX path) belongs in a backup."""
    parts = rel.split("/")
    if any(part in NEVER_SAVED_DIRS for part in parts[:-1]) or rel.endswith(NEVER_SAVED_SUFFIXES):
        return False
    return not any(rel.startswith(folder + "/") for folder in venvs)


def walk_saved(root: Path, start: Path | None = None) -> list[str]:
    """The files under `start` (default `root`) a backup holds, relative to `root`: links are
    kept as links, never followed; .git folders, environments and caches are left out."""
    found = []
    for dirpath, dirnames, filenames in os.walk(start or root):
        here = Path(dirpath)
        if (here / "pyvenv.cfg").is_file():  # a virtual environment, whatever its name
            dirnames[:] = []
            continue
        dirnames[:] = sorted(
            name
            for name in dirnames
            if name not in NEVER_SAVED_DIRS and name != ".git" and not (here / name).is_symlink()
        )
        rel_dir = here.relative_to(root).as_posix()
        links = [name for name in os.listdir(here) if (here / name).is_symlink()]
        for name in sorted(set(filenames) | set(links)):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if not rel.endswith(NEVER_SAVED_SUFFIXES):
                found.append(rel)
    return found


def _venvs(top: Path, rels: list[str]) -> set[str]:
    """Folders among the parents of `rels` that hold a virtual environment (pyvenv.cfg)."""
    folders: set[str] = set()
    checked: set[str] = set()
    for rel in rels:
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in checked:
                continue
            checked.add(folder)
            if (top / folder / "pyvenv.cfg").is_file():
                folders.add(folder)
    return folders


# -- saving ------------------------------------------------------------------------------------


def save(root: Path, touched: list[str], label: str, stamp: str, message: str) -> str:
    """Save the project at `root` before it changes; `touched` are the project-relative paths
    the change writes or removes (saved even when ignored). Returns where, in words."""
    if not root.exists() or not any(
        entry.name != ".git" for entry in root.iterdir()
    ):  # a new folder, or one that only holds `git init`
        return "nothing to save: the folder was empty"
    top = gitops.toplevel(root)
    if top is not None:
        inside = root.relative_to(top)
        prefix = "" if str(inside) == "." else inside.as_posix() + "/"
        tree = snapshot(top, [prefix + rel for rel in touched])
        parent = gitops.head(top)
        branch = gitops.unique_branch(top, f"backup/{stamp}-{label}")
        where = inside.as_posix() if prefix else "."
        body = (
            f"{message}\n\nMade by retro: the work tree as it was, untracked files included "
            "(not virtual environments, caches or collected static files).\n\n"
            f"{PROJECT_TRAILER} {where}\n"
            f"{MADE_TRAILER} {datetime.now().astimezone().isoformat()}\n"
        )
        args = ["commit-tree", tree, "-m", body] + (["-p", parent] if parent else [])
        commit = gitops.git(top, *args, env=gitops.identity(top))
        gitops.git(top, "update-ref", f"refs/heads/{branch}", commit)
        return f"branch {branch} (commit {commit[:10]}) in {top}"
    rels = sorted(set(walk_saved(root)) | {rel for rel in touched if _exists(root / rel)})
    if not rels:
        return "nothing to save: the folder held no files of a project"
    archive = _unique(root.parent / f"{root.name}-backup-{stamp}-{label}.tar.gz")
    partial = archive.with_name(f".{archive.name}.partial")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            for rel in rels:
                tar.add(root / rel, arcname=f"{root.name}/{rel}", recursive=False)
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    return f"archive {archive}"


def _exists(path: Path) -> bool:
    return path.is_symlink() or path.is_file()


def _unique(path: Path) -> Path:
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(path.name.replace(".tar.gz", f"-{number}.tar.gz"))
        number += 1
    return candidate


def snapshot(top: Path, also: list[str]) -> str:
    """A tree of the work tree at `top` as a backup holds it: HEAD's entries, every tracked or
    untracked-and-not-ignored file as it is on disk (a nested repository's files included),
    and the paths in `also` even if ignored. Written through an index of its own, with
    hash-object, so a nested repository never stops it; HEAD and the index are untouched."""
    entries: dict[str, tuple[str, str]] = {}  # path -> (mode, sha)
    if gitops.head(top):
        for line in gitops.git(top, "ls-tree", "-r", "-z", "--full-tree", "HEAD").split("\0"):
            if line:
                meta, path = line.split("\t", 1)
                mode, _, sha = meta.split()
                entries[path] = (mode, sha)
    tracked = set(entries) | {
        path for path in gitops.git(top, "ls-files", "-z").split("\0") if path
    }
    others = []
    for path in gitops.git(top, "ls-files", "-z", "--others", "--exclude-standard").split("\0"):
        if not path:
            continue
        if path.endswith("/"):  # a git repository of its own: its files, as plain files
            others.extend(walk_saved(top, top / path.rstrip("/")))
        else:
            others.append(path)
    venvs = _venvs(top, others)
    wanted = {path for path in tracked | set(others) if saved(path, venvs)}
    wanted |= {path for path in also if _exists(top / path)}
    files, links = [], []
    for path in sorted(wanted):
        full = top / path
        if full.is_symlink():
            links.append(path)
        elif full.is_file():
            files.append(path)
        elif full.is_dir() and path in entries:
            continue  # a submodule: keep HEAD's entry
        else:
            entries.pop(path, None)  # deleted in the work tree
    if files:
        shas = gitops.git(
            top,
            "hash-object",
            "-w",
            "--no-filters",
            "--stdin-paths",
            input="".join(f"{path}\n" for path in files),
        ).split()
        for path, sha in zip(files, shas, strict=True):
            mode = "100755" if os.access(top / path, os.X_OK) else "100644"
            entries[path] = (mode, sha)
    for path in links:
        sha = gitops.git(top, "hash-object", "-w", "--stdin", input=os.readlink(top / path))
        entries[path] = ("120000", sha)
    lines = [f"{mode} {sha}\t{path}" for path, (mode, sha) in sorted(entries.items())]
    with tempfile.TemporaryDirectory(prefix="retro-index-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        if lines:
            gitops.git(top, "update-index", "--add", "--index-info", env=env,
                       input="\n".join(lines) + "\n")  # fmt: skip
        return gitops.git(top, "write-tree", env=env)


# -- listing -----------------------------------------------------------------------------------


def find(root: Path) -> list[Backup]:
    """The backups of the project at `root`, oldest first."""
    found: list[Backup] = []
    top = gitops.toplevel(root) if root.is_dir() else None
    if top is not None:
        inside = root.relative_to(top).as_posix()
        refs = gitops.git(
            top,
            "for-each-ref",
            "--format=%(refname:short)%00%(objectname)%00%(committerdate:iso-strict)",
            "refs/heads/backup/",
        )
        for line in refs.splitlines():
            branch, commit, date = line.split("\0")
            body = gitops.git(top, "log", "-1", "--format=%B", commit)
            project = [
                text.split(":", 1)[1].strip()
                for text in body.splitlines()
                if text.startswith(PROJECT_TRAILER)
            ]
            if project and project[-1] != inside:
                continue  # another project's backup in the same repository
            made = [
                text.split(":", 1)[1].strip()
                for text in body.splitlines()
                if text.startswith(MADE_TRAILER)
            ]
            prefix = "" if inside == "." else inside + "/"
            count = len(
                [
                    p
                    for p in gitops.git(top, "ls-tree", "-r", "--name-only", commit).splitlines()
                    if p.startswith(prefix)
                ]
            )
            found.append(
                Backup(
                    "branch",
                    branch,
                    root,
                    _made(made[-1] if made else "", date),
                    _label(branch),
                    commit=commit,
                    repo=top,
                    files=count,
                )
            )
    for archive in root.parent.glob(f"{root.name}-backup-*.tar.gz"):
        rest = archive.name[len(root.name) + len("-backup-") :]
        if not rest[:4].isdigit():
            continue  # e.g. another folder whose name starts like this one
        try:
            with tarfile.open(archive) as tar:
                count = sum(1 for member in tar.getmembers() if not member.isdir())
        except (OSError, EOFError, tarfile.TarError):
            count = 0  # damaged: listed all the same, and `restore` says why it cannot read it
        made = datetime.fromtimestamp(archive.stat().st_mtime).astimezone()
        found.append(Backup("archive", str(archive), root, made, _label(archive.name), files=count))
    return sorted(found, key=lambda backup: (backup.made, backup.name))


def _made(trailer: str, committed: str) -> datetime:
    """When a backup commit was made: its trailer's time, else (a backup of an older retro, or a
    trailer edited by hand) its committer date; local and aware, as the archives' times are."""
    try:
        return datetime.fromisoformat(trailer).astimezone()
    except ValueError:
        return datetime.fromisoformat(committed).astimezone()


def _label(name: str) -> str:
    stem = name.removesuffix(".tar.gz")
    if "-before-restore" in stem:
        return "before a restore"
    if "-week-" in stem:
        number = stem.rsplit("-week-", 1)[1].split("-")[0]
        return f"before week {number}"
    return ""


def choose(root: Path, name: str | None) -> Backup:
    backups = find(root)
    if not backups:
        raise CLIError(
            f"{root} has no backups",
            code=ExitCode.NOT_FOUND,
            hint="retro checkpoint reset saves one before it changes anything",
        )
    if name is None:
        return backups[-1]
    for backup in backups:
        if name in {backup.name, Path(backup.name).name} or (
            backup.kind == "archive" and Path(name).expanduser().resolve() == Path(backup.name)
        ):
            return backup
    names = ", ".join(Path(backup.name).name for backup in backups[-3:])
    raise CLIError(
        f"no backup named {name!r} for {root}",
        code=ExitCode.NOT_FOUND,
        hint=f"retro checkpoint backups --path {root} lists them (the latest: {names})",
    )


# -- restoring ---------------------------------------------------------------------------------


@dataclass
class Saved:
    """One file in a backup: its bytes, and whether it is executable or a link."""

    data: bytes
    mode: str  # "100644", "100755" or "120000"


def contents(backup: Backup) -> dict[str, Saved]:
    """The project's files as the backup holds them: project-relative path → Saved."""
    files: dict[str, Saved] = {}
    if backup.kind == "branch":
        assert backup.repo is not None
        inside = backup.project.relative_to(backup.repo).as_posix()
        prefix = "" if inside == "." else inside + "/"
        listing = gitops.git(backup.repo, "ls-tree", "-r", "-z", "--full-tree", backup.commit)
        wanted = []
        for line in listing.split("\0"):
            if not line:
                continue
            meta, path = line.split("\t", 1)
            mode, kind, sha = meta.split()
            if kind == "blob" and path.startswith(prefix):
                wanted.append((path[len(prefix) :], mode, sha))
        blobs = gitops.cat_blobs(backup.repo, [sha for _, _, sha in wanted])
        for (rel, mode, _sha), data in zip(wanted, blobs, strict=True):
            files[rel] = Saved(data, mode)
        return files
    try:
        return _archive_contents(Path(backup.name))
    except (OSError, EOFError, tarfile.TarError) as error:
        raise CLIError(
            f"cannot read the backup {backup.name}: {error}", code=ExitCode.PROJECT
        ) from None


def _archive_contents(archive: Path) -> dict[str, Saved]:
    files: dict[str, Saved] = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            if len(parts) < 2 or ".." in parts or PurePosixPath(member.name).is_absolute():
                continue
            rel = "/".join(parts[1:])
            if member.issym():
                files[rel] = Saved(member.linkname.encode(), "120000")
            elif member.isfile():
                extracted = tar.extractfile(member)
                data = extracted.read() if extracted else b""
                files[rel] = Saved(data, "100755" if member.mode & 0o111 else "100644")
    return files


def write(root: Path, rel: str, item: Saved) -> None:
    """Put one saved file back exactly (a link as a link), never through a link."""
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    if item.mode == "120000":
        os.symlink(item.data.decode(), target)
        return
    target.write_bytes(item.data)
    target.chmod(0o755 if item.mode == "100755" else 0o644)


def same(root: Path, rel: str, item: Saved) -> bool:
    target = root / rel
    if item.mode == "120000":
        return target.is_symlink() and os.readlink(target) == item.data.decode()
    if target.is_symlink() or not target.is_file():
        return False
    executable = os.access(target, os.X_OK)
    return target.read_bytes() == item.data and executable == (item.mode == "100755")


def remove(root: Path, rel: str) -> None:
    """Remove one file, then the folders it leaves empty (never the project's own folder)."""
    (root / rel).unlink()
    folder = (root / rel).parent
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def now_stamp() -> str:
    return datetime.now().strftime("%Y-%m-%d")
