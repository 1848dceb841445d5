"""The site's own settings (production when DEBUG is off), with the baselines' URLs added."""

from retrosocial.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline_site.urls"
