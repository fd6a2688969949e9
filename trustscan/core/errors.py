"""Errors raised by trustscan's network probes."""


class ProbeError(Exception):
    """A probe could not talk to the server at all; the message is one human-readable line."""


def describe_error(exc: BaseException) -> str:
    """An exception as one line for the report: its kind, then its message with line breaks folded.

    httpx and socket messages can be empty or span lines; the kind always names the failure.
    """
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
