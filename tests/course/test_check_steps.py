"""
`retro check 5` and `retro check 6` check what each step of the week teaches, so a project that
skipped a step cannot pass: the project's own tests (week 5, step 7; week 6, step 7, the API's
tests among them), a program's token on the websocket (week 6, step 4), catching up with
?after=ID and sockets that end with their token (step 5), the same rules at every door (step 8);
and `retro check 7`, the copy of the feed renewed by a post (week 7, step 5), pages that
answer while the cache is down (step 3), mail left to the worker (step 10) and error reports
to ADMINS (step 11); and `retro check 8`, the development tools kept out of production (week 8,
step 2), a /people page that counts in the database (step 5), CORS from the allowed origins only
(step 9) and the token subprotocol accepted by name (step 10).

Each of those checks passes on its checkpoint and, on a copy of it with that one thing undone,
fails with a message that says what was missing, while the week's other checks pass. And the
project of a student who stopped after step 4 of week 6 fails the checks of the steps it skipped.
The sessions run side by side, once for the whole module.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from cli import checks
from cli.course import lesson as lessons
from cli.course import model
from cli.course.replay import replay
from tests.checkpoints import copy_checkpoint
from tests.live import ROOT

COURSE = model.load(ROOT)
NEW_CHECKS = {"w5.tests", "w6.token-socket", "w6.catch-up", "w6.tests", "w6.doors"}
WEEK_7_CHECKS = {
    "w7.cache-setting",
    "w7.feed-cached",
    "w7.fresh-post",
    "w7.redis-down",
    "w7.tasks",
    "w7.mail-task",
    "w7.error-mail",
    "w7.password-reset",
}
WEEK_8_CHECKS = {
    "w8.devtools-dev-only",
    "w8.people-queries",
    "w8.cors",
    "w8.token-socket",
    "w8.frontend",
}

# Each session waits for up to three others on a two-core machine: more than pytest's default.
pytestmark = pytest.mark.timeout(900)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text()
    assert old in text, f"{old!r} not in {rel}"
    (root / rel).write_text(text.replace(old, new))


# -- the projects ----------------------------------------------------------------------------


def week_5_without_tests(root: Path, python: str) -> Path:
    """Week 5 without its step 7: no tests at all."""
    copy_checkpoint(5, root)
    for rel in ("posts/tests.py", "messaging/tests.py"):
        (root / rel).unlink()
    return root


def tokens_not_read(root: Path, python: str) -> Path:
    """The site, its websocket middleware blind to the Authorization header (week 6, step 4
    undone): a program's socket is anonymous, and the inbox refuses it."""
    copy_checkpoint(6, root)
    edit(root, "retrosocial/websocket.py", "key = token_key(scope)", "key = None")
    return root


def no_catching_up(root: Path, python: str) -> Path:
    """The site without /api/inbox, and without the signals that close a socket when its
    token is revoked (week 6, step 5 undone)."""
    copy_checkpoint(6, root)
    edit(root, "api/urls.py", '    path("inbox", views.InboxView.as_view(), name="inbox"),\n', "")
    edit(root, "api/apps.py", "from api import signals", "pass  #")
    return root


def no_api_tests(root: Path, python: str) -> Path:
    """The site with week 5's tests only: the API's (week 6, step 7) renamed out of the test
    runner's sight."""
    copy_checkpoint(6, root)
    for name in ("nobody_else_gets_it_from_the_api", "the_api_sends_a_message_with_a_token"):
        edit(root, "messaging/tests.py", f"def test_{name}", f"def {name}")
    return root


def doors_open(root: Path, python: str) -> Path:
    """The site with step 8's locks undone: the text rules only refuse empty text, a name
    taken in other letters' case is free, no JSON 404 for other /api/ URLs (neither the
    catch-all URL nor the middleware that makes error pages JSON), no Content-Security-Policy."""
    copy_checkpoint(6, root)
    edit(root, "retrosocial/text.py", "if BIDI_CONTROLS.intersection(text):", "if False:")
    edit(root, "retrosocial/text.py", "if all(is_blank(char) for char in text):", "if not text:")
    edit(root, "users/services.py", '__iexact"', '__exact"')
    edit(
        root, "api/urls.py", '    re_path(r"^(?!(?:schema|docs)$)(?P<rest>.*)$", not_found),\n', ""
    )
    edit(root, "retrosocial/settings.py", '    "csp.middleware.CSPMiddleware",\n', "")
    edit(root, "retrosocial/settings.py", '    "api.errors.JSONErrorsMiddleware",\n', "")
    return root


