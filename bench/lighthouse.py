"""
Lighthouse's four scores (performance, accessibility, best practices, SEO) for every public
page, as a person with a phone gets them: a real daphne with the production settings (DEBUG
off, WhiteNoise's hashed and compressed static files), Debian's Chromium, offline.

    .venv/bin/python bench/lighthouse.py [--runs N] [--chromium PATH]   (or: make lighthouse)

Prints a table and asserts nothing: the target (0.95 or more in each) is for people to read.
Lighthouse comes from npm, installed on first use (tests/node.py). Each page is measured
--runs times (default 1); the median of each score is shown, and the lowest: the performance
score moves with the load on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import Browser, LiveDatabase, LiveServer, manage, production_env, unique  # noqa: E402
from tests.node import LIGHTHOUSE, NodeMissing, NpmInstallFailed, lighthouse_cli  # noqa: E402

CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
PUBLIC_PAGES = ["/", "/login", "/signup", "/api/docs/"]
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync"
)


class LighthouseFailed(RuntimeError):
    pass


def lighthouse_json(cli: Path, url: str, chromium: str) -> dict:
    """One Lighthouse run's report. Lighthouse and the Chromium it starts run in a process group
    of their own, killed as a whole if anything goes wrong: no browser is left behind."""
    process = subprocess.Popen(
        ["node", str(cli), url, "--quiet", "--output=json", "--output-path=stdout",
         f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}",
         "--max-wait-for-load=60000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "CHROME_PATH": chromium},
    )
    try:
        out, err = process.communicate(timeout=300)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    if process.returncode != 0:
        lines = [line for line in err.splitlines() if line.strip()] or ["(no message)"]
        raise LighthouseFailed(lines[-1].strip())
    return json.loads(out)


def scores(cli: Path, url: str, chromium: str, attempts: int = 3) -> tuple[dict, list[str]]:
    """{category: score} of one run on one page, and the audits under 0.9. Lighthouse sometimes
    fails to record a trace on a busy machine (NO_NAVSTART): such a run is tried again."""
    for attempt in range(1, attempts + 1):
        try:
            report = lighthouse_json(cli, url, chromium)
            break
        except LighthouseFailed as error:
            if attempt == attempts:
                raise LighthouseFailed(f"{url}: {error} ({attempts} attempts)") from None
    found = {name: report["categories"][name]["score"] or 0.0 for name in CATEGORIES}
    failing = sorted(
        audit["id"]
        for audit in report["audits"].values()
        if audit.get("scoreDisplayMode") in {"binary", "numeric", "metricSavings"}
        and audit.get("score") is not None
        and audit["score"] < 0.9
    )
    return found, failing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per page (median shown)")
    parser.add_argument("--chromium", default=os.environ.get("RETRO_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    if shutil.which(args.chromium) is None:
        print(f"lighthouse: no Chromium at {args.chromium} (apt-get install chromium)",
              file=sys.stderr)
        return 1
    try:
        cli = lighthouse_cli()
    except (NodeMissing, NpmInstallFailed) as error:
        print(f"lighthouse: {error}", file=sys.stderr)
        return 1

    database = LiveDatabase(None)
    static_root = tempfile.mkdtemp(prefix="retro-lighthouse-static-")
    manage("collectstatic", "--noinput", env=production_env(database.url, STATIC_ROOT=static_root))
    server = LiveServer(database, STATIC_ROOT=static_root).start()
    try:
        # A home page with something on it.
        for name in ("ada", "bob"):
            person = Browser(server).signup(unique(name))
            for n in range(3):
                person.post(f"post {n + 1} from {name}: hello, RetroSocial")

        print(f"Lighthouse {LIGHTHOUSE[1]}, median of {args.runs} run(s) per page (lowest in"
              " brackets), mobile preset, offline, production settings")
        print(f"{'page':<12} " + " ".join(f"{name:>19}" for name in CATEGORIES)
              + "  audits under 0.9 in any run (insights are not scored)")
        for path in PUBLIC_PAGES:
            runs: list[dict] = []
            failing: set[str] = set()
            for _ in range(args.runs):
                found, audits = scores(cli, server.url + path, args.chromium)
                runs.append(found)
                failing.update(audits)
            cells = []
            for name in CATEGORIES:
                values = [run[name] for run in runs]
                cells.append(f"{statistics.median(values):.2f} ({min(values):.2f})")
            print(f"{path:<12} " + " ".join(f"{cell:>19}" for cell in cells)
                  + "  " + (", ".join(sorted(failing)) or "-"), flush=True)
    except LighthouseFailed as error:
        print(f"lighthouse: {error}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        database.drop()
        shutil.rmtree(static_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
