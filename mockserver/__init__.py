"""mockserver: a protocol-faithful, stateful sandbox of Latin-American e-invoicing APIs."""

__version__ = "0.1.0"
