"""
The instructors' commands, run as an instructor runs them on students' folders: resets that
lose nothing (links, environments, missing folders, nested repositories, `git init`), their
backups listed and restored byte for byte, a dry run, a declined question, publishing into a
bare repository that a plain `git clone` checks out, and every command's help.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.course.compare import compare_trees
from cli.errors import ExitCode
from cli.main import app
from tests.checkpoints import COURSE, copy_checkpoint
from tests.course.test_commands import git, project_files
from tests.live import ROOT


@pytest.fixture
def retro(tmp_path):
    from tests.cli.helpers import Retro

    folder = tmp_path / "config"
    folder.mkdir()
    return Retro(folder, None)


def snapshot(root: Path) -> dict[str, tuple[str, bytes, bool]]:
    """Every file and link under `root` except .git: kind, bytes (or link target), executable."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if name != ".git"]
        here = Path(dirpath)
        for name in filenames + [d for d in dirnames if (here / d).is_symlink()]:
            path = here / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path).encode(), False)
            else:
                found[rel] = ("file", path.read_bytes(), os.access(path, os.X_OK))
    return found


def in_terminal(args: list[str], answer: bytes, env: dict[str, str], timeout: float = 120):
    """Run `retro ARGS` with a terminal as its standard input and output; type `answer` once
    it asks. Returns (exit status, everything it printed)."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        cwd=ROOT,
        close_fds=True,
    )
    os.close(secondary)
    printed, answered, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            printed += chunk
            if not answered and b"[y/N]" in printed:
                os.write(main, answer)
                answered = True
        elif process.poll() is not None:
            break
    status = process.wait(timeout=30)
    os.close(main)
    return status, printed.decode(errors="replace")


def student_repo(tmp_path: Path, name: str = "ada", week: int = 1) -> Path:
    project = copy_checkpoint(week, tmp_path / name)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", f"week {week}")
    return project


# -- links, environments, folders: nothing is lost ---------------------------------------------


class TestResetLosesNothing:
    def test_an_app_folder_linked_outside_the_project_is_refused_and_untouched(
        self, retro, tmp_path
    ):
        outside = copy_checkpoint(1, tmp_path / "elsewhere") / "posts"
        (outside / "mine.py").write_text("years of work\n")
        project = copy_checkpoint(1, tmp_path / "ada")
        import shutil

        shutil.rmtree(project / "posts")
        (project / "posts").symlink_to(outside, target_is_directory=True)
        before_outside, before_project = snapshot(outside), snapshot(project)

        run = retro("checkpoint", "reset", "2", "--path", str(project), "--yes")

        assert run.returncode == ExitCode.PROJECT, str(run)
        assert f"{project / 'posts'} is a link to {outside}, outside the project" in run.stderr
        assert "nothing was changed" in run.stderr
        assert snapshot(outside) == before_outside  # byte for byte
        assert snapshot(project) == before_project
        assert list(tmp_path.glob("*.tar.gz")) == []
        dry = retro("checkpoint", "reset", "2", "--path", str(project), "--dry-run")
        assert dry.returncode == ExitCode.PROJECT and "is a link to" in dry.stderr

    def test_a_link_inside_the_project_is_kept_as_a_link(self, retro, tmp_path):
        project = copy_checkpoint(2, tmp_path / "ada")
        (project / "notes").mkdir()
        (project / "notes" / "today.md").write_text("notes\n")
        (project / "posts" / "notes").symlink_to("../notes")
        run = retro("checkpoint", "reset", "1", "--path", str(project), "--yes")
        assert run.returncode == 0, str(run)
        (archive,) = tmp_path.glob("ada-backup-*-week-1.tar.gz")
        with tarfile.open(archive) as tar:
            member = tar.getmember("ada/posts/notes")
        assert member.issym() and member.linkname == "../notes"
        assert (project / "notes" / "today.md").read_text() == "notes\n"

    def test_the_backup_holds_the_work_not_the_environments(self, retro, tmp_path):
        """No .gitignore, a .venv and a venv under another name, caches, collected static
        files: the backup commit holds the student's files and none of those."""
        project = student_repo(tmp_path)
        git(project, "rm", "-q", "--cached", ".gitignore")
        (project / ".gitignore").unlink()
        for venv in (".venv", "myenv"):
            (project / venv / "lib").mkdir(parents=True)
            (project / venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
            (project / venv / "lib" / "big.so").write_bytes(os.urandom(200_000))
        (project / "posts" / "__pycache__").mkdir()
        (project / "posts" / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\0" * 1000)
        (project / "staticfiles" / "css").mkdir(parents=True)
        (project / "staticfiles" / "css" / "site.css").write_text("collected\n")
        (project / "notes.txt").write_text("my own notes\n")
        (project / "posts" / "extra.py").write_text("EXTRA = 1\n")
        (project / "db.sqlite3").write_bytes(b"the student's data")

        run = retro("checkpoint", "reset", "2", "--path", str(project), "--yes")

        assert run.returncode == 0, str(run)
        branch = git(project, "branch", "--list", "--format=%(refname:short)", "backup/*")
        saved = set(git(project, "ls-tree", "-r", "--name-only", branch).splitlines())
        assert {"notes.txt", "posts/extra.py", "posts/views.py", "db.sqlite3"} <= saved
        assert not [
            path
            for path in saved
            if path.startswith((".venv/", "myenv/", "staticfiles/")) or "__pycache__" in path
        ]
        assert git(project, "show", f"{branch}:posts/extra.py") == "EXTRA = 1"
        # the environments themselves are left where they were
        assert (project / ".venv" / "lib" / "big.so").stat().st_size == 200_000
        assert (project / "myenv" / "pyvenv.cfg").is_file()

    def test_a_mistyped_path_is_refused_unless_create(self, retro, tmp_path):
        typo = tmp_path / "class" / "adda"
        run = retro("checkpoint", "reset", "2", "--path", str(typo), "--yes")
        assert run.returncode == ExitCode.PROJECT, str(run)
        assert f"{typo} does not exist: nothing was changed" in run.stderr
        assert "--create" in run.stderr
        assert not typo.exists() and not typo.parent.exists()
        run = retro("checkpoint", "reset", "2", "--path", str(typo), "--create", "--yes")
        assert run.returncode == 0, str(run)
        assert compare_trees(project_files(typo), COURSE.checkpoint_files(COURSE.week(2))) == []

    def test_a_vendored_git_repository_inside_the_project(self, retro, tmp_path):
        project = student_repo(tmp_path)
        for vendored in (project / "vendor" / "colors", project / "posts" / "colors"):
            vendored.mkdir(parents=True)
            (vendored / "colors.py").write_text("RED = '#f00'\n")
            git(vendored, "init", "-q", "-b", "main")
            git(vendored, "add", "-A")
            git(vendored, "commit", "-q", "-m", "vendored")
            (vendored / "colors.py").write_text("RED = '#e00'  # my tweak\n")
        nested_head = git(project / "posts" / "colors", "rev-parse", "HEAD")

        run = retro("checkpoint", "reset", "3", "--path", str(project), "--yes")

        assert run.returncode == 0, str(run)
        branch = git(project, "branch", "--list", "--format=%(refname:short)", "backup/*")
        for rel in ("vendor/colors/colors.py", "posts/colors/colors.py"):
            assert git(project, "show", f"{branch}:{rel}") == "RED = '#e00'  # my tweak"
        assert compare_trees(project_files(project), COURSE.checkpoint_files(COURSE.week(3))) == []
        assert (project / "vendor" / "colors" / "colors.py").read_text().endswith("tweak\n")
        assert git(project / "posts" / "colors", "rev-parse", "HEAD") == nested_head

    def test_git_init_then_reset(self, retro, tmp_path):
        project = tmp_path / "ada"
        project.mkdir()
        git(project, "init", "-q", "-b", "main")
        run = retro("checkpoint", "reset", "2", "--path", str(project), "--yes")
        assert run.returncode == 0, str(run)
        assert "nothing to save: the folder was empty" in run.stdout
        assert compare_trees(project_files(project), COURSE.checkpoint_files(COURSE.week(2))) == []
        assert git(project, "status", "--porcelain", "--untracked-files=no") == ""

    def test_a_folder_with_only_a_virtual_environment_is_a_new_project(self, retro, tmp_path):
        project = tmp_path / "ada"
        (project / ".venv").mkdir(parents=True)
        (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
        run = retro("checkpoint", "reset", "1", "--path", str(project), "--yes")
        assert run.returncode == 0, str(run)
        assert "nothing to save" in run.stdout and list(tmp_path.glob("*.tar.gz")) == []
        assert (project / ".venv" / "pyvenv.cfg").read_text() == "home = /usr/bin\n"
        assert compare_trees(project_files(project), COURSE.checkpoint_files(COURSE.week(1))) == []

    def test_dry_run_lists_and_changes_nothing(self, retro, tmp_path):
        project = student_repo(tmp_path, week=2)
        (project / "posts" / "extra.py").write_text("EXTRA = 1\n")
        before = snapshot(project)
        run = retro("checkpoint", "reset", "1", "--path", str(project), "--dry-run")
        assert run.returncode == 0, str(run)
        assert "write   posts/views.py" in run.stdout
        assert "remove  posts/extra.py" in run.stdout and "remove  posts/forms.py" in run.stdout
        assert f"a new branch backup/<date>-week-N in {project}" in run.stdout
        assert "Dry run: nothing was changed." in run.stderr
        plans = retro("checkpoint", "reset", "1", "--path", str(project), "-n", "--json").json()
        assert plans[0]["project"] == str(project)
        assert "posts/views.py" in plans[0]["write"] and "posts/extra.py" in plans[0]["remove"]
        assert snapshot(project) == before
        assert git(project, "branch", "--list", "backup/*") == ""

    def test_declining_the_question_is_a_cancel(self, tmp_path):
        project = copy_checkpoint(2, tmp_path / "ada")
        before = snapshot(project)
        env = {**os.environ, "RETRO_CONFIG_DIR": str(tmp_path / "config"), "COLUMNS": "200"}
        status, printed = in_terminal(
            ["checkpoint", "reset", "4", "--path", str(project)], b"n\n", env
        )
        assert status == ExitCode.CANCELLED == 130, printed
        assert "Reset" in printed and "cancelled: nothing was changed" in printed
        assert snapshot(project) == before and list(tmp_path.glob("*.tar.gz")) == []
        status, printed = in_terminal(
            ["checkpoint", "reset", "4", "--path", str(project)], b"y\n", env
        )
        assert status == 0, printed
        assert compare_trees(project_files(project), COURSE.checkpoint_files(COURSE.week(4))) == []


# -- backups listed, one restored ----------------------------------------------------------------


class TestBackupsAndRestore:
    def work(self, project: Path) -> None:
        (project / "notes.txt").write_text("my own notes\n")
        with open(project / "posts" / "views.py", "a") as file:
            file.write("# my change\n")
        (project / "posts" / "extra.py").write_text("EXTRA = 1\n")
        (project / "posts" / "run.sh").write_text("#!/bin/sh\necho hi\n")
        (project / "posts" / "run.sh").chmod(0o755)
        (project / "posts" / "here").symlink_to("extra.py")

    @pytest.mark.parametrize("kind", ["git", "archive"])
    def test_restore_brings_a_backup_back_byte_for_byte(self, retro, tmp_path, kind):
        project = student_repo(tmp_path) if kind == "git" else copy_checkpoint(1, tmp_path / "ada")
        self.work(project)
        before = snapshot(project)
        assert retro("checkpoint", "reset", "3", "--path", str(project), "--yes").returncode == 0
        assert snapshot(project) != before

        listed = retro.ok("checkpoint", "backups", "--path", str(project), "--json").json()
        assert [item["label"] for item in listed] == ["before week 3"]
        assert listed[0]["kind"] == ("branch" if kind == "git" else "archive")
        shown = listed[0]["name"] if kind == "git" else Path(listed[0]["name"]).name
        table = retro("checkpoint", "backups", "--path", str(project), COLUMNS="200")
        assert table.returncode == 0 and shown in table.stdout

        run = retro("checkpoint", "restore", "--path", str(project), "--yes")
        assert run.returncode == 0, str(run)
        assert f"restored from {shown}" in run.stdout
        assert snapshot(project) == before
        labels = [
            item["label"]
            for item in retro.ok("checkpoint", "backups", "--path", str(project), "--json").json()
        ]
        assert labels == ["before week 3", "before a restore"]

    def test_restore_a_named_backup_and_its_dry_run(self, retro, tmp_path):
        project = student_repo(tmp_path)
        self.work(project)
        before = snapshot(project)
        retro.ok("checkpoint", "reset", "2", "--path", str(project), "--yes")
        first = retro.ok("checkpoint", "backups", "--path", str(project), "--json").json()[0]
        retro.ok("checkpoint", "reset", "4", "--path", str(project), "--yes")
        at_week_4 = snapshot(project)
        dry = retro("checkpoint", "restore", first["name"], "--path", str(project), "--dry-run")
        assert dry.returncode == 0 and "write   posts/extra.py" in dry.stdout, str(dry)
        assert snapshot(project) == at_week_4
        run = retro("checkpoint", "restore", first["name"], "--path", str(project), "--yes")
        assert run.returncode == 0, str(run)
        assert snapshot(project) == before

    def test_a_damaged_archive_is_a_clear_error_and_changes_nothing(self, retro, tmp_path):
        project = copy_checkpoint(1, tmp_path / "ada")
        retro.ok("checkpoint", "reset", "2", "--path", str(project), "--yes")
        (archive,) = tmp_path.glob("ada-backup-*.tar.gz")
        archive.write_bytes(archive.read_bytes()[:100])
        before = snapshot(project)
        run = retro("checkpoint", "restore", "--path", str(project), "--yes")
        assert run.returncode == ExitCode.PROJECT, str(run)
        assert f"cannot read the backup {archive}" in run.stderr
        assert snapshot(project) == before

    def test_no_backup_or_an_unknown_one(self, retro, tmp_path):
        project = copy_checkpoint(1, tmp_path / "ada")
        run = retro("checkpoint", "restore", "--path", str(project), "--yes")
        assert run.returncode == ExitCode.NOT_FOUND and "has no backups" in run.stderr
        retro.ok("checkpoint", "reset", "2", "--path", str(project), "--yes")
        run = retro("checkpoint", "restore", "backup/nope", "--path", str(project), "--yes")
        assert (
            run.returncode == ExitCode.NOT_FOUND and "no backup named 'backup/nope'" in run.stderr
        )
        assert "No backups." in retro.ok("checkpoint", "backups", "--path", str(tmp_path)).stderr


# -- publishing into a bare repository ---------------------------------------------------------


class TestPublishBare:
    def test_a_plain_clone_of_a_bare_repository_checks_out_week_1(self, retro, tmp_path):
        bare = tmp_path / "class.git"
        git(tmp_path, "init", "-q", "--bare", str(bare))
        run = retro("checkpoint", "publish", "--repo", str(bare), "--json")
        assert run.returncode == 0, str(run)
        assert run.json()["bare"] is True and run.json()["head"] == "week-1"
        clone = tmp_path / "student"
        result = subprocess.run(
            ["git", "clone", "-q", str(bare), str(clone)], capture_output=True, text=True
        )
        assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
        assert git(clone, "rev-parse", "--abbrev-ref", "HEAD") == "week-1"
        expected = COURSE.checkpoint_files(COURSE.week(1))
        assert compare_trees(project_files(clone), expected) == []
        git(clone, "checkout", "-q", "week-3")
        assert compare_trees(project_files(clone), COURSE.checkpoint_files(COURSE.week(3))) == []
        again = retro.ok("checkpoint", "publish", "--repo", str(bare), "--json").json()
        assert {b["status"] for b in again["branches"]} == {"unchanged"}

    def test_publish_creates_a_bare_repository(self, retro, tmp_path):
        bare = tmp_path / "new.git"
        retro.ok("checkpoint", "publish", "--repo", str(bare), "--bare")
        assert git(bare, "rev-parse", "--is-bare-repository") == "true"
        assert git(bare, "symbolic-ref", "HEAD") == "refs/heads/week-1"

    def test_each_branch_readme_works_in_a_clone_of_that_branch_alone(self, retro, tmp_path):
        bare = tmp_path / "class.git"
        retro.ok("checkpoint", "publish", "--repo", str(bare), "--bare")
        for week in COURSE.weeks:
            clone = tmp_path / week.branch
            git(tmp_path, "clone", "-q", "--single-branch", "--branch", week.branch, str(bare),
                str(clone))  # fmt: skip
            readme = (clone / "README.md").read_text()
            assert "checkpoints/" not in readme and "lessons/" not in readme, week.branch
            assert f"END of week {week.number}" in readme
            assert f"retro check {week.number}` in this folder" in readme
            assert "pip install -r requirements.txt" in readme
            assert (clone / "requirements.txt").is_file() and (clone / "manage.py").is_file()


# -- every instructor command explains itself --------------------------------------------------

COMMANDS = [
    ["checkpoint", "list"],
    ["checkpoint", "reset"],
    ["checkpoint", "backups"],
    ["checkpoint", "restore"],
    ["checkpoint", "publish"],
    ["class", "check"],
    ["lesson", "show"],
    ["check"],
    ["doctor"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_course_command_has_help_with_an_example(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: retro {' '.join(command)}" in result.output
    assert "Examples:" in result.output
    assert f"$ retro {' '.join(command)}" in result.output


def test_cancelled_is_one_status_in_the_help():
    result = CliRunner().invoke(app, ["--help"])
    assert "130 cancelled" in " ".join(result.output.split())


def test_the_instructors_guide_is_linked_and_its_commands_exist():
    guide = ROOT / "docs" / "instructors.md"
    assert "(docs/instructors.md)" in (ROOT / "README.md").read_text()
    text = guide.read_text()
    for heading in ("Publishing", "What students run", "Checking the whole class",
                    "What it costs in time", "Resetting", "stuck"):  # fmt: skip
        assert heading in text, heading
    commands = set()
    for line in text.splitlines():
        words = line.strip().split()
        if words[:1] == ["retro"] and len(words) > 1:
            group = CliRunner().invoke(app, [words[1], "--help"])
            assert group.exit_code == 0, line
            depth = 3 if "Commands:" in group.output and len(words) > 2 else 2
            commands.add(tuple(words[1:depth]))
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0, command
    assert {("class", "check"), ("checkpoint", "reset"), ("checkpoint", "restore")} <= commands
