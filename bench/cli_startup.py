"""
How long `retro --help` takes to start, against the floor it cannot beat: starting Python and
importing Typer. Also lists the heavy modules `retro --help` imports (it should import none:
commands import httpx, websocket-client and rich only when they run).

    .venv/bin/python bench/cli_startup.py [RUNS]      (default 20 runs of each)
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("httpx", "websocket", "rich", "django", "platformdirs", "markdown_it", "pydantic")
RETRO = shutil.which("retro", path=str(Path(sys.executable).parent)) or ""


def timed(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Each command `runs` times, taking turns, so a change in the machine's load hits all."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the file cache
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
            times[name].append(time.perf_counter() - start)
    return times


def heavy_imports() -> list[str]:
    probe = (
        "import sys\n"
        "from cli.main import app\n"
        "try:\n"
        "    app(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return out.split("\n")[-2].split() if out.strip() else []


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    retro = [RETRO] if RETRO else [sys.executable, "-m", "cli.main"]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "retro --help": [*retro, "--help"],
        # Typer 0.29 coerces a command's parameters with pydantic: the first cost of any command.
        "retro feed --help": [*retro, "feed", "--help"],
    }
    results = timed(commands, runs)
    print(f"{'command':<28} {'median':>8} {'min':>8} {'max':>8}   ({runs} runs each)")
    for name, times in results.items():
        print(
            f"{name:<28} {statistics.median(times) * 1000:>6.0f}ms "
            f"{min(times) * 1000:>6.0f}ms {max(times) * 1000:>6.0f}ms"
        )
    typer_floor = statistics.median(results["python -c 'import typer'"])
    help_time = statistics.median(results["retro --help"])
    print(
        f"retro --help costs {help_time / typer_floor:.2f}× importing Typer "
        f"(+{(help_time - typer_floor) * 1000:.0f} ms)"
    )
    heavy = heavy_imports()
    print(f"heavy modules imported by retro --help: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
