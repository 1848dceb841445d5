"""
How long the course's checks take: `retro check N` on week N's checkpoint (the final week on
the site at the top of the repository), as a student runs it, with PostgreSQL and Redis when
this machine has them (as tests/course does), against one `python manage.py check` on the same
checkpoint measured right before it (one start of the project's Django: the unit every check
pays again and again). The target: the last week's full check within 45 s.

    .venv/bin/python bench/checks.py [--weeks 1,2,3,4,5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = 45.0


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    """(wall s, CPU s of the process and its children, exit status, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.returncode, done.stdout + done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", default="", help="comma-separated weeks (default: all)")
    parser.add_argument("--quick", action="store_true", help="the last week only")
    args = parser.parse_args()

    from cli.course import model
    from tests.course.conftest import make_student_python
    from tests.services import (
        POSTGRES_TEST_URL,
        REDIS_TEST_URL,
        postgres_reachable,
        redis_reachable,
    )

    course = model.load(ROOT)
    numbers = [week.number for week in course.weeks]
    if args.weeks:
        wanted = [int(part) for part in args.weeks.split(",") if part.strip()]
    else:
        wanted = numbers[-1:] if args.quick else numbers
    unknown = sorted(set(wanted) - set(numbers))
    if unknown:
        print(f"bench/checks.py: no week {unknown[0]} (weeks: {numbers})", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="retro-bench-checks-"))
    try:
        python = make_student_python(work / "venv")
        services = []
        if postgres_reachable():
            services += ["--postgres", POSTGRES_TEST_URL]
        if redis_reachable():
            services += ["--redis", REDIS_TEST_URL]
        base = [sys.executable, "-m", "cli.main"]  # this checkout's retro, run from ROOT
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env["XDG_CONFIG_HOME"] = str(work / "config")  # retro's progress file, not the user's
        rows, failed = [], []
        for number in wanted:
            week = course.week(number)
            folder = course.checkpoint_dir(week)
            django_env = dict(env, DEBUG="1", DATABASE_URL=f"sqlite:///{work}/unit.sqlite3")
            units = [timed([python, "manage.py", "check"], folder, django_env) for _ in range(3)]
            unit = sorted(units)[1]  # the median run
            argv = [*base, "check", str(number), "--path", str(folder), "--python", python]
            wall, cpu, status, out = timed([*argv, *services], ROOT, env)
            if status != 0 or unit[2] != 0:
                failed.append(number)
                print(out[-3000:], file=sys.stderr)
            where = "the site at the top" if week.is_final else f"checkpoints/{week.branch}"
            rows.append((number, where, wall, cpu, unit[0], status))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    used = " and ".join(flag.strip("-") for flag in services[::2]) or "no services"
    print("### The course's checks\n")
    print(
        "`retro check N` (weeks 1 to N) on week N's checkpoint, a student's virtual environment, "
        f"{used}; the unit is the median of three `python manage.py check` on the same "
        "checkpoint, right before. "
        f"CPU is user + system of retro and every process it started. Target: the last "
        f"week's within {TARGET:.0f} s.\n"
    )
    print("| week | project | wall s | CPU s | × manage.py check | passed |")
    print("| ---: | --- | ---: | ---: | ---: | --- |")
    for number, where, wall, cpu, unit_wall, status in rows:
        print(
            f"| {number} | {where} | {wall:.1f} | {cpu:.1f} | {wall / unit_wall:.0f} "
            f"| {'yes' if status == 0 else f'no (exit {status})'} |"
        )
    print()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