def week_6_to_step_4(root: Path, python: str) -> Path:
    """What a student has after steps 1 to 4 of week 6, replayed from the lesson onto
    checkpoint 5: the API and tokens on websockets, nothing after."""
    week = COURSE.week(6)
    lesson = lessons.parse(COURSE.lesson_path(week))
    first_steps = dataclasses.replace(
        lesson, blocks=[block for block in lesson.blocks if (block.step or 0) <= 4]
    )
    result = replay(COURSE, week, first_steps, root, python)
    assert result.errors == [], result.errors
    return root


def copy_never_renewed(root: Path, python: str) -> Path:
    """Checkpoint 7, its post_create no longer renewing the feed's copy (week 7, step 5
    undone): the author is sent back to a home page without their post."""
    copy_checkpoint(7, root)
    edit(root, "posts/services.py", 'forget("feed")  #', "#")
    return root


def cache_errors_raise(root: Path, python: str) -> Path:
    """Checkpoint 7, its cache helper no longer catching the cache's errors (week 7, step 3
    undone): with Redis down, the home page fails."""
    copy_checkpoint(7, root)
    edit(
        root,
        "retrosocial/cache.py",
        "except Exception as error:  # the cache is down",
        "except ZeroDivisionError as error:  # the cache is down",
    )
    return root


def mail_sent_at_once(root: Path, python: str) -> Path:
    """Checkpoint 7, its mail sent by SMTP in the request itself, not by a task (week 7, step
    10 undone): send_mail talks to the mail server while it waits."""
    copy_checkpoint(7, root)
    edit(
        root,
        "retrosocial/settings.py",
        'EMAIL_BACKEND = "retrosocial.mail.TaskEmailBackend"',
        'EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"',
    )
    return root


def no_admins(root: Path, python: str) -> Path:
    """Checkpoint 7, ADMINS no longer read from the environment (week 7, step 11 undone): a
    server error mails nobody."""
    copy_checkpoint(7, root)
    edit(
        root, "retrosocial/settings.py", "ADMINS = [(name, email)", "ADMINS = [] and [(name, email)"
    )
    return root


def tools_in_production(root: Path, python: str) -> Path:
    """The final site, its settings loading the development tools wherever they are installed,
    DEBUG or not (week 8, step 2 undone)."""
    copy_checkpoint(8, root)
    edit(
        root,
        "retrosocial/settings.py",
        "return DEBUG and not RUNNING_TESTS and find_spec(module) is not None",
        "return find_spec(module) is not None",
    )
    return root


def people_counted_per_person(root: Path, python: str) -> Path:
    """The final site, its /people template asking each person for their posts' count again
    (week 8, step 5 undone for the count): one more query per person."""
    copy_checkpoint(8, root)
    edit(
        root,
        "users/templates/users/people.html",
        "{{ person.post_count }}",
        "{{ person.posts.count }}",
    )
    return root


def cors_for_everyone(root: Path, python: str) -> Path:
    """The final site letting every origin use the API (CORS_ALLOW_ALL_ORIGINS), not only those
    of CORS_ALLOWED_ORIGINS (week 8, step 9 done too widely)."""
    copy_checkpoint(8, root)
    edit(
        root,
        "retrosocial/settings.py",
        'CORS_URLS_REGEX = r"^/api/"',
        'CORS_URLS_REGEX = r"^/api/"\nCORS_ALLOW_ALL_ORIGINS = True',
    )
    return root


