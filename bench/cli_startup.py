"""
How long `retro --help` and every command's `--help` take to start, against the floor they
cannot beat: starting Python and importing Typer (`python -c "import typer"`), measured in the
same rounds. Each round runs every command once, in turn, so a change in the machine's load
hits them all; a figure is the median over the rounds of (command's time / that round's Typer
time). The target is at most 1.3× for every one.

    .venv/bin/python bench/cli_startup.py [--runs 10] [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = 1.3


def command_paths() -> list[list[str]]:
    """Every command and group of retro, as Typer builds them."""
    import typer

    from cli.main import app

    paths, todo = [], [([], typer.main.get_command(app))]
    while todo:
        path, command = todo.pop(0)
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            todo.append(([*path, name], sub))
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="rounds (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument(
        "--module",
        action="store_true",
        help="run `python -m cli.main` from this checkout instead of the installed `retro`",
    )
    args = parser.parse_args()
    runs = 3 if args.quick else max(1, args.runs)

    retro = shutil.which("retro", path=str(Path(sys.executable).parent))
    base = [retro] if retro and not args.module else [sys.executable, "-m", "cli.main"]
    commands = {"python -c 'import typer'": [sys.executable, "-c", "import typer"]}
    for path in command_paths():
        commands[" ".join(["retro", *path, "--help"])] = [*base, *path, "--help"]
    # As a person runs it: Python's bytecode cache written (the first run writes it).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run(name: str) -> tuple[float, float]:
        """(wall seconds, CPU seconds of the process: user + system). One child at a time, so
        the growth of RUSAGE_CHILDREN is this one's."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(commands[name], capture_output=True, cwd=ROOT, env=env, timeout=60)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0 or (b"Usage:" not in done.stdout and "typer" not in name):
            raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        return elapsed, cpu

    for name in commands:  # warm-up: bytecode and file cache
        run(name)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    wall_ratio: dict[str, list[float]] = {name: [1.0] for name in commands}
    cpu_ratio: dict[str, list[float]] = {name: [1.0] for name in commands}
    floor_name, names = next(iter(commands)), list(commands)[1:]
    for _ in range(runs):
        for name in names:
            floor = run(floor_name)  # measured right before each command, under its load
            took = run(name)
            for store, ratio, index in ((wall, wall_ratio, 0), (cpu, cpu_ratio, 1)):
                store[floor_name].append(floor[index])
                store[name].append(took[index])
                ratio[name].append(took[index] / floor[index])
    for ratio in (wall_ratio, cpu_ratio):
        for name in names:
            ratio[name] = ratio[name][1:]

    def median(values: list[float]) -> float:
        return statistics.median(values)

    print("### CLI start-up\n")
    print(
        f"`retro --help` and the `--help` of each of its {len(names) - 1} commands and groups "
        f"against `python -c 'import typer'` (Python {sys.version.split()[0]}), {runs} rounds, "
        "bytecode cached. Each run of a command follows a run of the Typer import, and a ratio "
        "is the median over the rounds of the command's time over that import's. CPU is the "
        "process's user + system time (steadier on a shared machine than the wall clock). "
        f"Target: at most {TARGET}×.\n"
    )
    print("| command | wall ms | × typer (wall) | CPU ms | × typer (CPU) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in commands:
        print(
            f"| `{name}` | {median(wall[name]) * 1000:.0f} | {median(wall_ratio[name]):.2f} "
            f"| {median(cpu[name]) * 1000:.0f} | {median(cpu_ratio[name]):.2f} |"
        )
    for label, ratio in (("wall", wall_ratio), ("CPU", cpu_ratio)):
        worst = max(names, key=lambda name: median(ratio[name]))
        over = sum(1 for name in names if median(ratio[name]) > TARGET)
        print(
            f"\n{label}: the slowest is `{worst}` at {median(ratio[worst]):.2f}×; "
            f"{over} of {len(names)} over {TARGET}×."
        )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
