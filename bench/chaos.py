"""
Live delivery under faults: while posts and direct messages are made continuously through the
API, something breaks — Redis stopped, Redis frozen (SIGSTOP), daphne killed (-9) and
restarted, PostgreSQL restarted — and every client must still end with every post and message
exactly once, without a reload.

Each case gets its own redis-server (free port), its own database in a PostgreSQL cluster this
script creates (initdb in a temporary folder, its own port: the PostgreSQL case restarts it),
and its own daphne with the production settings. Clients: Chromium pages (the feed and a
conversation; the items counted in the DOM), `retro tail --json --messages` (the real CLI in a
subprocess; JSON lines counted), and bench/protocol_client.py (the documented protocol, and
nothing else). The table gives, per case and client: sent, saved (in the database), received
once, duplicates, missing. Exit status 1 if anything is missing or duplicated.

    .venv/bin/python bench/chaos.py [--cases redis-stop,redis-freeze,daphne-kill,postgres-restart]
        [--outage 10] [--clients protocol,tail,browser]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench._harness import (  # noqa: E402
    PASSWORD,
    Failure,
    LiveDatabase,
    LiveServer,
    RedisServer,
    api_account,
    ctrl_c_as_at_a_terminal,
    free_port,
    one_line,
    site,
    table,
)

ROOT = Path(__file__).resolve().parent.parent
CASES = ["redis-stop", "redis-freeze", "daphne-kill", "postgres-restart"]
CLIENTS = ["protocol", "tail", "browser"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class PostgresCluster:
    """A PostgreSQL cluster of our own (initdb in a temporary folder, its own port)."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise Failure("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="retro-chaos-pg-"))
        self.data = self.folder / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        # initdb refuses to run as root: run the cluster as the postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run([*self.as_user, str(self.bin / program), *args],
                                capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise Failure(f"{program} failed: {result.stderr.strip()[-300:]}")

    def start(self) -> PostgresCluster:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   f"-c fsync=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "log"), "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except Failure:
            pass  # already stopped; the folder goes either way
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Writer:
    """Posts and messages through the API, one every `interval` s, alternating, until stopped.
    Each item is retried (same text) until the API says 201 or 60 s pass."""

    url: str
    alice: tuple[str, str]
    bob: tuple[str, str]
    interval: float = 0.25
    sent: dict[str, int] = field(default_factory=lambda: {"posts": 0, "messages": 0})
    failed: dict[str, int] = field(default_factory=lambda: {"posts": 0, "messages": 0})
    stopping: threading.Event = field(default_factory=threading.Event)
    first_try: int = 0
    slowest: float = 0.0
    last_error: str = ""

    def one(self, kind: str, n: int) -> None:
        who, other = (self.alice, self.bob) if n % 2 == 0 else (self.bob, self.alice)
        if kind == "posts":
            path, body = "/api/posts", {"text": f"chaos post {n}"}
        else:
            path, body = f"/api/messages/{other[0]}", {"text": f"chaos message {n}"}
        self.sent[kind] += 1
        started = time.monotonic()
        deadline = started + 60
        attempts = 0
        with httpx.Client(base_url=self.url, timeout=20) as http:
            while time.monotonic() < deadline:
                attempts += 1
                try:
                    response = http.post(path, json=body,
                                         headers={"Authorization": f"Token {who[1]}"})
                    if response.status_code == 201:
                        self.first_try += attempts == 1
                        self.slowest = max(self.slowest, time.monotonic() - started)
                        return
                    self.last_error = f"{response.status_code}"
                except httpx.HTTPError as exc:  # daphne or the database away: try again
                    self.last_error = type(exc).__name__
                time.sleep(0.2)
        self.failed[kind] += 1

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            self.one("posts" if n % 2 == 0 else "messages", n)
            n += 1
            self.stopping.wait(self.interval)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread


