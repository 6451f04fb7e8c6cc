"""Snapshots of the state, so a restart replays only the writes since the last one.

The write log stays the truth; a snapshot is a cache of what replaying it gives, kept beside the state
file as `<state file>-snapshot` (as SQLite keeps `-wal` and `-shm`). It holds every provider's state
and what the shared services keep for it (lifecycle tracks and their timers, webhook deliveries, the
idempotency store, scenario rules, the journal, the inboxes), and names the last write it includes.
A restart loads it and replays the writes after that one; a snapshot made by other code or other
settings, or one that does not check out, is set aside with a line in the log and the whole log is
replayed, as before snapshots.

The pickle names the runtime's services instead of copying them and is read back by an unpickler
that builds mockserver's own types and a short list of standard ones, nothing else. When snapshots
are taken is `snapshots.py`'s business.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import inspect
import io
import json
import os
import pickle
import types
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from multidict import istr

if TYPE_CHECKING:
    from mockserver.core.runtime import Runtime


MAGIC = b"mockserver-snapshot/1\n"
PACKAGE = Path(__file__).resolve().parents[1]
SAFE_GLOBALS = {
    ("builtins", name)
    for name in ("set", "frozenset", "bytearray", "int", "float", "str", "bytes", "list", "dict", "bool")
} | {
    ("collections", "OrderedDict"),
    ("collections", "deque"),
    ("collections", "defaultdict"),
    ("functools", "partial"),
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("decimal", "Decimal"),
    ("re", "_compile"),
    ("array", "array"),
    ("array", "_array_reconstructor"),
}
# what the snapshot keeps by value; everything else the runtime holds is named and taken from the new one
KEPT = ("state", "inboxes", "providers")


class SnapshotError(Exception):
    """A snapshot that cannot be taken or used: logged, and the write log serves instead."""


# --- what a snapshot holds ---------------------------------------------------------------------------


def _contents(runtime: Runtime) -> dict[str, Any]:
    return {
        "states": {name: pr.state for name, pr in runtime.providers.items()},
        "lifecycles": runtime.lifecycles.saved(),
        "scheduler": runtime.scheduler.saved(),
        "webhooks": runtime.webhooks.saved(),
        "idempotency": runtime.idempotency.saved(),
        "scenarios": runtime.scenarios.saved(),
        "journal": runtime.journal.saved(),
        "coverage": runtime.coverage.saved(),
        "testclocks": runtime.testclocks.saved(),
        "inboxes": runtime.inboxes,
    }


def _put_back(runtime: Runtime, contents: dict[str, Any]) -> None:
    if set(contents["states"]) != set(runtime.providers):
        raise SnapshotError("it was taken with other providers")
    for name, state in contents["states"].items():
        runtime.providers[name].state = state
    runtime.lifecycles.put_back(contents["lifecycles"])
    runtime.scheduler.put_back(contents["scheduler"])
    runtime.webhooks.put_back(contents["webhooks"])
    runtime.idempotency.put_back(contents["idempotency"])
    runtime.scenarios.put_back(contents["scenarios"])
    runtime.journal.put_back(contents["journal"])
    runtime.coverage.put_back(contents["coverage"])
    runtime.testclocks.put_back(contents["testclocks"])
    runtime.inboxes.clear()
    runtime.inboxes.update(contents["inboxes"])


def _services(runtime: Runtime) -> dict[str, Any]:
    """The runtime's own objects by a name that is the same in every process built the same way."""
    named: dict[str, Any] = {"runtime": runtime}
    for attr, value in vars(runtime).items():
        if attr not in KEPT:
            named[f"runtime.{attr}"] = value
    for name, pr in runtime.providers.items():
        named[f"providers.{name}"] = pr
        for attr, value in vars(pr).items():
            if attr not in KEPT:
                named[f"providers.{name}.{attr}"] = value
    return {k: v for k, v in named.items() if not isinstance(v, IMMUTABLE)}


IMMUTABLE = (str, int, float, bool, bytes, tuple, frozenset, type(None))
_RESTORING: dict[str, Any] = {}  # the services being restored into (the loader is synchronous)


def _service(name: str) -> Any:
    try:
        return _RESTORING[name]
    except KeyError:
        raise SnapshotError(f"it names a service this mock does not have ({name})") from None


def _method(owner: Any, name: str) -> Any:
    """A bound method, only of a plain function the owner's class defines (no dunder, no attribute)."""
    if name.startswith("__") or not inspect.isfunction(getattr(type(owner), name, None)):
        raise SnapshotError(f"it names {type(owner).__name__}.{name}, which is not a method")
    return getattr(owner, name)


