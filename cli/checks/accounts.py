"""
The people a checking session signs up in the project's database, all with the password
PASSWORD; hashing a password costs Django a deliberate fraction of a second, so they are made
a few at a time, with one hash.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cli.checks.session import Session

PASSWORD = "retro-check-Pa55word!"


class Accounts:
    """Users and the one superuser of a session (made on first use)."""

    def __init__(self, session: Session):
        self.session = session
        self.users: dict[str, str] = {}  # username -> password
        self.pool: list[str] = []  # made, not handed out yet
        self.admin: str | None = None

    def create_user(self, prefix: str, superuser: bool = False) -> str:
        """A new user with the password PASSWORD. Ordinary users are made a few at a time, in
        one process: each password costs Django a deliberate fraction of a second to hash."""
        if superuser:
            return self._create_users(prefix, 1, superuser=True)[0]
        if not self.pool:
            self.pool.extend(self._create_users("user", 6))
        username = self.pool.pop(0)
        self.users[username] = PASSWORD
        return username

    def superuser(self) -> str:
        """The session's one superuser, made on first use."""
        if self.admin is None:
            self.admin = self._create_users("admin", 1, superuser=True)[0]
        return self.admin

    def _create_users(self, prefix: str, count: int, superuser: bool = False) -> list[str]:
        names = [f"{prefix}{uuid.uuid4().hex[:6]}" for _ in range(count)]
        self.session.migrated()
        # One password hash for all of them: hashing costs a deliberate fraction of a second.
        code = (
            "import json\n"
            "from django.contrib.auth import get_user_model\n"
            "from django.contrib.auth.hashers import make_password\n"
            "User = get_user_model()\n"
            f"hashed = make_password({PASSWORD!r})\n"
            f"make = User.objects.create_superuser if {superuser!r} else User.objects.create_user\n"
            f"for name in {names!r}:\n"
            "    user = make(username=name, email=name + '@example.com', password=None)\n"
            "    user.password = hashed\n"
            "    user.save(update_fields=['password'])\n"
            "print('RETRO:' + json.dumps(User.objects.count()))\n"
        )
        self.session.shell(code)
        for name in names:
            self.users[name] = PASSWORD
        return names
