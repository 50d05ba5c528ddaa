"""How long a lease lasts, how often it is renewed, and how long a run waits for one.

Kept apart from the lease itself so that the command line can name the default wait without
importing boto.
"""

# A DynamoDB write costs about a millionth of a dollar: renew often, so that a crashed
# holder elsewhere blocks for at most TTL_S after its last renewal.
TTL_S = 30.0
RENEW_EVERY_S = 10.0
# Longer than TTL_S, so that a re-run after a crash elsewhere waits the lease out by itself.
WAIT_S = 45.0
