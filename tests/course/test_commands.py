"""
The course's commands, run as a student or an instructor runs them: `retro lesson`,
`retro check`, `retro checkpoint reset|publish|list`, `retro doctor`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from cli.course.compare import compare_trees
from tests.checkpoints import COURSE, copy_checkpoint
from tests.cli.helpers import Retro
from tests.live import ROOT


@pytest.fixture
def retro(tmp_path) -> Retro:
    folder = tmp_path / "config"
    folder.mkdir()
    return Retro(folder, None)


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
    }
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def project_files(root: Path) -> dict[str, Path]:
    return {rel: root / rel for rel in COURSE.project.files(root)}


# -- retro lesson ------------------------------------------------------------------------------


class TestLesson:
    def test_list_names_every_week(self, retro):
        run = retro.ok("lesson", "list", "--json")
        weeks = run.json()
        assert [w["week"] for w in weeks] == [w.number for w in COURSE.weeks]
        assert all(w["steps"] >= 8 and w["listings"] >= 3 for w in weeks)

    def test_show_one_step_names_its_files(self, retro):
        run = retro.ok("lesson", "show", "2", "--step", "4")
        assert "The Post model" in run.stdout
        assert "posts/models.py" in run.stdout
        assert "Step 4 of" in run.stderr

    def test_show_pages_through_the_pager_in_a_terminal(self, tmp_path):
        from tests.course.test_instructors import in_terminal

        paged = tmp_path / "paged.txt"
        env = {
            **os.environ,
            "RETRO_CONFIG_DIR": str(tmp_path),
            "PAGER": f"cat > {paged}",
            "MANPAGER": "",
        }
        status, printed = in_terminal(["lesson", "show", "2"], b"", env)
        assert status == 0, printed
        text = paged.read_text()
        assert "The Post model" in text and "posts/models.py" in text
        assert "The Post model" not in printed  # it went through the pager
        status, printed = in_terminal(["lesson", "show", "2", "--no-pager"], b"", env)
        assert status == 0 and "The Post model" in printed

    def test_show_plain_is_the_markdown(self, retro):
        run = retro.ok("lesson", "show", "week-1", "--plain")
        assert run.stdout == (ROOT / "lessons" / "week-1.md").read_text()

    def test_an_unknown_week_or_step_is_a_clear_error(self, retro):
        run = retro("lesson", "show", "9")
        assert run.returncode == 6 and "unknown week '9'" in run.stderr
        run = retro("lesson", "show", "1", "--step", "99")
        assert run.returncode == 6 and "has no step 99" in run.stderr

    def test_diff_shows_what_the_week_changes(self, retro):
        stat = retro.ok("lesson", "diff", "2", "--stat").stdout
        assert "posts/models.py" in stat and "users/urls.py" in stat
        patch = retro.ok("lesson", "diff", "1").stdout
        assert "+Django==5.2.19" in patch


# -- retro check -----------------------------------------------------------------------------


class TestCheckCommand:
    def test_passing_prints_the_table_exits_0_and_is_remembered(
        self, retro, student_python, tmp_path
    ):
        project = copy_checkpoint(1, tmp_path / "ada")
        run = retro("check", "1", "--path", str(project), "--python", student_python)
        assert run.returncode == 0, str(run)
        assert "✓" in run.stdout and "week 1 ✓" in run.stdout
        assert "Next: retro lesson show 2" in run.stdout
        assert "✓ passed" in retro.ok("lesson", "list", "--path", str(project)).stdout
        weeks = retro.ok("lesson", "list", "--path", str(project), "--json").json()
        assert weeks[0]["passed"] is True and weeks[1]["passed"] is None

    def test_failing_says_expected_seen_and_the_lesson_step_and_touches_nothing(
        self, retro, student_python, tmp_path
    ):
        project = copy_checkpoint(1, tmp_path / "ada")
        (project / "db.sqlite3").write_bytes(b"the student's own data")
        before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
        run = retro("check", "2", "--only", "--path", str(project), "--python", student_python)
        assert run.returncode == 8, str(run)
        assert "expected:" in run.stdout and "seen:" in run.stdout
        assert "retro lesson show 2 --step" in run.stdout
        assert "checks did not pass" in run.stderr
        assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before

    def test_json_lists_every_check(self, retro, student_python, tmp_path):
        project = copy_checkpoint(1, tmp_path / "ada")
        run = retro(
            "check", "2", "--only", "--json", "--path", str(project), "--python", student_python
        )
        report = run.json()
        assert report["passed"] is False and report["weeks"] == {"2": False}
        failed = [c for c in report["checks"] if c["status"] == "fail"]
        assert failed and all(c["lesson"]["week"] == 2 for c in failed)

    def test_not_a_project_folder(self, retro, tmp_path):
        run = retro("check", "1", "--path", str(tmp_path))
        assert run.returncode == 10 and "no manage.py" in run.stderr

    def test_an_unknown_week(self, retro, tmp_path):
        run = retro("check", "9", "--path", str(copy_checkpoint(1, tmp_path / "p")))
        assert run.returncode == 6 and "unknown week" in run.stderr


# -- retro checkpoint --------------------------------------------------------------------------


class TestReset:
    def student_repo(self, tmp_path: Path) -> Path:
        project = copy_checkpoint(1, tmp_path / "ada")
        git(project, "init", "-q", "-b", "main")
        git(project, "add", "-A")
        git(project, "commit", "-q", "-m", "week 1")
        (project / "notes.txt").write_text("my own notes\n")  # untracked
        with open(project / "posts" / "views.py", "a") as file:  # modified, not staged
            file.write("# my change\n")
        (project / "posts" / "extra.py").write_text("EXTRA = 1\n")  # untracked, in the app
        git(project, "add", "posts/extra.py")  # staged
        (project / ".env").write_text("SECRET_KEY=mine\n")  # ignored
        (project / "db.sqlite3").write_bytes(b"data")  # ignored
        return project

    def test_in_a_git_repository_a_backup_branch_keeps_everything(self, retro, tmp_path):
        project = self.student_repo(tmp_path)
        head, status = git(project, "rev-parse", "HEAD"), git(project, "diff", "--cached", "--stat")
        run = retro("checkpoint", "reset", "3", "--path", str(project), "--yes")
        assert run.returncode == 0, str(run)
        branch = git(project, "branch", "--list", "backup/*").strip()
        assert branch.startswith("backup/") and branch.endswith("-week-3")
        assert branch in run.stdout
        assert git(project, "show", f"{branch}:notes.txt") == "my own notes"
        assert git(project, "show", f"{branch}:posts/views.py").endswith("# my change")
        assert git(project, "show", f"{branch}:posts/extra.py") == "EXTRA = 1"
        assert git(project, "rev-parse", f"{branch}^") == head
        # the student's branch and staged changes are as they were
        assert git(project, "rev-parse", "HEAD") == head
        assert git(project, "diff", "--cached", "--stat") == status
        # the project is now the checkpoint; what is not the project's is untouched
        expected = COURSE.checkpoint_files(COURSE.week(3))
        assert compare_trees(project_files(project), expected) == []
        assert (project / "notes.txt").read_text() == "my own notes\n"
        assert (project / ".env").read_text() == "SECRET_KEY=mine\n"
        assert (project / "db.sqlite3").read_bytes() == b"data"

    def test_without_git_an_archive_beside_the_folder(self, retro, tmp_path):
        project = copy_checkpoint(3, tmp_path / "grace")
        (project / "notes.txt").write_text("notes\n")
        (project / ".venv").mkdir()
        (project / ".venv" / "big").write_bytes(b"x" * 1000)
        run = retro("checkpoint", "reset", "1", "--path", str(project), "--yes")
        assert run.returncode == 0, str(run)
        archives = list(tmp_path.glob("grace-backup-*-week-1.tar.gz"))
        assert len(archives) == 1 and str(archives[0]) in run.stdout
        with tarfile.open(archives[0]) as tar:
            names = tar.getnames()
            settings = tar.extractfile("grace/retrosocial/settings.py").read()
        assert "grace/notes.txt" in names and "grace/Procfile" in names
        assert not any(".venv" in name for name in names)
        assert (
            settings
            == (COURSE.checkpoint_dir(COURSE.week(3)) / "retrosocial/settings.py").read_bytes()
        )
        assert compare_trees(project_files(project), COURSE.checkpoint_files(COURSE.week(1))) == []
        assert not (project / "Procfile").exists()
        assert (project / "notes.txt").exists()

    def test_it_asks_first_and_changes_nothing_without_an_answer(self, retro, tmp_path):
        project = copy_checkpoint(2, tmp_path / "ada")
        before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
        run = retro("checkpoint", "reset", "4", "--path", str(project))
        assert run.returncode == 2 and "--yes" in run.stderr
        assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
        assert list(tmp_path.glob("*.tar.gz")) == []

    def test_a_whole_class_at_once(self, retro, tmp_path):
        folders = [copy_checkpoint(n, tmp_path / f"s{n}") for n in (1, 2, 4)]
        args = [arg for folder in folders for arg in ("--path", str(folder))]
        run = retro("checkpoint", "reset", "3", *args, "--yes")
        assert run.returncode == 0, str(run)
        for folder in folders:
            assert (
                compare_trees(project_files(folder), COURSE.checkpoint_files(COURSE.week(3))) == []
            )
        assert len(list(tmp_path.glob("s*-backup-*.tar.gz"))) == 3

    def test_a_folder_that_is_not_a_project_is_refused(self, retro, tmp_path):
        (tmp_path / "home").mkdir()
        (tmp_path / "home" / "thesis.txt").write_text("years of work")
        run = retro("checkpoint", "reset", "2", "--path", str(tmp_path / "home"), "--yes")
        assert run.returncode == 10 and "not a project folder" in run.stderr
        assert [p.name for p in (tmp_path / "home").iterdir()] == ["thesis.txt"]

    def test_the_course_itself_is_refused(self, retro):
        run = retro(
            "checkpoint", "reset", "2", "--path", str(ROOT / "checkpoints" / "week-1"), "--yes"
        )
        assert run.returncode == 2 and "holds the course itself" in run.stderr

    def test_an_empty_folder_becomes_the_checkpoint(self, retro, tmp_path):
        (tmp_path / "new").mkdir()
        run = retro("checkpoint", "reset", "2", "--path", str(tmp_path / "new"), "--yes")
        assert run.returncode == 0, str(run)
        assert (
            compare_trees(project_files(tmp_path / "new"), COURSE.checkpoint_files(COURSE.week(2)))
            == []
        )


class TestPublish:
    def test_one_commit_per_checkpoint_and_twice_changes_nothing(self, retro, tmp_path):
        repo = tmp_path / "class"
        first = retro("checkpoint", "publish", "--repo", str(repo), "--json")
        assert first.returncode == 0, str(first)
        branches = {b["branch"]: b for b in first.json()["branches"]}
        assert list(branches) == [week.branch for week in COURSE.weeks]
        assert {b["status"] for b in branches.values()} == {"created"}
        second = retro("checkpoint", "publish", "--repo", str(repo), "--json").json()
        assert {b["status"] for b in second["branches"]} == {"unchanged"}
        assert [b["commit"] for b in second["branches"]] == [b["commit"] for b in branches.values()]
        for week in COURSE.weeks:
            commit = branches[week.branch]["commit"]
            assert git(repo, "rev-list", "--count", commit) == "1"  # no parents
            listed = set(git(repo, "ls-tree", "-r", "--name-only", commit).splitlines())
            assert listed == set(COURSE.checkpoint_files(week)) | {"README.md"}
            assert "END of week" in git(repo, "show", f"{commit}:README.md")
        mode = git(repo, "ls-tree", branches["week-1"]["commit"], "manage.py").split()[0]
        assert mode == "100755"

    def test_a_class_checks_out_a_week(self, retro, tmp_path):
        repo = tmp_path / "class"
        retro.ok("checkpoint", "publish", "--repo", str(repo))
        clone = tmp_path / "student"
        git(tmp_path, "clone", "-q", "--branch", "week-3", str(repo), str(clone))
        expected = COURSE.checkpoint_files(COURSE.week(3))
        assert compare_trees(project_files(clone), expected) == []

    def test_a_changed_checkpoint_moves_its_branch(self, retro, tmp_path):
        course = tmp_path / "course"
        shutil.copytree(ROOT / "lessons", course / "lessons")
        shutil.copytree(ROOT / "checkpoints", course / "checkpoints")
        copy_checkpoint(COURSE.weeks[-1].number, course)
        repo = tmp_path / "class"
        env = {"RETRO_COURSE_DIR": str(course)}
        assert retro("checkpoint", "publish", "--repo", str(repo), **env).returncode == 0
        with open(course / "checkpoints" / "week-2" / "posts" / "views.py", "a") as file:
            file.write("# fixed a typo\n")
        run = retro("checkpoint", "publish", "--repo", str(repo), "--json", **env)
        statuses = {b["branch"]: b["status"] for b in run.json()["branches"]}
        assert statuses["week-2"] == "updated"
        assert {s for b, s in statuses.items() if b != "week-2"} == {"unchanged"}

    def test_not_a_repository(self, retro, tmp_path):
        (tmp_path / "stuff").mkdir()
        (tmp_path / "stuff" / "file").write_text("x")
        run = retro("checkpoint", "publish", "--repo", str(tmp_path / "stuff"))
        assert run.returncode == 10 and "not the top of a git repository" in run.stderr

    def test_list(self, retro):
        listed = retro.ok("checkpoint", "list", "--json").json()
        assert [c["branch"] for c in listed] == [week.branch for week in COURSE.weeks]


# -- retro doctor ----------------------------------------------------------------------------


class TestDoctor:
    def doctor(self, retro, project: Path, python: str, **env: str):
        return retro("doctor", "--path", str(project), "--python", python, **env)

    def test_a_ready_week_4_project(self, retro, student_python, tmp_path):
        project = copy_checkpoint(4, tmp_path / "ada")
        subprocess.run(
            [student_python, "manage.py", "migrate", "-v0"],
            cwd=project,
            env={**os.environ, "DEBUG": "1"},
            check=True,
            timeout=120,
        )
        run = self.doctor(retro, project, student_python, DEBUG="1")
        assert run.returncode == 0, str(run)
        for line in (
            "✓ Python 3.",
            "✓ a virtual environment",
            "✓ Django 5.2",
            "✓ daphne in INSTALLED_APPS",
            "✓ migrations applied",
            "– the task worker  this project has no background tasks",
            "– mail  this project has no background tasks",
        ):
            assert line in run.stdout

    def test_settings_that_refuse_to_load_say_how_to_fix_them(
        self, retro, student_python, tmp_path
    ):
        project = copy_checkpoint(3, tmp_path / "ada")
        run = self.doctor(retro, project, student_python, DEBUG="")
        assert run.returncode == 8
        assert "✗ python manage.py check" in run.stdout and "export DEBUG=1" in run.stdout

    def test_daphne_missing_and_redis_down(self, retro, student_python, tmp_path):
        project = copy_checkpoint(4, tmp_path / "ada")
        before = sorted(p.name for p in project.iterdir())
        settings = project / "retrosocial" / "settings.py"
        settings.write_text(settings.read_text().replace('    "daphne",\n', ""))
        run = self.doctor(
            retro, project, student_python, DEBUG="1", REDIS_URL="redis://127.0.0.1:9/0"
        )
        assert run.returncode == 8
        assert "✗ daphne in INSTALLED_APPS" in run.stdout
        assert "✗ Redis" in run.stdout and "start Redis" in run.stdout
        assert "✗ the database (sqlite3)" in run.stdout and "migrate" in run.stdout
        assert sorted(p.name for p in project.iterdir()) == before  # no db.sqlite3 made

    def test_the_toolkit_inside_the_projects_environment(self, retro, tmp_path):
        """Anything that puts the toolkit's folder on the project's path (a PYTHONPATH, an old
        install) shadows the apps a student has yet to write: `startapp messaging` would
        refuse, so doctor says so. Installing retro itself puts only `cli` on the path."""
        project = copy_checkpoint(1, tmp_path / "ada")
        run = self.doctor(retro, project, sys.executable, PYTHONPATH=str(ROOT))
        assert "✗ the course toolkit kept apart from your project" in run.stdout
        assert "messaging" in run.stdout
        run = self.doctor(retro, project, sys.executable)
        assert "the course toolkit kept apart from your project" not in run.stdout

    def test_heroku_cli_and_login(self, retro, student_python, tmp_path):
        from tests.deploy.conftest import FakeHeroku

        project = copy_checkpoint(1, tmp_path / "ada")
        heroku = FakeHeroku(tmp_path)
        env = {key: heroku.env()[key] for key in ("PATH", "FAKE_HEROKU_STATE", "FAKE_HEROKU_LOG")}
        run = self.doctor(retro, project, student_python, **env)
        assert "✓ the Heroku CLI" in run.stdout
        assert "– logged in to Heroku" in run.stdout and "heroku login" in run.stdout
        heroku.login("ada@example.com")
        run = self.doctor(retro, project, student_python, **env)
        assert "✓ logged in to Heroku  ada@example.com" in run.stdout

    def test_a_project_without_a_virtual_environment_says_whose_python_it_is(self, retro, tmp_path):
        project = copy_checkpoint(1, tmp_path / "ada")
        env = {"VIRTUAL_ENV": "", "DEBUG": "1"}
        run = retro("doctor", "--path", str(project), **env)
        assert run.returncode == 8, str(run)
        out = " ".join(run.stdout.split())
        assert "✗ the project's virtual environment none: no .venv/ or venv/ in" in out
        assert f"retro's own Python ({sys.executable}), not the project's" in out
        assert "python3 -m venv .venv" in out
        assert "✓ a virtual environment" not in out
        check = retro("check", "1", "--path", str(project), "--timeout", "10", "--json", **env)
        assert f"Python: {sys.executable} (retro's own Python" in " ".join(check.stderr.split())

    def test_the_projects_own_venv_is_named_as_such(self, retro, student_python, tmp_path):
        project = copy_checkpoint(1, tmp_path / "ada")
        venv = Path(student_python).parent.parent
        (project / ".venv").symlink_to(venv, target_is_directory=True)
        run = retro("doctor", "--path", str(project), "--json", VIRTUAL_ENV="", DEBUG="1")
        first = run.json()[0]
        assert first["what"].startswith("Python 3.")
        assert first["detail"] == f"{project / '.venv' / 'bin' / 'python'} (the project's .venv/)"

    def test_without_debug_the_database_and_redis_are_still_checked(
        self, retro, student_python, tmp_path
    ):
        project = copy_checkpoint(4, tmp_path / "ada")
        run = self.doctor(
            retro, project, student_python, DEBUG="",
            DATABASE_URL="postgres://postgres@127.0.0.1:9/nowhere",
            REDIS_URL="redis://127.0.0.1:9/0",
        )  # fmt: skip
        assert run.returncode == 8
        out = " ".join(run.stdout.split())
        assert "✗ python manage.py check" in out and "export DEBUG=1" in out
        assert "✗ the database (postgresql)" in out and "start PostgreSQL" in out
        assert "✗ Redis redis://127.0.0.1:9/0" in out and "start Redis" in out
        assert "(settings read with DEBUG=1)" in out

    @pytest.mark.parametrize(
        "url",
        ["postgres:///postgres", "pgsql://postgres@127.0.0.1:5432/postgres?currentSchema=public"],
        ids=["the lesson's socket URL", "forms libpq cannot read"],
    )
    def test_broken_settings_the_database_url_is_read_as_the_site_reads_it(
        self, retro, student_python, tmp_path, url
    ):
        from tests.conftest import require
        from tests.services import POSTGRES_TEST_URL, postgres_reachable

        require("postgres", postgres_reachable(), f"no PostgreSQL at {POSTGRES_TEST_URL}")
        project = copy_checkpoint(4, tmp_path / "ada")
        with (project / "retrosocial" / "settings.py").open("a") as settings:
            settings.write("\nDEBUG = (\n")  # settings that load in no mode at all
        run = self.doctor(
            retro, project, student_python, DEBUG="", DATABASE_URL=url, PGUSER="postgres"
        )
        out = " ".join(run.stdout.split())
        assert "✗ python manage.py check" in out
        assert "✓ the database (postgresql) DATABASE_URL answers" in out, out

    def migrated_final_site(self, student_python, folder: Path) -> Path:
        """The final site (background tasks, mail through the worker), migrated."""
        project = copy_checkpoint(COURSE.weeks[-1].number, folder)
        self.manage(student_python, project, "migrate", "-v0")
        return project

    def manage(self, python: str, project: Path, *argv: str) -> None:
        subprocess.run(
            [python, "manage.py", *argv],
            cwd=project, env={**os.environ, "DEBUG": "1"}, check=True, timeout=120,
        )  # fmt: skip

    def test_the_worker_and_mail_of_a_project_with_background_tasks(
        self, retro, student_python, tmp_path
    ):
        project = self.migrated_final_site(student_python, tmp_path / "ada")
        run = self.doctor(retro, project, student_python, DEBUG="1", EMAIL_HOST="", ADMINS="")
        assert run.returncode == 0, str(run)
        out = " ".join(run.stdout.split())
        assert "✓ the task worker Procfile: python manage.py db_worker; no tasks waiting" in out
        assert "– mail printed by the worker (EMAIL_HOST is unset); ADMINS is unset" in out
        assert "fix: export ADMINS=" in out

    def test_a_backlog_older_than_a_minute_means_no_worker_runs(
        self, retro, student_python, tmp_path
    ):
        from tests.smtp import MailServer

        project = self.migrated_final_site(student_python, tmp_path / "ada")
        self.manage(
            student_python, project, "shell", "-c",
            "from datetime import timedelta\n"
            "from django.utils import timezone\n"
            "from django_tasks_db.models import DBTaskResult\n"
            "from retrosocial.mail import deliver\n"
            "deliver.enqueue([]); deliver.enqueue([])\n"
            "DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=5))\n",
        )  # fmt: skip
        with MailServer() as smtp:
            env = {**smtp.env(), "ADMINS": "Ada <ada@example.com>", "DEBUG": "1"}
            run = self.doctor(retro, project, student_python, **env)
        assert run.returncode == 8, str(run)
        out = " ".join(run.stdout.split())
        assert (
            "✗ the task worker 2 task(s) waiting, the oldest for 5 min: no worker is running" in out
        )
        assert "fix: python manage.py db_worker" in out
        assert (
            f"✓ mail SMTP 127.0.0.1:{smtp.port} answers; server errors go to ada@example.com" in out
        )

    def test_an_smtp_host_that_does_not_answer(self, retro, student_python, tmp_path):
        from cli.net import free_port

        project = self.migrated_final_site(student_python, tmp_path / "ada")
        port = free_port()
        env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_USE_TLS": "0"}
        run = self.doctor(retro, project, student_python, DEBUG="1", ADMINS="a@example.com", **env)
        assert run.returncode == 8, str(run)
        out = " ".join(run.stdout.split())
        assert f"✗ mail SMTP 127.0.0.1:{port} does not answer" in out
        assert "python -m aiosmtpd -n -l 127.0.0.1:1025" in out

    def test_a_procfile_without_a_worker(self, retro, student_python, tmp_path):
        project = self.migrated_final_site(student_python, tmp_path / "ada")
        procfile = project / "Procfile"
        procfile.write_text(
            "".join(line for line in procfile.read_text().splitlines(keepends=True)
                    if not line.startswith("worker:"))
        )  # fmt: skip
        run = self.doctor(retro, project, student_python, DEBUG="1")
        assert run.returncode == 8, str(run)
        out = " ".join(run.stdout.split())
        assert "✗ the task worker the Procfile has no `worker:` line" in out
        assert "fix: add the line `worker: python manage.py db_worker` to the Procfile" in out

    def test_outside_a_project(self, retro, student_python, tmp_path):
        run = self.doctor(retro, tmp_path, student_python)
        assert "– your project" in run.stdout and "no manage.py" in run.stdout


def test_the_json_of_doctor_is_a_list_of_lines(retro, student_python, tmp_path):
    run = retro("doctor", "--path", str(tmp_path), "--python", student_python, "--json")
    lines = json.loads(run.stdout)
    assert {"status", "what", "detail", "fix"} <= set(lines[0])
