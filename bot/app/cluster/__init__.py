"""Several replicas of the server on one PostgreSQL and one Redis (CXBOT_REDIS_URL).

Without Redis nothing here runs and one process works as it always did. With it:
- node.py: this replica's name and heartbeat (whose claims on messages are still alive), the
  per-conversation lock that keeps messages in order across replicas, and leases for work one
  replica does at a time (the queue time-out sweep, Telegram polling);
- fanout.py: pushes that must reach whichever replica holds the customer's widget socket or a
  console's live queue, over Redis pub/sub;
- limits.py: the console's login limits and the channels' message limits, counted in Redis;
- wiring.py: what the server gets from the cluster, and the jobs run once across replicas.
"""
