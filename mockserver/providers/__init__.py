"""One package per provider; `core.runtime.PROVIDERS` names them."""
