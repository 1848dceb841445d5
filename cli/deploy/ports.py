"""
Is the port of `retro deploy local` free, and if not, what holds it (a `runserver` or a daphne
left running from an earlier lesson step, most likely) and which free port to use instead.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cli.errors import CLIError, ExitCode
from cli.net import free_port_after, port_taken


def listener(port: int) -> tuple[int, str] | None:
    """(pid, command line) of the process listening on `port`, when this machine says so:
    /proc on Linux, lsof elsewhere. None when it cannot be known (another user's process)."""
    found = _listener_proc(port) if Path("/proc/net/tcp").exists() else _listener_lsof(port)
    if found is None:
        return None
    pid, argv = found
    if not argv:
        return None
    words = [Path(argv[0]).name, *argv[1:]]
    command = " ".join(words)
    return pid, command if len(command) <= 80 else command[:77] + "..."


def _listener_proc(port: int) -> tuple[int, list[str]] | None:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()  # local address (hex ip:port), …, state (0A: LISTEN), …, inode
            if len(fields) > 9 and fields[3] == "0A":
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (folder / "fd").iterdir()}
            if links & inodes:
                argv = (folder / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
                return int(folder.name), [word.decode(errors="replace") for word in argv]
        except OSError:  # gone, or another user's
            continue
    return None


def _listener_lsof(port: int) -> tuple[int, list[str]] | None:
    import shlex
    import shutil

    if shutil.which("lsof") is None:
        return None
    try:
        found = subprocess.run(
            ["lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN", "-t"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        pid = int(found.stdout.split()[0])
        command = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None
    try:
        return pid, shlex.split(command)
    except ValueError:
        return pid, command.split()


def server_software(port: int) -> str:
    """What the web server on `port` says it is (its Server header), "" if it does not say."""
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).headers.get("server", "")
    except httpx.HTTPError:
        return ""


def what_uses(port: int, reason: str) -> str:
    """What most likely holds `port`, in words: the end of the error message."""
    earlier = "left running from an earlier step"
    found = listener(port)
    if found:
        pid, command = found
        if "runserver" in command:
            return f" by `{command}` (pid {pid}): a development server {earlier}"
        if "daphne" in command or "honcho" in command:
            return f" by `{command}` (pid {pid}): a Daphne {earlier}"
        return f" by `{command}` (pid {pid})"
    software = server_software(port).lower()
    if "daphne" in software:
        return (
            " by a Daphne server (its Server header says so): most likely a `python "
            f"manage.py runserver` or `daphne` {earlier}"
        )
    if "wsgiserver" in software:
        return (
            " by Django's own development server (its Server header says so): most likely "
            f"a `python manage.py runserver` {earlier}"
        )
    return f" ({reason}): most likely a `python manage.py runserver` or `daphne` {earlier}"


def check_port(port: int) -> str:
    """Is `port` free on every interface, where the Procfile's web process binds? If not, say
    what most likely holds it and which free port to use instead."""
    reason = port_taken(port)
    if not reason:
        return f"http://127.0.0.1:{port}/"
    free = free_port_after(port)
    instead = f"retro deploy local --port {free}" if free else "retro deploy local --port PORT"
    raise CLIError(
        f"port {port} is in use{what_uses(port, reason)}",
        ExitCode.DEPLOY_FAILED,
        hint=f"stop it with Ctrl-C in its terminal, or use a free port: {instead}",
    )
