"""
Schemathesis against the API's own OpenAPI schema, on a real daphne with production settings
and a database of its own: for every operation, a fixed number of generated requests that fit
the schema and as many that do not, each with a valid token. Every response must be no server
error (5xx) and match the schema: a documented status code, content type, headers and body;
requests that break the schema must be refused (4xx).

Then the stateful phase: schemathesis chains operations through the links it infers from the
schema (a username from sign-up into a conversation's path, …), scenario after scenario,
each step checked the same way plus use-after-free and resource availability.

RETRO_FUZZ_EXAMPLES raises the number of examples per operation and mode (default 20);
RETRO_FUZZ_SCENARIOS the number of stateful scenarios (default 25, 6 steps at most each).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from tests.live import PASSWORD, LiveDatabase, LiveServer, unique

pytestmark = pytest.mark.live

EXAMPLES = int(os.environ.get("RETRO_FUZZ_EXAMPLES", "20"))
SCENARIOS = int(os.environ.get("RETRO_FUZZ_SCENARIOS", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass
class Account:
    server: LiveServer
    username: str
    token: str = ""

    def log_in(self) -> None:
        response = httpx.post(
            f"{self.server.url}/api/auth/token",
            json={"username": self.username, "password": PASSWORD},
            timeout=10,
        )
        response.raise_for_status()
        self.token = response.json()["token"]


@dataclass
class Figures:
    operations: int = 0
    examples: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def fuzz_server():
    """A daphne and a database of the fuzzer's own: its hundreds of random posts, users and
    messages stay out of every other test's way."""
    database = LiveDatabase(os.environ.get("DATABASE_URL"))
    server = LiveServer(database).start()
    yield server
    server.stop()
    database.drop()


def sign_up(server: LiveServer, name: str) -> Account:
    account = Account(server, unique(name))
    response = httpx.post(
        f"{server.url}/api/auth/signup",
        json={"username": account.username, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    account.token = response.json()["token"]
    return account


def test_the_api_survives_fuzzing_and_matches_its_schema(fuzz_server):
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/api/schema/?format=json")
    me = sign_up(fuzz_server, "fuzzer")
    friend = sign_up(fuzz_server, "friend")
    figures = Figures()

    for result in schema.get_all_operations():
        operation = result.ok()
        figures.operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            if "{username}" in operation.path:
                # Half the time, the real other person: the happy paths get fuzzed too.
                strategy = st.one_of(
                    strategy,
                    operation.as_strategy(
                        generation_mode=mode, path_parameters={"username": friend.username}
                    ),
                )

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case):
                figures.examples += 1
                response = case.call(
                    base_url=fuzz_server.url,
                    headers={"Authorization": f"Token {me.token}"},
                    timeout=10,
                )
                figures.statuses[response.status_code] = (
                    figures.statuses.get(response.status_code, 0) + 1
                )
                if case.method.upper() == "DELETE" and response.status_code == 204:
                    me.log_in()  # the token was revoked: get a new one for the next case
                case.validate_response(response, checks=CHECKS)

            before = figures.examples
            try:
                run()
            except Unsatisfiable:
                # Nothing in the request can break the schema (no parameters, no body).
                assert mode.is_negative and figures.examples == before, operation.label
            except (Exception, BaseExceptionGroup) as error:  # schemathesis' FailureGroup
                figures.failures.append(f"{operation.label} [{mode.value}]: {error}")

    summary = (
        f"schemathesis: {figures.operations} operations, {figures.examples} examples "
        f"({EXAMPLES} per operation and mode), {len(figures.failures)} failures; "
        f"statuses {dict(sorted(figures.statuses.items()))}"
    )
    print(summary)
    assert figures.operations == 13, summary
    assert not [s for s in figures.statuses if s >= 500], summary
    assert not figures.failures, summary + "\n\n" + "\n\n".join(figures.failures)


def test_the_api_survives_stateful_fuzzing(fuzz_server):
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/api/schema/?format=json")
    me = sign_up(fuzz_server, "stateful")
    figures = Figures()

    class Scenarios(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {
                "base_url": fuzz_server.url,
                "headers": {"Authorization": f"Token {me.token}"},
                "timeout": 10,
            }

        def after_call(self, response, case):
            super().after_call(response, case)
            figures.examples += 1
            figures.statuses[response.status_code] = (
                figures.statuses.get(response.status_code, 0) + 1
            )
            if case.method.upper() == "DELETE" and response.status_code == 204:
                me.log_in()

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=[*CHECKS, use_after_free, ensure_resource_availability],
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    Scenarios.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    summary = (
        f"schemathesis stateful: {SCENARIOS} scenarios, {figures.examples} calls; "
        f"statuses {dict(sorted(figures.statuses.items()))}"
    )
    print(summary)
    assert figures.examples >= SCENARIOS, summary
    assert not [s for s in figures.statuses if s >= 500], summary
