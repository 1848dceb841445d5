"""
The course commands: `retro lesson list|show|open|diff|get`, `retro check`, `retro watch`,
`retro doctor` for students, `retro checkpoint list|reset|backups|restore|publish` and
`retro class check` for instructors; each module has its own `app`, joined in cli/main.py.
The course itself (weeks, lessons, checkpoints, which files are the student's project) is
described in lessons/course.toml.
"""
