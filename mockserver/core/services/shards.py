"""The shard tag: what a balancer in front of several workers hashes to send a sandbox to one worker.

The balancer (the HAProxy config `mockserver cluster haproxy-config` writes) reads each provider's own
credential and hashes it to the tag; the tag is the first 12 hex digits of the credential's SHA-256,
which for a key-named sandbox is exactly its label without `key-` (`masking.credential_label`), so a
worker can tag what it sends later from the sandbox's name alone. Links a worker hands out carry the
tag in a path prefix the balancer routes on and strips (`/__shard/<tag>/bsale/…`); deliveries to the
demo inbox carry it in `X-Mock-Shard`, so each lands on the worker that holds the sandbox.
"""

from __future__ import annotations

import hashlib
import re

HEADER = "X-Mock-Shard"
# set by the balancer on a control-plane call it hands to one worker to act on every worker
FAN_OUT = "X-Mock-Cluster"
WORKER = "X-Mock-Worker"  # on every answer: which worker gave it; on a request: go to that worker
PREFIX = "/__shard/"
# what a worker puts back into a link: the balancer sets the header from the link's own prefix
VALID = re.compile(r"[0-9A-Za-z_-]{1,64}")
LENGTH = 12  # hex digits: 48 bits of the digest, plenty to spread sandboxes and the same as the label


def tag(key: str) -> str:
    """The tag of a credential (a key, a username, a client id) as the balancer computes it."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:LENGTH]


def of_label(label: str) -> str | None:
    """The tag of a key-named sandbox (`key-<12 hex>`), read off its name."""
    return label[4:] if label.startswith("key-") and len(label) == 4 + LENGTH else None
