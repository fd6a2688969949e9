"""Errors raised by trustscan's network probes."""


class ProbeError(Exception):
    """A probe could not talk to the server at all; the message is one human-readable line."""
