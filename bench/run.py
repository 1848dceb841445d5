"""
`make bench`: run the benchmarks in turn and write bench/RESULTS.md: the machine, the date, the
versions, the command, then each benchmark's section (a Markdown heading, what ran, a table).

It asserts nothing about speed: it fails only when a benchmark did not run or lost something
(its exit status). A benchmark whose script does not exist yet is skipped with a note.

    .venv/bin/python bench/run.py [--only NAME[,NAME…]] [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCHMARKS = ["feed_page", "api", "cli_startup", "checks", "fanout", "connects", "scaleout"]
TIME_LIMIT = 3600  # seconds one benchmark may take before it counts as not having run


def machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    return [
        f"- Machine: {os.cpu_count()} cores, {memory} memory, {cpu} ({platform.system()} "
        f"{platform.release()}); shared with other work while it ran",
    ]


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"Python {platform.python_version()}"]
    for package in ("Django", "channels", "channels-redis", "daphne", "djangorestframework"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} not installed")
    parts.append(server_version("PostgreSQL", postgres_version))
    parts.append(server_version("Redis", redis_version))
    return ", ".join(parts)


def server_version(name: str, probe) -> str:
    try:
        return f"{name} {probe()}"
    except Exception as error:  # a version line must not stop the run
        return f"{name} unreachable ({type(error).__name__})"


def postgres_version() -> str:
    import psycopg

    sys.path.insert(0, str(ROOT))
    from tests.services import POSTGRES_TEST_URL

    with psycopg.connect(POSTGRES_TEST_URL, connect_timeout=3) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def redis_version() -> str:
    import redis

    sys.path.insert(0, str(ROOT))
    from tests.services import REDIS_TEST_URL

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3)
    try:
        return client.info("server")["redis_version"]
    finally:
        client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated names, e.g. api,checks")
    parser.add_argument("--quick", action="store_true", help="pass --quick to each benchmark")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="the file to write")
    args = parser.parse_args()
    names = BENCHMARKS
    if args.only:
        names = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in names if name not in BENCHMARKS]
        if unknown:
            print(
                f"bench/run.py: no benchmark {unknown[0]!r} (there are: {', '.join(BENCHMARKS)})",
                file=sys.stderr,
            )
            return 2

    command = "python bench/run.py" + "".join(
        f" {flag} {shlex.quote(value)}" for flag, value in (("--only", args.only),) if value
    ) + (" --quick" if args.quick else "")
    started = datetime.now(UTC)
    sections, failed, notes = [], [], []
    for name in names:
        script = HERE / f"{name}.py"
        if not script.is_file():
            notes.append(f"- `{name}`: skipped, bench/{name}.py does not exist yet")
            print(f"== {name}: skipped (bench/{name}.py does not exist yet)", flush=True)
            continue
        argv = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        print(f"== {name}: {' '.join(argv[1:])}", flush=True)
        began = time.monotonic()
        try:
            done = subprocess.run(
                argv, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=TIME_LIMIT
            )
            status, out = done.returncode, done.stdout
        except subprocess.TimeoutExpired as error:
            status, out = None, error.stdout or ""
            out = out.decode() if isinstance(out, bytes) else out
        took = time.monotonic() - began
        print(out, flush=True)
        # The section starts at its heading (anything a library logged before it stays out).
        heading = out.find("### ")
        section = out[heading:].strip() if heading >= 0 else ""
        section = section or f"### {name}\n\nNo figures: the script printed no section."
        if status != 0:
            why = "did not finish" if status is None else f"exited with status {status}"
            failed.append(name)
            section += f"\n\n**{name} {why}: these figures are incomplete or something was lost.**"
        sections.append(section + f"\n\n<sub>{name}: {took:.0f} s</sub>")
        notes.append(f"- `{name}`: {'ran' if status == 0 else 'FAILED'} in {took:.0f} s")

    header = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py) from a real run; every figure is set against a "
        "baseline measured in the same run, because these machines are shared and noisy. It "
        "asserts nothing about speed.",
        "",
        *machine(),
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Versions: {versions()}",
        f"- Command: `{command}`",
        "",
        *notes,
    ]
    text = "\n".join(header) + "\n\n" + "\n\n".join(sections) + "\n"
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
