"""
The course commands: `retro lesson list|show|open|diff`, `retro check`, `retro watch`,
`retro doctor` for students, `retro checkpoint list|reset|backups|restore|publish` and
`retro class check` for instructors.
The course itself (weeks, lessons, checkpoints, which files are the student's project) is
described in lessons/course.toml.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from cli.course import browse, checkpoints, classroom, doctor, student, watch

    student.register(app)
    browse.register(student.lesson_app)
    doctor.register(app)
    checkpoints.register(app)
    classroom.register(app)
    watch.register(app)
