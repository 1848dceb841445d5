from __future__ import annotations

import pytest

from tests.cli.helpers import Retro


@pytest.fixture
def retro_for(tmp_path):
    """retro_for(server_url) → a `retro` with a config folder of its own (one per person)."""
    count = 0

    def make(server: str | None) -> Retro:
        nonlocal count
        count += 1
        folder = tmp_path / f"person{count}" / "config"
        folder.parent.mkdir(parents=True)
        return Retro(folder, server)

    return make
