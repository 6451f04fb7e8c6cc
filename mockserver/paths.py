"""Where the mock's data lives: the specs, the fixtures and the default signing key, in one place."""

from __future__ import annotations

import os
from pathlib import Path

# an installed mock carries them inside the package (setup.py copies them into the wheel); a checkout
# and an editable install read specs/ and fixtures/ beside the package; MOCKSERVER_ROOT overrides both
_PACKAGED = Path(__file__).resolve().parent / "_data"
_CHECKOUT = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("MOCKSERVER_ROOT") or (_PACKAGED if (_PACKAGED / "specs").is_dir() else _CHECKOUT))
SPECS = ROOT / "specs"
FIXTURES = ROOT / "fixtures"
DEFAULT_SIGNING_KEY = FIXTURES / "keys" / "mock-signing-key.pem"
