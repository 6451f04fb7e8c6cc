"""Safe to share, item 5: when the state file's disk fills, a write that was not kept leaves no trace —
not in memory, not in the idempotency store — and answers a retryable 503 in the provider's envelope;
every write answered 201 is there after a restart."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.core import persistence
from tests.conftest import Mock
from tests.providers.tuimprenta.conftest import invoice_body

V1 = "/tuimprenta/v1"
KEY = "Bearer disk-key"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs the test mounts itself (needs root, as CI has); skipped where it cannot be made."""
    where = tmp_path / "disk"
    where.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


async def test_a_write_the_full_disk_did_not_keep_leaves_no_trace_and_is_retryable(
    make_mock: Any, small_disk: Path
) -> None:
    state = small_disk / "state.sqlite"
    settings = {"providers": ("tuimprenta",), "state_file": state, "rate_limits": {"*": None}}
    mock: Mock = await make_mock(**settings)
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * 1_200_000)  # what the test frees later
    acked, refused = 0, None
    for _ in range(2000):
        key = str(uuid.uuid4())
        headers = {"Authorization": KEY, "Idempotency-Key": key}
        answer = await mock.client.post(f"{V1}/invoices", json=invoice_body(), headers=headers)
        if answer.status == 201:
            acked += 1
            continue
        refused = (answer.status, await answer.json(), headers)
        break
    assert refused is not None and acked > 0, "the disk never filled"
    status, body, headers = refused
    assert status == 503 and set(body) == {"error"} and body["error"]["code"]  # tuimprenta's envelope
    listed = await (await mock.client.get(f"{V1}/invoices?limit=100", headers={"Authorization": KEY})).json()
    assert listed["total"] == acked if "total" in listed else len(listed["data"]) == min(acked, 100)
    ballast.unlink()
    retried = await mock.client.post(f"{V1}/invoices", json=invoice_body(), headers=headers)
    assert retried.status == 201 and "Idempotent-Replayed" not in retried.headers  # never ran before
    await mock.client.close()
    again: Mock = await make_mock(**settings)
    await persistence.restore(again.runtime)
    state_of = again.runtime.providers["tuimprenta"].state
    assert sum(len(a.invoices) for a in state_of.accounts.values()) == acked + 1
