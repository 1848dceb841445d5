"""
The live feed as the course first built it, kept for the benchmarks to compare against: a
consumer per socket in one group, each post sent to the group through the channel layer.
"""
