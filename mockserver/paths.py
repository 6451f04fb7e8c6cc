"""Where the mock's data lives: the specs, the fixtures and the default signing key, in one place."""

from __future__ import annotations

import os
from pathlib import Path

# specs/ and fixtures/ live beside the package in a checkout; an installed copy is told where (Docker)
ROOT = Path(os.environ.get("MOCKSERVER_ROOT") or Path(__file__).resolve().parents[1])
SPECS = ROOT / "specs"
FIXTURES = ROOT / "fixtures"
DEFAULT_SIGNING_KEY = FIXTURES / "keys" / "mock-signing-key.pem"
