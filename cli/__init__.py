"""retro: the RetroSocial command line, for students, terminal users and instructors."""
