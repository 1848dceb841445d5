"""
`retro new NAME`: start a new Django project from the course's project template
(cli/course/project_template/, through `django-admin startproject --template`): settings from
the environment, PostgreSQL through DATABASE_URL, WhiteNoise, daphne in the Procfile, /healthz
and a .gitignore, so the next project runs at once and deploys the way RetroSocial does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.course.options import python_option
from cli.output import examples

app = typer.Typer()

TEMPLATE = Path(__file__).resolve().parent / "project_template"
RENDERED = ("Procfile", "README.md")  # besides the .py files: the project's name is in them

PythonOption = python_option(
    "The Python whose Django creates the project (default: your active virtual environment, "
    "else retro's own)."
)


@app.command(
    "new",
    epilog=examples(
        "retro new mysite",
        "retro new blog --path ~/code/blog",
        'django-admin startproject --template "$(retro new --template-path)" mysite',
    ),
)
def new(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME",
            help="The project's name: a Python identifier, such as mysite (its settings "
            "package gets this name).",
            show_default=False,
        ),
    ] = None,
    path: Annotated[
        Path | None,
        typer.Option(
            "--path",
            metavar="DIR",
            help="The folder to create it in: new or empty (default: ./NAME).",
            show_default=False,
        ),
    ] = None,
    python: PythonOption = None,
    template_path: Annotated[
        bool,
        typer.Option(
            "--template-path", help="Only print the template's folder (for django-admin)."
        ),
    ] = False,
) -> None:
    """Start a new Django project from the course's template, ready to run and to deploy."""
    from cli import output
    from cli.errors import CLIError, ExitCode

    if template_path:
        output.result(str(TEMPLATE))
        return
    if not name:
        raise CLIError("name the project: retro new NAME", ExitCode.USAGE)
    target = (path or Path.cwd() / name).expanduser().absolute()
    interpreter = template_python(python)
    created = prepare_folder(target)
    try:
        create(interpreter, name, target)
    except CLIError:
        if created and not any(target.iterdir()):
            target.rmdir()  # leave nothing behind but what was there
        raise
    output.result(f"Created the project {name} in {target}")
    output.status(next_steps(target), style="")


def template_python(explicit: str | None) -> str:
    """--python, else the active virtual environment's, else retro's own: one that has Django."""
    import os
    import shutil
    import subprocess
    import sys

    from cli.errors import CLIError, ExitCode

    if explicit:
        interpreter = shutil.which(explicit) or explicit
        if not Path(interpreter).is_file():
            raise CLIError(f"no Python at {explicit}", ExitCode.USAGE)
    elif os.environ.get("VIRTUAL_ENV"):
        interpreter = str(Path(os.environ["VIRTUAL_ENV"]) / "bin" / "python")
    else:
        interpreter = sys.executable
    probe = subprocess.run(
        [interpreter, "-c", "import django; print(django.get_version())"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        raise CLIError(
            f"{interpreter} has no Django to create the project with",
            ExitCode.USAGE,
            hint="python3 -m venv .venv && . .venv/bin/activate && "
            "pip install 'Django>=5.2,<6', then run retro new again (or pass --python)",
        )
    return interpreter


def prepare_folder(target: Path) -> bool:
    """Make sure `target` is a new or empty folder; True when this made it."""
    from cli.errors import CLIError, ExitCode

    if target.exists():
        if not target.is_dir():
            raise CLIError(f"{target} exists and is not a folder", ExitCode.USAGE)
        if any(target.iterdir()):
            raise CLIError(
                f"{target} exists and is not empty: nothing was written",
                ExitCode.USAGE,
                hint="choose another name, or --path a new folder",
            )
        return False
    try:
        target.mkdir(parents=True)
    except OSError as error:
        raise CLIError(
            f"cannot create {target}: {error.strerror or error}", ExitCode.USAGE
        ) from None
    return True


def create(interpreter: str, name: str, target: Path) -> None:
    import os
    import subprocess
    import tempfile

    from cli.errors import CLIError, ExitCode

    argv = [
        interpreter,
        "-m",
        "django",
        "startproject",
        "--template",
        str(TEMPLATE),
        "--name",
        ",".join(RENDERED),
        name,
        str(target),
    ]
    # From an empty folder: Django refuses a name it can import, and from the current folder
    # it could import the (empty) folder made for the project.
    # Nor any project's settings: startproject needs none, and another project's would fail.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    with tempfile.TemporaryDirectory(prefix="retro-new-") as elsewhere:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, cwd=elsewhere, env=env
        )
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1].removeprefix("CommandError: ") if lines else f"exit {done.returncode}"
        raise CLIError(f"cannot create {name}: {reason}", ExitCode.USAGE)


def next_steps(target: Path) -> str:
    return "\n".join(
        [
            "Next:",
            f"  cd {target}",
            "  python -m venv .venv && . .venv/bin/activate",
            "  pip install -r requirements.txt",
            "  export DEBUG=1",
            "  python manage.py migrate",
            "  python manage.py runserver",
            "Deploy it as RetroSocial: retro deploy local, retro deploy heroku (see its README).",
        ]
    )
