"""
Lighthouse's four scores (performance, accessibility, best practices, SEO) for every public
page, as a person with a phone gets them: a real daphne with the production settings (DEBUG
off, WhiteNoise's hashed and compressed static files), Debian's Chromium, offline.

    .venv/bin/python bench/lighthouse.py [--runs N] [--chromium PATH]   (or: make lighthouse)

Prints a table and asserts nothing: the target (0.95 or more in each) is for people to read.
Lighthouse comes from npm, installed on first use (tests/node.py). Each page is measured
--runs times (default 1) and the lowest of each score is shown: the performance score moves
with the load on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


def scores(cli: Path, url: str, chromium: str) -> dict[str, float]:
    """One Lighthouse run on one page: {category: score}, and the audits that cost points."""
    result = subprocess.run(
        ["node", str(cli), url, "--quiet", "--output=json", "--output-path=stdout",
         f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}",
         "--max-wait-for-load=60000"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "CHROME_PATH": chromium},
    )
    if result.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    found = {name: report["categories"][name]["score"] for name in CATEGORIES}
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
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the lowest is shown")
    parser.add_argument("--chromium", default=os.environ.get("RETRO_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
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

        print(f"Lighthouse {LIGHTHOUSE[1]}, lowest of {args.runs} run(s)"
              " per page, mobile preset, offline, production settings")
        print(f"{'page':<12} " + " ".join(f"{name:>15}" for name in CATEGORIES) + "  below 0.9")
        for path in PUBLIC_PAGES:
            lowest = dict.fromkeys(CATEGORIES, 1.0)
            failing: set[str] = set()
            for _ in range(args.runs):
                found, audits = scores(cli, server.url + path, args.chromium)
                for name in CATEGORIES:
                    lowest[name] = min(lowest[name], found[name] or 0.0)
                failing.update(audits)
            print(f"{path:<12} " + " ".join(f"{lowest[name]:>15.2f}" for name in CATEGORIES)
                  + "  " + (", ".join(sorted(failing)) or "-"))
    finally:
        server.stop()
        database.drop()
        shutil.rmtree(static_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