class LineClient:
    """A client in a subprocess that prints one JSON item a line on standard output."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], ready: str):
        self.name = name
        folder = Path(tempfile.mkdtemp(prefix=f"retro-chaos-{name}-"))
        self.out, self.err = folder / "out.jsonl", folder / "err.log"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=err)
        self.ready = ready

    def wait_ready(self, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.err.read_text(errors="replace").count(self.ready) >= count:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise Failure(f"{self.name} did not start: {self.err.read_text(errors='replace')[-400:]}")

    def items(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {"posts": [], "messages": []}
        for line in self.out.read_text(errors="replace").splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and "id" in item:
                found["messages" if "sender" in item else "posts"].append(item["id"])
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Pages:
    """Chromium: alice's feed page and bob's conversation with alice; ids read from the DOM."""

    def __init__(self, server: LiveServer, alice: str, bob: str):
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM,
                                                       args=CHROMIUM_ARGS)
        self.feed = self._logged_in(server, alice, "/")
        self.thread = self._logged_in(server, bob, f"/messages/{alice}")

    def _logged_in(self, server: LiveServer, username: str, path: str):
        page = self.browser.new_context().new_page()
        page.goto(f"{server.url}/login")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        if path != "/":
            page.goto(f"{server.url}{path}")
        page.wait_for_function("document.documentElement.dataset.socket === 'open'",
                               timeout=60_000)
        return page

    def items(self) -> dict[str, list[int]]:
        script = "els => els.map(e => Number(e.dataset.id))"
        return {
            "posts": self.feed.eval_on_selector_all("#feed [data-id]", script),
            "messages": self.thread.eval_on_selector_all("#thread [data-id]", script),
        }

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()


def database_ids(database: LiveDatabase) -> dict[str, set[int]]:
    import psycopg

    with psycopg.connect(database.url) as conn:
        posts = {row[0] for row in conn.execute("SELECT id FROM posts_post")}
        messages = {row[0] for row in conn.execute("SELECT id FROM messaging_message")}
    return {"posts": posts, "messages": messages}


def retro_env(server: LiveServer, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETRO_")}
    env.update(RETRO_CONFIG_DIR=str(config), RETRO_SERVER=server.url, PYTHONUNBUFFERED="1")
    return env


def start_clients(kinds: list[str], server: LiveServer, alice, bob) -> dict[str, object]:
    clients: dict[str, object] = {}
    if "protocol" in kinds:
        clients["protocol"] = LineClient(
            "protocol",
            [sys.executable, str(ROOT / "bench" / "protocol_client.py"), "--server", server.url,
             "--token", alice[1], "--messages", "--duration", "600"],
            {**os.environ, "PYTHONUNBUFFERED": "1"}, "connected",
        )
    if "tail" in kinds:
        config = Path(tempfile.mkdtemp(prefix="retro-chaos-config-")) / "config"
        env = retro_env(server, config)
        login = subprocess.run([sys.executable, "-m", "cli.main", "login", bob[0],
                                "--password-stdin"], input=PASSWORD + "\n", text=True,
                               capture_output=True, env=env, cwd=ROOT, timeout=60)
        if login.returncode:
            raise Failure(f"retro login failed: {login.stderr.strip()[-300:]}")
        clients["tail"] = LineClient(
            "tail", [sys.executable, "-m", "cli.main", "tail", "--json", "--messages"],
            env, "Following",
        )
    if "protocol" in clients:
        clients["protocol"].wait_ready(count=2)
    if "tail" in clients:
        clients["tail"].wait_ready()
    if "browser" in kinds:
        clients["browser"] = Pages(server, alice[0], bob[0])
    return clients


def fault(case: str, outage: float, redis: RedisServer, server: LiveServer,
          cluster: PostgresCluster | None) -> None:
    if case == "redis-stop":
        redis.stop()
        time.sleep(outage)
        redis.start()
    elif case == "redis-freeze":
        redis.freeze()
        time.sleep(outage)
        redis.resume()
    elif case == "daphne-kill":
        server.kill()
        time.sleep(1)
        server.start(timeout=60)
    elif case == "postgres-restart":
        if cluster is None:
            raise Failure("the PostgreSQL case needs a cluster of its own")
        cluster.stop()
        time.sleep(2)
        cluster.start()
    else:
        raise Failure(f"unknown case {case!r}")


def run_case(case: str, args, server_url: str, cluster: PostgresCluster | None = None
             ) -> tuple[list[list[object]], list[object]]:
    """One case on a fresh database on the PostgreSQL server at server_url (the cluster's own
    when there is one). Returns the rows of the table (case, client, items, sent, saved,
    received once, duplicates, missing) and the writer's row (case, sent, accepted at the
    first try, after retries, not accepted, slowest accepted write in s, last error)."""
    database = LiveDatabase(server_url)
    redis = RedisServer().start()
    server = site(database, redis.url).start(timeout=60)
    clients: dict[str, object] = {}
    try:
        alice, bob = api_account(server.url, "alice"), api_account(server.url, "bob")
        clients = start_clients(args.clients, server, alice, bob)
        writer = Writer(server.url, alice, bob, interval=args.interval)
        thread = writer.start()
        time.sleep(args.before)
        fault(case, args.outage, redis, server, cluster)
        time.sleep(args.after)
        writer.stopping.set()
        thread.join(timeout=90)
        # One more of each after everything is back: whatever a client missed without being
        # told, it can see from this item's id (a gap) and catch up.
        writer.one("posts", 10_000)
        writer.one("messages", 10_001)
        saved = database_ids(database)
        deadline = time.monotonic() + args.settle
        while time.monotonic() < deadline:
            if all(set(c.items()[k]) >= saved[k] for c in clients.values() for k in saved):
                break
            time.sleep(0.5)
        rows = []
        for name, client in clients.items():
            got = client.items()
            for kind in ("posts", "messages"):
                ids = got[kind]
                once = set(ids) & saved[kind]
                rows.append([case, name, kind, writer.sent[kind], len(saved[kind]), len(once),
                             len(ids) - len(set(ids)), len(saved[kind] - once)])
        failed = writer.failed["posts"] + writer.failed["messages"]
        if failed:
            rows.append([case, "writer", "API", "", "", "", "",
                         f"{failed} items not accepted within 60 s ({writer.last_error})"])
        sent = writer.sent["posts"] + writer.sent["messages"]
        writes = [case, sent, writer.first_try, sent - writer.first_try - failed, failed,
                  f"{writer.slowest:.1f}", writer.last_error or "–"]
        return rows, writes
    finally:
        for client in clients.values():
            (client.close if isinstance(client, Pages) else client.stop)()
        server.stop()
        redis.stop()
        try:
            database.drop()
        except Exception as exc:  # the cluster goes away next anyway; say so, don't hide it
            print(f"  (could not drop {database.name}: {exc})", file=sys.stderr)


def parse_list(text: str, allowed: list[str], what: str) -> list[str]:
    items = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown or not items:
        raise SystemExit(f"chaos: unknown {what} {', '.join(unknown) or '(none)'}; "
                         f"choose from {', '.join(allowed)}")
    return items


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default=",".join(CASES), help="(default: all four)")
    parser.add_argument("--clients", default=",".join(CLIENTS), help="(default: all three)")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds Redis is down/frozen")
    parser.add_argument("--before", type=float, default=2.0, help="seconds of writing first")
    parser.add_argument("--after", type=float, default=3.0, help="seconds of writing after")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between writes")
    parser.add_argument("--settle", type=float, default=60.0,
                        help="longest wait for the clients to catch up (default: 60)")
    args = parser.parse_args(argv)
    args.cases = parse_list(args.cases, CASES, "case")
    args.clients = parse_list(args.clients, CLIENTS, "client")
    return args


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    ctrl_c_as_at_a_terminal()  # retro tail is stopped with Ctrl-C
    cases = args.cases
    if not 0 < args.outage <= 120 or args.interval <= 0:
        print("chaos: --outage takes 0 to 120 seconds, --interval more than 0", file=sys.stderr)
        return 2
    if "browser" in args.clients and not Path(CHROMIUM).exists():
        print(f"chaos: {CHROMIUM} is missing (apt-get install chromium), or leave out the "
              "browser with --clients protocol,tail", file=sys.stderr)
        return 2
    rows: list[list[object]] = []
    writes: list[list[object]] = []
    started = time.monotonic()
    try:
        cluster = PostgresCluster().start()
    except (Failure, httpx.HTTPError, RuntimeError) as exc:  # one line, no traceback
        print(f"chaos: {one_line(exc)}", file=sys.stderr)
        return 2
    try:
        for case in cases:
            print(f"  … {case}", file=sys.stderr, flush=True)
            try:
                case_rows, case_writes = run_case(case, args, cluster.url, cluster)
                rows += case_rows
                writes.append(case_writes)
            except (Failure, httpx.HTTPError, RuntimeError) as exc:
                rows.append([case, "–", "–", "", "", "", "", f"failed: {one_line(exc)[:150]}"])
    finally:
        cluster.remove()
    print("### Live delivery under faults (`make chaos`)\n")
    print(f"Cases {', '.join(cases)}; Redis outages {args.outage:g} s; a post or a message "
          f"through the API every {args.interval:g} s from {args.before:g} s before the fault "
          f"to {args.after:g} s after it, then one more of each; clients: "
          f"{', '.join(args.clients)}; {time.monotonic() - started:.0f} s in all.\n")
    print(table(["case", "client", "items", "sent", "saved", "received once", "duplicates",
                 "missing"], rows))
    print("\nThe writes through the API during each case (retried every 0.2 s, 60 s at most; "
          "a 20 s timeout per request):\n")
    print(table(["case", "posts and messages", "accepted at once", "after retries",
                 "not accepted", "slowest accepted (s)", "last error"], writes))
    bad = [r for r in rows if not isinstance(r[7], int) or r[6] or r[7]]
    if bad:
        print(f"\n{len(bad)} rows with missing or duplicated items, or a case that failed",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
