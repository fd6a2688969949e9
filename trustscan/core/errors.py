"""Every error type trustscan's library raises to its callers, in one place.

Each message is one line for the user; the CLI maps each type to a documented exit code.
"""

from __future__ import annotations

from typing import Any

from trustscan.core.wordings import Wording


class WordedError(Exception):
    """An error that says why as a Wording (`error.*` in rules/messages/*/errors.yaml).

    `str()` is its English sentence, for logs and callers that want text; the report keeps the
    Wording too, so every output can word it in its own language.
    """

    def __init__(self, message_id: str | Wording, **values: Any) -> None:
        wording = message_id if isinstance(message_id, Wording) else Wording(message_id, values)
        super().__init__(wording)
        self.wording = wording

    def __str__(self) -> str:
        return self.wording.english()


class ProbeError(WordedError):
    """A probe could not talk to the server at all, or could not finish; says why as a Wording."""


class TargetError(ValueError):
    """The target is not something trustscan can audit; the message is one line for the user."""


class AddressPolicyError(WordedError):
    """The target resolves to a non-public address and the user did not allow private scans.

    Its Wording is `error.address_policy` with the host, the address and the address's category (an
    `address.*` Wording naming the block and its RFC); `str()` is the English sentence.
    """


class ResolverError(ValueError):
    """The `--resolver` value is malformed."""


class RuleError(ValueError):
    """A rule file is malformed; the message names the file and rule."""


class YamlInputError(ValueError):
    """A user's YAML file is refused as YAML (syntax, anchors, depth, an impossible date); one short line."""


class DeclarationError(ValueError):
    """The declaration file is missing, unreadable or invalid; the message is one line."""


class DocumentError(ValueError):
    """The file is neither a trustscan report nor a DSSE envelope holding one (exit code 2)."""


class StoreError(Exception):
    """The database cannot be opened or is not a trustscan results database."""


class StoreLostError(StoreError, WordedError):
    """The database went away in the middle of a run (server stopped, connection cut).

    Worded (`bulk.error.lost_database` with the database and the backend's words), so a worker that gives
    up on a site because of it records why in every language.
    """


class SnapshotError(Exception):
    """A snapshot cannot be imported, read or removed; the message is one line for the user."""


class NotAList(SnapshotError):  # noqa: N818 - says what the file is not, as the message does
    """The bytes are no list at all (binary, blank, broken JSON): refused whole, never mined for words.

    Within a list, a line that holds no entry is only rejected (see `trustscan.lists.formats`).
    """


class PortfolioError(ValueError):
    """The portfolio file as a whole cannot be used (missing, not UTF-8, no target column)."""


class PolicyError(ValueError):
    """The policy file is unreadable or invalid; the message is one line naming the problem."""


class ReportFileError(DocumentError):
    """A file cannot be read, is not JSON, or is not a report by the schema; one-line message.

    Raised by `trustscan.report.schema`, the one reader of report files; a kind of DocumentError,
    so the publishing commands catch it with their envelope errors.
    """


class EnvelopeError(ValueError):
    """The document is not a well-formed DSSE envelope."""


class EnvelopeCorrupt(EnvelopeError):
    """The envelope has the right shape but its payload or signature bytes are damaged."""


class ListFetchError(Exception):
    """The list could not be fetched; the message is one line for the user."""


class KeyFileError(ValueError):
    """A key file is missing, unreadable, not a key, or not an Ed25519 key; one-line message."""


class PassphraseNeeded(KeyFileError):
    """The private key is encrypted and no (or a wrong) passphrase was given."""


class InputFileError(Exception):
    """A user-given file cannot be read: missing, unreadable, or not a regular file.

    Raised by `trustscan.net.files.read_capped_file`; each caller turns it into its own one-line
    error. `reason` is a few words (an OS error's text, or "not a regular file").
    """

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"cannot read {path}: {reason}")
        self.path = path
        self.reason = reason


class InputFileTooLarge(InputFileError):
    """A user-given file is larger than the cap its kind of file allows."""

    def __init__(self, path: object, cap: int, size: int) -> None:
        super().__init__(path, f"larger than {cap:,} bytes")
        self.cap = cap
        self.size = size  # as far as known: the file's size, or what was read before giving up
