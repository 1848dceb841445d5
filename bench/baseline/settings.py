"""
The site's settings with the baseline's channel layer: BENCH_LAYER=core is channels-redis's
core RedisChannelLayer (the course outline's design), BENCH_LAYER=pubsub its
RedisPubSubChannelLayer. Used only by bench/ (see bench/_harness.py).
"""

import os

from retrosocial.settings import *  # noqa: F403
from retrosocial.settings import REDIS_URL

BACKENDS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
BENCH_LAYER = os.environ.get("BENCH_LAYER", "pubsub")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": BACKENDS[BENCH_LAYER],
        "CONFIG": {
            "hosts": [REDIS_URL],
            "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "retrosocial"),
        },
    }
}