def fingerprint(runtime: Runtime) -> str:
    """The code and the settings a snapshot is valid for: another version or other providers, options,
    lifecycle default, callback rules or signing key would have replayed the log differently."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".yaml", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    s = runtime.settings
    chosen = {
        "providers": list(s.providers),
        "options": {name: pr.options for name, pr in runtime.providers.items()},
        "lifecycle": s.lifecycle,
        "journal_size": s.journal_size,
        "callback_allowlist": list(s.callback_allowlist),
        # links and tokens in state are made with it (the mock's own key is in the store: it stays)
        "signing_key": hashlib.sha256(s.signing_key.read_bytes()).hexdigest() if s.signing_key else None,
    }
    digest.update(json.dumps(chosen, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def capture(runtime: Runtime, seq: int, print_: str) -> bytes:
    """The snapshot as of write `seq` (every write up to it has run, none after it has started)."""
    named = _services(runtime)
    services = {id(v): k for k, v in named.items()}
    kinds = {type(v) for v in named.values()} - {dict, list, set}

    def by_name(obj: Any) -> tuple[Any, ...]:
        name = services.get(id(obj))
        if name is None:
            raise SnapshotError(f"state holds a {type(obj).__name__} that is not the runtime's")
        return (_service, (name,))

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    table: dict[type, Any] = {kind: by_name for kind in kinds}
    table[types.MethodType] = lambda m: (_method, (m.__self__, m.__func__.__name__))
    table[istr] = lambda s: (str, (str(s),))  # header names aiohttp made: plain strings do as well
    pickler.dispatch_table = table
    pickler.dump(_contents(runtime))
    body = zlib.compress(buffer.getvalue(), 1)
    header = {
        "log": runtime.store.log_id,
        "seq": seq,
        "fingerprint": print_,
        "sha256": hashlib.sha256(body).hexdigest(),
        "clock": runtime.clock.now(),  # mock time: what the state had seen
    }
    return MAGIC + json.dumps(header).encode() + b"\n" + body


class _Loader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in SAFE_GLOBALS:
            return super().find_class(module, name)
        if module == __name__ and name in ("_service", "_method"):
            return globals()[name]
        if module.startswith("mockserver.") and "." not in name and not name.startswith("__"):
            found = super().find_class(module, name)
            if (isinstance(found, type) or inspect.isfunction(found)) and found.__module__ == module:
                return found
        raise SnapshotError(f"it asks for {module}.{name}, which a snapshot never holds")


def read(path: Path, runtime: Runtime, print_: str) -> int:
    """Put a snapshot back into `runtime`; answers the last write it includes. SnapshotError: unusable."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SnapshotError(os.strerror(error.errno) if error.errno else str(error)) from None
    if not data.startswith(MAGIC):
        raise SnapshotError("it is not a mockserver snapshot")
    line, _, body = data[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(line)
        seq, log_id, kept, checksum = header["seq"], header["log"], header["fingerprint"], header["sha256"]
    except (ValueError, KeyError, TypeError):
        raise SnapshotError("its header is damaged") from None
    if log_id != runtime.store.log_id or not isinstance(seq, int) or not 0 < seq <= runtime.store.last_seq:
        raise SnapshotError("it belongs to another write log (or to this one before a reset or an import)")
    if kept != print_:
        raise SnapshotError("it was taken by another version of mockserver or with other settings")
    if hashlib.sha256(body).hexdigest() != checksum:
        raise SnapshotError("it is damaged (its checksum does not match)")
    _RESTORING.update(_services(runtime))
    gc.disable()  # a large object graph loads several times faster without collections on the way
    try:
        contents = _Loader(io.BytesIO(zlib.decompress(body))).load()
        _put_back(runtime, contents)
    except SnapshotError:
        raise
    except Exception as error:  # a snapshot that unpickles wrong is set aside, never a failed start
        raise SnapshotError(f"it cannot be read ({type(error).__name__}: {error})") from None
    finally:
        # what was just loaded lives as long as the mock: kept out of later collections, which would
        # otherwise walk all of it the first time they run (0.4 s for 100,000 invoices)
        gc.freeze()
        gc.enable()
        _RESTORING.clear()
    return seq


def seq_of(path: Path) -> int | None:
    """The last write a snapshot file says it includes (its header only)."""
    try:
        with open(path, "rb") as file:
            head = file.read(len(MAGIC) + 4096)
        return int(json.loads(head[len(MAGIC) :].partition(b"\n")[0])["seq"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(partial, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
    with contextlib.suppress(OSError):  # the rename itself is durable once the directory is synced
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
