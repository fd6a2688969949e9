"""The text of a PDF document (a personal-data policy published as a PDF, criterion b), bounded.

pypdf (BSD-3-Clause, pure Python) reads it. A hostile PDF must not hold the audit: the bytes are
capped by the caller (`MAX_PDF_BYTES`), at most `MAX_PDF_PAGES` pages are read, text stops at
`MAX_PDF_TEXT` characters, decompression output per stream is capped below pypdf's defaults, no
external decoder is ever run (jbig2dec), and the deadline (time.monotonic()) is checked between pages.
Whatever pypdf cannot read is a note, never an exception.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from typing import Any

MAX_PDF_BYTES = 5 * 1024 * 1024
MAX_PDF_PAGES = 30
MAX_PDF_TEXT = 500_000
_MAX_STREAM_OUTPUT = 20 * 1024 * 1024  # decompressed bytes of one stream (pypdf's default is 75 MB)


@dataclass(frozen=True)
class PdfText:
    """What was read: the text, the document title, pages read of all pages, and why reading stopped."""

    text: str
    title: str | None
    pages_read: int
    pages: int
    note: str | None


def pdf_text(data: bytes, deadline: float = float("inf")) -> PdfText:
    """Text of the first pages of `data`; raises TimeoutError only when `deadline` passes."""
    from pypdf import PdfReader
    from pypdf._configuration import apply_configuration
    from pypdf.errors import PyPdfError

    # pypdf logs every repair of a malformed file as a warning: that is for us to summarise, not to print.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    capped = ("zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
              "array_based_stream_maximum_output_length", "jbig2_maximum_output_length", "image_maximum_buffer_size")
    limits: dict[str, Any] = {name: _MAX_STREAM_OUTPUT for name in capped} | {"jbig2dec_binary": None}
    parts: list[str] = []
    size = 0
    pages_read = total = 0
    title: str | None = None
    note: str | None = None
    try:
        with apply_configuration(**limits):
            reader = PdfReader(io.BytesIO(data[:MAX_PDF_BYTES]))
            if reader.is_encrypted:
                return PdfText("", None, 0, 0, "the PDF is encrypted")
            total = len(reader.pages)
            title = _title(reader)
            for page in reader.pages[:MAX_PDF_PAGES]:
                if time.monotonic() >= deadline:
                    raise TimeoutError("deadline reached while reading the PDF")
                text = page.extract_text() or ""
                parts.append(text[:MAX_PDF_TEXT - size])
                size += len(parts[-1])
                pages_read += 1
                if size >= MAX_PDF_TEXT:
                    note = f"text capped at {MAX_PDF_TEXT} characters"
                    break
    except TimeoutError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OverflowError, MemoryError, UnicodeError, AssertionError, ZeroDivisionError) as exc:
        # pypdf's own errors and the plain Python errors a malformed file provokes in it.
        note = f"the PDF could not be read past page {pages_read}: {type(exc).__name__}"
    if note is None and total > pages_read:
        note = f"only the first {pages_read} of {total} pages were read"
    return PdfText("\n".join(parts), title, pages_read, total, note)


def _title(reader: object) -> str | None:
    try:
        metadata = reader.metadata  # type: ignore[attr-defined]
        title = metadata.title if metadata is not None else None
    except Exception:  # noqa: BLE001 - a malformed Info dictionary only costs the title
        return None
    return " ".join(str(title).split())[:200] or None if title else None
