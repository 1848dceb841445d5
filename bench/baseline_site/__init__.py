"""The site with two baselines added, for bench/feed_page.py and bench/api.py (see urls.py)."""
