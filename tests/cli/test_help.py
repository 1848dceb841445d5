"""Every terminal-user command explains itself with an example; `retro --help` lists them all
with the exit statuses. Nothing heavy is imported to print the help."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.lazy import lazy_command
from cli.main import app

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = [
    ["signup"], ["login"], ["logout"], ["whoami"], ["email"], ["password", "reset"], ["post"],
    ["feed"], ["tail"], ["message"], ["inbox"], ["conversation"], ["users"], ["server", "add"],
    ["server", "use"], ["server", "list"], ["server", "remove"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: retro {' '.join(command)}" in result.output
    assert "Examples:" in result.output
    assert f"$ retro {command[0]}" in result.output


def test_retro_help_lists_the_commands_and_the_exit_statuses():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in {command[0] for command in COMMANDS}:
        assert f"\n  {name} " in result.output
    assert "--server URL|NAME" in result.output and "RETRO_SERVER" in result.output
    assert "3 unreachable, 4 auth, 5 invalid, 6" in result.output


def every_command_path() -> list[list[str]]:
    """[], then every command and group of retro, as Typer builds them, however deep."""
    paths, todo = [], [([], typer.main.get_command(app))]
    while todo:
        path, command = todo.pop(0)
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            todo.append(([*path, name], sub))
    return paths


def help_of(command, path: list[str]) -> tuple[str, int]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit:
        command.main([*path, "--help"], prog_name="retro")
    return out.getvalue(), exit.value.code


def test_every_command_path_is_found():
    paths = every_command_path()
    assert {" ".join(command) for command in COMMANDS} <= {" ".join(path) for path in paths}
    assert ["checkpoint", "reset"] in paths and ["deploy", "local"] in paths and [] in paths


@pytest.mark.parametrize("path", every_command_path(), ids=lambda p: " ".join(p) or "retro")
def test_the_help_retro_prints_is_typers_own(path):
    """`retro` builds a command only when it runs or shows its help (cli/lazy.py): the help
    is word for word what Typer prints when it builds every command first."""
    whole = typer.main.get_command(app)
    lazy = lazy_command(app)
    assert help_of(lazy, path) == help_of(whole, path)
    assert f"Usage: retro {' '.join(path)}".rstrip() in help_of(lazy, path)[0]


HEAVY_PROBE = (
    "import sys\n"
    "from cli.main import app\n"
    "try:\n"
    "    app(sys.argv[1:] + ['--help'], prog_name='retro')\n"
    "except SystemExit as exit:\n"
    "    assert exit.code == 0, exit.code\n"
    "heavy = {'httpx', 'websocket', 'rich', 'django', 'pydantic', 'platformdirs'}\n"
    "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
)


@pytest.mark.parametrize("path", every_command_path(), ids=lambda p: " ".join(p) or "retro")
def test_help_imports_nothing_heavy(path):
    """Neither `retro --help` nor any command's `--help` imports httpx, rich, websocket-client,
    Django or pydantic (Typer converts parameters with pydantic: not for help)."""
    run = subprocess.run(
        [sys.executable, "-c", HEAVY_PROBE, *path],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert f"Usage: retro {' '.join(path)}".rstrip() in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout + run.stderr
