"""
A `retro` that starts as fast as importing Typer (bench/cli_startup.py measures it).

Typer turns every command's function into a click command before it runs any of them: it
reads each signature and evaluates each annotation, about a millisecond a command, and it
converts even an option that was not given (the global `--server`) through pydantic, which
costs more than importing Typer itself. `retro` instead builds a command only when it is run
or asked for its help, lists the others from their names and help texts alone, and leaves
an option that was not given as None without converting it. The help is the same text as
Typer's own (tests/cli/test_help.py compares them for every command).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import typer
from typer import main as typer_main
from typer.core import TyperCommand, TyperGroup, TyperOption


class _UnconvertedWhenAbsent(TyperOption):
    """An option that was not given: its value is None, which Typer's conversion would return
    unchanged, so it is not converted (nor pydantic loaded); required and callback as Typer."""

    def process_value(self, ctx: Any, value: Any) -> Any:
        if value is None and not self.required and not self.multiple and self.nargs == 1:
            return value if self.callback is None else self.callback(ctx, self, value)
        return super().process_value(ctx, value)


class RetroGroup(TyperGroup):
    """A Typer group whose commands may be built on first use (see `lazy_command`)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._builders: dict[str, Callable[[], Any]] = {}

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # the group's options and its --help
        for param in params:
            if type(param) is TyperOption:
                param.__class__ = _UnconvertedWhenAbsent
        return params

    def defer(self, name: str, summary: Any, build: Callable[[], Any]) -> None:
        """`name` is listed as `summary` (its name and help only) until it is used."""
        self.commands[name] = summary
        self._builders[name] = build

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        build = self._builders.pop(cmd_name, None)
        if build is not None:
            self.commands[cmd_name] = build()
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # Typer's own listing, from the summaries: listing a command does not build it.
        builders, self._builders = self._builders, {}
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._builders = builders


def lazy_command(app: typer.Typer) -> RetroGroup:
    """The click group of `app` (a Typer whose `cls` is RetroGroup), each command deferred."""
    commands, groups = app.registered_commands, app.registered_groups
    app.registered_commands, app.registered_groups = [], []
    try:
        group = typer_main.get_group(app)  # the group itself and its own options only
    finally:
        app.registered_commands, app.registered_groups = commands, groups
    assert isinstance(group, RetroGroup), "the Typer must be made with cls=RetroGroup"
    options = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
    }
    _defer(group, app, commands, groups, options)
    return group


def _defer(
    group: RetroGroup, app: typer.Typer, commands: list, groups: list, options: dict[str, Any]
) -> None:
    """Defer `commands`, then `groups`, in the order Typer itself lists them."""
    for info in commands:
        name = info.name or typer_main.get_command_name(info.callback.__name__)
        text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
        summary = TyperCommand(
            name=name,
            help=text,
            short_help=info.short_help,
            hidden=info.hidden,
            deprecated=info.deprecated,
        )
        group.defer(name, summary, _command_builder(info, options))
    for info in groups:
        solved = typer_main.solve_typer_info_defaults(info)
        if not solved.name:  # `add_typer` without a name: its commands are the group's own
            sub = info.typer_instance
            _defer(group, app, sub.registered_commands, sub.registered_groups, options)
            continue
        summary = TyperGroup(
            name=solved.name,
            help=solved.help,
            short_help=solved.short_help,
            hidden=solved.hidden,
            deprecated=solved.deprecated,
        )
        group.defer(solved.name, summary, _group_builder(info, app, options))


def _command_builder(info: Any, options: dict[str, Any]) -> Callable[[], Any]:
    return lambda: typer_main.get_command_from_info(info, **options)


def _group_builder(info: Any, app: typer.Typer, options: dict[str, Any]) -> Callable[[], Any]:
    def build() -> Any:
        group = typer_main.get_group_from_info(
            info, suggest_commands=app.suggest_commands, **options
        )
        _leave_absent_options(group)
        return group

    return build


def _leave_absent_options(group: Any) -> None:
    """A group of commands built whole, and those under it, read absent options as RetroGroup."""
    if type(group) is TyperGroup:
        group.__class__ = RetroGroup
        group._builders = {}
    for command in getattr(group, "commands", {}).values():
        _leave_absent_options(command)


class RetroTyper(typer.Typer):
    """A Typer that runs through `lazy_command` (Typer's CliRunner still builds it whole)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return lazy_command(self)(*args, **kwargs)