def subprotocol_not_chosen(root: Path, python: str) -> Path:
    """The final site, its consumer accepting a token socket without choosing the subprotocol
    (week 8, step 10 half done): a browser would close it."""
    copy_checkpoint(8, root)
    edit(
        root,
        "retrosocial/live.py",
        'await self.accept(subprotocol=self.scope.get("accept_subprotocol"))',
        "await self.accept()",
    )
    return root


def checkpoint(number: int):
    def make(root: Path, python: str) -> Path:
        return copy_checkpoint(number, root)

    return make


def week_5(check: checks.Check) -> bool:
    return check.week == 5


def week_6(check: checks.Check) -> bool:
    """Week 6's checks, and week 5's check of the tests (the count must grow)."""
    return check.week == 6 or check.id == "w5.tests"


def week_7(check: checks.Check) -> bool:
    return check.week == 7


def week_8(check: checks.Check) -> bool:
    return check.week == 8


def the_tests_check_only(check: checks.Check) -> bool:
    """Checkpoint 5 passes the rest of week 5 in tests/course/test_checkpoints.py."""
    return check.id == "w5.tests"


SESSIONS = {
    "checkpoint 5": (checkpoint(5), the_tests_check_only),
    "week 5 without tests": (week_5_without_tests, week_5),
    "checkpoint 6": (checkpoint(6), week_6),
    "tokens not read": (tokens_not_read, week_6),
    "no catching up": (no_catching_up, week_6),
    "no API tests": (no_api_tests, week_6),
    "doors open": (doors_open, week_6),
    "week 6 to step 4": (week_6_to_step_4, week_6),
    "checkpoint 7": (checkpoint(7), week_7),
    "copy never renewed": (copy_never_renewed, week_7),
    "cache errors raise": (cache_errors_raise, week_7),
    "mail sent at once": (mail_sent_at_once, week_7),
    "no admins": (no_admins, week_7),
    "the final site": (checkpoint(8), week_8),
    "tools in production": (tools_in_production, week_8),
    "people counted per person": (people_counted_per_person, week_8),
    "CORS for everyone": (cors_for_everyone, week_8),
    "subprotocol not chosen": (subprotocol_not_chosen, week_8),
}


@pytest.fixture(scope="module")
def sessions(student_python, tmp_path_factory) -> dict[str, Future]:
    """{name: Future of {check id: Result}}: each project checked, three at a time."""
    root = tmp_path_factory.mktemp("check-steps")

    def run(name: str) -> dict[str, checks.Result]:
        make, chosen = SESSIONS[name]
        folder = make(root / name.replace(" ", "-"), student_python)
        results = checks.run(folder, [5, 6, 7, 8], student_python, timeout=240, select=chosen)
        return {result.check.id: result for result in results}

    pool = ThreadPoolExecutor(max_workers=3)
    futures = {name: pool.submit(run, name) for name in SESSIONS}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def results_of(sessions, name: str) -> dict[str, checks.Result]:
    return sessions[name].result()


def failures(results: dict[str, checks.Result]) -> str:
    return "\n".join(
        f"{r.status} {r.check.id}: {r.expected} | {r.seen}"
        for r in results.values()
        if not r.passed
    )


def only_failure(results: dict[str, checks.Result], check_id: str) -> checks.Result:
    """The result of `check_id`, the one check of the session that failed (those that need it
    are blocked behind it; every other check passed)."""
    failed = [r.check.id for r in results.values() if r.status == "fail"]
    assert failed == [check_id], failures(results)
    blocked = [r for r in results.values() if r.status == "blocked"]
    assert all(check_id in r.check.needs for r in blocked), failures(results)
    return results[check_id]


# -- the checkpoints pass --------------------------------------------------------------------


def test_checkpoint_5_passes_the_check_of_its_tests(sessions):
    results = results_of(sessions, "checkpoint 5")
    assert list(results) == ["w5.tests"]
    assert results["w5.tests"].passed, failures(results)
    assert results["w5.tests"].notes == ["11 tests ran and passed"]


def test_checkpoint_6_passes_every_new_check_of_week_6(sessions):
    results = results_of(sessions, "checkpoint 6")
    assert NEW_CHECKS <= set(results)
    assert all(r.passed for r in results.values()), failures(results)
    assert results["w6.tests"].notes == ["13 tests ran and passed"]


