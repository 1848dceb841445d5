from tests.cli.conftest import retro_for  # noqa: F401
from tests.people import (  # noqa: F401
    ada,
    api,
    bob,
    eve,
    fast_password_hashing,
    fresh_rate_limits,
)
