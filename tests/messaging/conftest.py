from tests.people import ada, api, bob, eve, fresh_rate_limits, listen  # noqa: F401