# -- each fails on a project without what it checks --------------------------------------------


def test_week_5_without_tests_fails_the_tests_check_alone(sessions):
    failed = only_failure(results_of(sessions, "week 5 without tests"), "w5.tests")
    assert failed.expected == "`python manage.py test` to run at least 5 tests, and pass"
    assert failed.seen.startswith("it ran 0 tests:")
    assert "Ran 0 tests" in failed.seen  # the end of what the test runner printed
    assert "TestCase" in failed.hint


def test_a_token_the_socket_does_not_read_fails_the_token_socket_check(sessions):
    failed = only_failure(results_of(sessions, "tokens not read"), "w6.token-socket")
    assert "Authorization: Token" in failed.expected
    assert "refused with HTTP 403" in failed.seen
    assert "scope['user']" in failed.hint


def test_without_catching_up_the_catch_up_check_fails_and_says_what_is_missing(sessions):
    failed = only_failure(results_of(sessions, "no catching up"), "w6.catch-up")
    seen = failed.seen.splitlines()
    assert seen[0].startswith("GET /api/inbox?after=")
    assert "HTTP 404" in seen[0]
    # /api/posts?after=ID was left as it is: it passes.
    assert seen[1] == "after DELETE /api/auth/token, the token's socket stayed open for 5 s"
    assert len(seen) == 2
    assert "4401" in failed.expected


def test_without_the_api_tests_the_week_6_tests_check_fails_and_week_5s_passes(sessions):
    results = results_of(sessions, "no API tests")
    failed = only_failure(results, "w6.tests")
    assert failed.seen.startswith("it ran 11 tests:")
    assert "Ran 11 tests" in failed.seen  # the end of what the test runner printed
    assert failed.seen.splitlines()[-1].startswith("Destroying test database")
    assert "at least 13 tests" in failed.expected
    assert results["w5.tests"].notes == ["11 tests ran and passed"]


def test_every_open_door_is_named_by_the_doors_check(sessions):
    failed = only_failure(results_of(sessions, "doors open"), "w6.doors")
    seen = failed.seen.splitlines()
    assert len(seen) == 7, failed.seen
    assert seen[0] == "the home page's form saved a post of only invisible characters"
    assert seen[1].startswith("POST /api/posts of only invisible characters: HTTP 201")
    assert seen[2] == "the home page's form saved a post of a bidirectional override"
    assert seen[3].startswith("POST /api/posts of a bidirectional override: HTTP 201")
    # Django's sign-up form refuses a name taken in other case by itself; the API does not.
    assert seen[4].startswith("POST /api/auth/signup as User")
    assert "HTTP 201" in seen[4]
    assert seen[5].startswith("GET /api/no-such-thing-") and "not a JSON 404" in seen[5]
    assert seen[6] == "the home page has no Content-Security-Policy header"
    assert "CSPMiddleware" in failed.hint


# -- the student's report: steps 1 to 4 of week 6 no longer pass --------------------------------


def test_a_project_that_stopped_after_step_4_fails_the_steps_it_skipped(sessions):
    results = results_of(sessions, "week 6 to step 4")
    # What steps 1 to 4 teach passes: the API, retro against it, a token on the websocket.
    for check_id in ("w6.api-token", "w6.api-messages", "w6.schema", "w6.retro"):
        assert results[check_id].passed, failures(results)
    assert results["w6.token-socket"].passed, failures(results)
    assert results["w5.tests"].passed
    failed = {r.check.id for r in results.values() if not r.passed}
    assert failed == {"w6.catch-up", "w6.tests", "w6.doors"}, failures(results)
    assert "GET /api/inbox?after=" in results["w6.catch-up"].seen
    assert results["w6.tests"].seen.startswith("it ran 11 tests:")
    assert "a post of only invisible characters" in results["w6.doors"].seen


# -- week 7: the cache ------------------------------------------------------------------------


