from tests.cli.conftest import retro_for  # noqa: F401
