"""Snapshots of the state, so a restart replays only the writes since the last one.

The write log stays the truth; a snapshot is a cache of what replaying it gives, kept beside the state
file as `<state file>-snapshot` (as SQLite keeps `-wal` and `-shm`). It holds every provider's state
and what the shared services keep for it (lifecycle tracks and their timers, webhook deliveries, the
idempotency store, scenario rules, the journal, the inboxes), and names the last write it includes.
A restart loads it and replays the writes after that one; a snapshot made by other code or other
settings, or one that does not check out, is set aside with a line in the log and the whole log is
replayed, as before snapshots.

The file is read as data: nothing in it chooses code to run. The pickle names the runtime's services
instead of copying them, and every object of mockserver's own is written as a blank instance of a
state type plus its fields, so the loader never calls a constructor of ours: it makes the instance
with `object.__new__` and fills it in (through the class's own `__setstate__` where it has one).
Beyond that the loader knows the plain data types below, the two functions and the few methods that
state holds a reference to (`FUNCTIONS`, `METHODS`: a timer's callback), and nothing else; a file
that names anything more is set aside. When snapshots are taken is `snapshots.py`'s business.
"""

from __future__ import annotations

import contextlib
import copyreg
import enum
import gc
import hashlib
import io
import json
import os
import pickle
import sys
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
    ("array", "array"),
    ("array", "_array_reconstructor"),
}
# the functions state holds (inside a `functools.partial`): a link signer's secret, a charge's expiry
FUNCTIONS = {
    ("mockserver.core.services.signed_urls", "derived_secret"),
    ("mockserver.providers.tupana.charges", "_expire"),
}
# the methods a timer or a track holds, by the module and class of the object they are bound to
METHODS = {
    ("mockserver.core.services.lifecycle", "Lifecycles", "_fire"),
    ("mockserver.providers.avenio.state", "AvenioState", "_enter"),
    ("mockserver.providers.avenio.state", "AvenioState", "sandbox_now"),
    ("mockserver.providers.bsale.state", "BsaleState", "_declared"),
    ("mockserver.providers.hacienda.state", "HaciendaState", "_enter"),
    ("mockserver.providers.hacienda.state", "HaciendaState", "sandbox_now"),
    ("mockserver.providers.tuimprenta.state", "TuimprentaState", "_run"),
    ("mockserver.providers.tupana.state", "TupanaState", "_advance"),
}
# where state types live; what talks to the outside (files, sockets, keys on disk) is never state
STATE_MODULES = ("mockserver.providers.", "mockserver.core.services.")
NOT_STATE = {
    "mockserver.core.services.store",
    "mockserver.core.services.tls",
    "mockserver.core.services.callbacks",
    "mockserver.core.services.keys",
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
        "inboxes": runtime.inboxes.saved(),
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
    runtime.inboxes.put_back(contents["inboxes"])


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
    """A bound method, only one of `METHODS`."""
    kind = type(owner)
    if (kind.__module__, kind.__qualname__, name) not in METHODS:
        raise SnapshotError(f"it names {kind.__name__}.{name}, which state never holds")
    return getattr(owner, name)


_TYPES: dict[str, type] = {}  # state types by the name a snapshot gives them, once looked up


def _state_type(name: str) -> type:
    """A class of mockserver's state by "module:Class", only from a module already imported (a file
    never makes the mock import anything), defined there, and with nothing of its own run on loading
    but a `__setstate__` of its module or of `dataclasses`."""
    found = _TYPES.get(name)
    if found is not None:
        return found
    module, _, qualname = name.partition(":")
    kind = getattr(sys.modules.get(module), qualname, None) if module.startswith(STATE_MODULES) else None
    setstate = getattr(kind, "__setstate__", None)
    if (
        not isinstance(kind, type)
        or module in NOT_STATE
        or kind.__module__ != module
        or issubclass(kind, BaseException)
        or (setstate is not None and getattr(setstate, "__module__", None) not in (module, "dataclasses"))
    ):
        raise SnapshotError(f"it names {name}, which is not a type of mockserver's state")
    _TYPES[name] = kind
    return kind


def _blank(name: str) -> Any:
    """An instance of a state type with no field set yet: the pickle's BUILD fills it in."""
    return object.__new__(_state_type(name))


def _member(name: str, member: str) -> Any:
    """A member of one of the state's enumerations, by its name."""
    kind = _state_type(name)
    if not issubclass(kind, enum.Enum) or member not in kind.__members__:
        raise SnapshotError(f"it names {name}.{member}, which is not a member")
    return kind[member]


_NEWOBJ = copyreg.__dict__["__newobj__"]  # how pickle makes a plain object: `cls.__new__(cls)`


def _name(kind: type) -> str:
    return f"{kind.__module__}:{kind.__qualname__}"


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
    buffer = io.BytesIO()
    _Writer(buffer, _services(runtime)).dump(_contents(runtime))
    body = zlib.compress(buffer.getvalue(), 1)
    header = {
        "log": runtime.store.log_id,
        "seq": seq,
        "fingerprint": print_,
        "sha256": hashlib.sha256(body).hexdigest(),
        "clock": runtime.clock.now(),  # mock time: what the state had seen
    }
    return MAGIC + json.dumps(header).encode() + b"\n" + body


class _Writer(pickle.Pickler):
    """Writes services by name, and mockserver's own objects as a blank state type and its fields."""

    def __init__(self, buffer: io.BytesIO, named: dict[str, Any]) -> None:
        super().__init__(buffer, protocol=5)
        self.services = {id(v): k for k, v in named.items()}
        # a service's type anywhere else in state is a second copy of it: refused, not duplicated
        self.service_kinds = {type(v) for v in named.values()} - {dict, list, set}

    def reducer_override(self, obj: Any) -> Any:
        name = self.services.get(id(obj))
        if name is not None:
            return (_service, (name,))
        kind = type(obj)
        if kind is types.MethodType:
            return (_method, (obj.__self__, obj.__func__.__name__))
        if kind is istr:  # header names aiohttp made: plain strings do as well
            return (str, (str(obj),))
        if not kind.__module__.startswith("mockserver.") or isinstance(obj, type | types.FunctionType):
            return NotImplemented  # plain data, and the FUNCTIONS, by reference
        if kind in self.service_kinds:
            raise SnapshotError(f"state holds a {kind.__name__} that is not the runtime's")
        if isinstance(obj, enum.Enum):
            return (_member, (_name(kind), obj.name))
        made, args, *rest = obj.__reduce_ex__(5)
        if made is not _NEWOBJ or args != (kind,):
            raise SnapshotError(f"state holds a {kind.__name__} that is not plain data")
        return (_blank, (_name(kind),), *rest)


class _Loader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in SAFE_GLOBALS:
            return super().find_class(module, name)
        if module == __name__ and name in ("_service", "_method", "_blank", "_member"):
            return globals()[name]
        if (module, name) in FUNCTIONS and module in sys.modules:
            return getattr(sys.modules[module], name)
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
