"""
Tools from npm that the tests and benchmarks use (axe-core, lighthouse), installed on first use.

Each pinned package gets a folder of its own under .venv/node/ (git-ignored, removed by
`make clean`), so a new machine needs nothing but Node and npm: the first test or benchmark
that needs a package installs it, later runs find it there.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_HOME = ROOT / ".venv" / "node"

AXE_CORE = ("axe-core", "4.11.0")
LIGHTHOUSE = ("lighthouse", "12.8.2")


class NodeMissing(RuntimeError):
    """Node or npm is not on this machine."""


class NpmInstallFailed(RuntimeError):
    """npm is here but could not install the package."""


def npm_package(name: str, version: str) -> Path:
    """The folder of `name@version` (its node_modules/<name>), installing it the first time."""
    prefix = NODE_HOME / f"{name}@{version}"
    package = prefix / "node_modules" / name
    if (package / "package.json").exists():
        return package
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise NodeMissing(f"{name} needs Node and npm, and this machine has no npm")
    prefix.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "install", "--prefix", str(prefix), "--no-save", "--no-package-lock",
         "--no-audit", "--no-fund", "--loglevel=error", f"{name}@{version}"],
        capture_output=True, text=True, timeout=600,
    )
    if result.returncode != 0 or not (package / "package.json").exists():
        raise NpmInstallFailed(f"npm install {name}@{version} failed:\n{result.stderr.strip()}")
    return package


def axe_script() -> str:
    """axe-core's browser build, to inject into a page."""
    return (npm_package(*AXE_CORE) / "axe.min.js").read_text()


def lighthouse_cli() -> Path:
    return npm_package(*LIGHTHOUSE) / "cli" / "index.js"
