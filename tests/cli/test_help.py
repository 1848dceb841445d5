"""Every terminal-user command explains itself with an example; `retro --help` lists them all
with the exit statuses. Nothing heavy is imported to print the help."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cli.main import app

COMMANDS = [
    ["signup"], ["login"], ["logout"], ["whoami"], ["post"], ["feed"], ["tail"], ["message"],
    ["inbox"], ["conversation"], ["users"], ["server", "add"], ["server", "use"],
    ["server", "list"], ["server", "remove"],
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


def test_help_imports_nothing_heavy():
    probe = (
        "import sys\n"
        "from cli.main import app\n"
        "try:\n"
        "    app(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'httpx', 'websocket', 'rich', 'django', 'pydantic', 'platformdirs'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout + run.stderr
