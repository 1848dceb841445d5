"""The course's checkpoints as material for tests: a week's project copied into a folder of the
test's own, to run commands on or to change the way a student might have."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli.course import model
from tests.live import ROOT

COURSE = model.load(ROOT)


def copy_checkpoint(number: int, target: Path) -> Path:
    """The project files of week `number`'s checkpoint, copied into `target` (made if needed)."""
    for rel, source in COURSE.checkpoint_files(COURSE.week(number)).items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / rel)
    return target
