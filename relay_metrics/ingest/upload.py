"""An uploaded copy of a log, unpacked to a private file within bounds before it is parsed.

A .gz can hold a thousand times its size (a "gzip bomb"): the copy is decompressed as a
stream and refused as soon as it passes max_bytes or max_lines, so nothing past the limits
is ever held or parsed.
"""

from __future__ import annotations

import tempfile
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

from relay_metrics.ingest.loader import LoadedLog, Progress, load_log
from relay_metrics.ingest.sources import LogSourceError

MAX_BYTES = 256 << 20  # decompressed
MAX_LINES = 1_000_000
_PIECE = 1 << 20


class UploadTooBig(LogSourceError):
    pass


def unpack_upload(
    data: bytes, compressed: bool, dest: Path, max_bytes: int = MAX_BYTES, max_lines: int = MAX_LINES
) -> Path:
    """Write the upload's log text to dest (created, never replaced); raises UploadTooBig
    past either limit (dest is removed), LogSourceError when the .gz is corrupt."""
    written = lines = 0
    try:
        with open(dest, "xb") as out:
            for piece in _pieces(data, compressed):
                written += len(piece)
                lines += piece.count(b"\n")
                if written > max_bytes:
                    raise UploadTooBig(
                        f"the copy is bigger than {max_bytes >> 20} MB unpacked: too big to look at here"
                    )
                if lines > max_lines:
                    raise UploadTooBig(f"the copy has more than {max_lines:,} lines: too many to look at here")
                out.write(piece)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return dest


def _pieces(data: bytes, compressed: bool):
    if not compressed:
        for start in range(0, len(data), _PIECE):
            yield data[start : start + _PIECE]
        return
    decoder = zlib.decompressobj(wbits=31)
    pending = data
    while pending:
        try:
            # At most _PIECE out per call, whatever the ratio: the bomb never unpacks at once.
            out = decoder.decompress(pending, _PIECE)
        except zlib.error as exc:
            raise LogSourceError(f"the uploaded .gz is corrupt ({exc})") from None
        if out:
            yield out
        pending = decoder.unconsumed_tail
        if decoder.eof:
            pending = decoder.unused_data  # concatenated members, as `cat a.gz b.gz` makes
            if pending:
                decoder = zlib.decompressobj(wbits=31)
        elif not pending and not out:
            break
    if not decoder.eof:
        raise LogSourceError("the uploaded .gz ends early (truncated?)")


class UploadAbandoned(Exception):
    """Whoever uploaded the copy went away mid-parse."""


# One upload is parsed at a time per process: a second is told to wait, and holds nothing meanwhile.
_PARSING = threading.Lock()


def load_upload_copy(
    data: bytes, compressed: bool, keep_going: Callable[[], bool], progress: Progress | None = None
) -> LoadedLog:
    """The copy unpacked (within bounds) to a private folder, parsed, and the folder removed.

    Raises UploadTooBig, LogSourceError (corrupt, or another copy is being parsed) and
    UploadAbandoned as soon as keep_going() says no (checked at every progress step)."""
    if not _PARSING.acquire(blocking=False):
        raise LogSourceError("another copy is being read on this server; try again in a moment")

    def step(done: float) -> None:
        if not keep_going():
            raise UploadAbandoned()
        if progress:
            progress(done)

    try:
        with tempfile.TemporaryDirectory() as folder:
            path = unpack_upload(data, compressed, Path(folder) / "upload.ndjson")
            return load_log(path, progress=step)
    finally:
        _PARSING.release()