def test_checkpoint_7_passes_every_check_of_week_7(sessions):
    results = results_of(sessions, "checkpoint 7")
    assert set(results) == WEEK_7_CHECKS
    assert all(r.passed for r in results.values()), failures(results)
    # A visitor's home page: the posts, their count and the people, then nothing at all.
    assert results["w7.feed-cached"].notes == ["GET / made 3 queries, then 0"]
    assert "RedisCache with REDIS_URL" in results["w7.cache-setting"].notes[0]
    assert results["w7.mail-task"].notes[0].startswith("send_mail queued a task; the worker sent")
    assert results["w7.password-reset"].notes == [
        "the mail arrived, its link set a new password, and it did not work twice"
    ]


def test_a_copy_never_renewed_fails_the_fresh_post_check(sessions):
    failed = only_failure(results_of(sessions, "copy never renewed"), "w7.fresh-post")
    assert failed.seen.startswith("the home page does not show it")
    assert "transaction.on_commit" in failed.hint


def test_cache_errors_that_raise_fail_the_redis_down_check(sessions):
    failed = only_failure(results_of(sessions, "cache errors raise"), "w7.redis-down")
    assert failed.expected.startswith("GET / to answer 200 with Redis unreachable")
    assert "HTTP 500" in failed.seen
    assert "ConnectionError" in failed.hint


def test_mail_sent_in_the_request_fails_the_mail_task_check(sessions):
    failed = only_failure(results_of(sessions, "mail sent at once"), "w7.mail-task")
    assert failed.seen == "the mail reached the SMTP server while send_mail ran, before any worker"
    assert "TaskEmailBackend" in failed.hint


def test_without_admins_the_error_mail_check_fails(sessions):
    failed = only_failure(results_of(sessions, "no admins"), "w7.error-mail")
    assert failed.seen == "settings.ADMINS is []"
    assert "getaddresses" in failed.hint


# -- week 8: the tools of the trade --------------------------------------------------------------


def test_the_final_site_passes_every_check_of_week_8(sessions):
    results = results_of(sessions, "the final site")
    assert set(results) == WEEK_8_CHECKS
    assert all(r.passed for r in results.values()), failures(results)
    assert results["w8.devtools-dev-only"].notes == [
        "with DEBUG off neither tool is loaded; with DEBUG=1 both are"
    ]
    # The count for the pager and one query for the page of people, however many there are.
    assert results["w8.people-queries"].notes == [
        "GET /people made 2 queries with 3 people, and with 20"
    ]
    assert results["w8.token-socket"].notes[0].startswith("accepted from http://127.0.0.1:")
    assert "frontend/app.js" in results["w8.frontend"].notes[0]


def test_tools_loaded_without_debug_fail_the_devtools_check(sessions):
    failed = only_failure(results_of(sessions, "tools in production"), "w8.devtools-dev-only")
    assert failed.expected == "with DEBUG off (production's settings), neither tool loaded"
    assert "INSTALLED_APPS has debug_toolbar" in failed.seen
    assert "MIDDLEWARE has debug_toolbar.middleware.DebugToolbarMiddleware" in failed.seen


def test_a_count_per_person_fails_the_people_queries_check(sessions):
    failed = only_failure(results_of(sessions, "people counted per person"), "w8.people-queries")
    assert failed.seen == "5 queries with 3 people, 22 with 20: more for every person (an N+1)"
    assert "Count('posts')" in failed.hint


def test_cors_for_every_origin_fails_the_cors_check(sessions):
    failed = only_failure(results_of(sessions, "CORS for everyone"), "w8.cors")
    seen = failed.seen.splitlines()
    assert len(seen) == 2, failed.seen
    assert all("which is not allowed, got Access-Control-Allow-Origin *" in line for line in seen)


def test_a_subprotocol_not_chosen_fails_the_token_socket_check(sessions):
    failed = only_failure(results_of(sessions, "subprotocol not chosen"), "w8.token-socket")
    assert failed.seen == (
        "it was accepted without choosing a subprotocol (no Sec-WebSocket-Protocol in the "
        "answer): a browser closes such a socket"
    )
    assert "subprotocol='retrosocial.token'" in failed.hint
