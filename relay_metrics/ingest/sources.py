"""Where a log lives: a file, a directory with the relay's file and its rotated siblings, or a list.

Everything here opens files read-only; the relay owns the log and we never write, lock or move it.
"""

from __future__ import annotations

import os
import re
import stat
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

LOG_NAME = "relay-calls.ndjson"
DEFAULT_LOG = f"/data/{LOG_NAME}"  # where the relay writes by default
LOG_ENV = "RELAY_METRICS_LOG"
_ROTATED = re.compile(re.escape(LOG_NAME) + r"\.(\d+)(\.gz)?")


class LogSourceError(Exception):
    """The log can't be read at all; the message is meant for the user as is."""


class LogNotFound(LogSourceError):
    pass


class LogUnreadable(LogSourceError):
    pass


class TruncatedFile(Exception):
    """A compressed file ended early; what was read before the break is still good."""


LogSource = str | os.PathLike | Sequence[str | os.PathLike]


def resolve_files(source: LogSource) -> list[Path]:
    """The files of a source, oldest first, so that file order is the order lines were written."""
    if isinstance(source, (str, os.PathLike)):
        source = [source]
    files: list[Path] = []
    for item in source:
        path = Path(item)
        files.extend(_directory_files(path) if path.is_dir() else [_checked_file(path)])
    if not files:
        raise LogNotFound("no log file given")
    return files


def skipped_links(source: LogSource) -> list[str]:
    """Notes for the report: symbolic links in a log directory, which are never followed (a
    link named there could point at any file), and links given by name, which are."""
    if isinstance(source, (str, os.PathLike)):
        source = [source]
    notes = []
    for item in source:
        path = Path(item)
        if path.is_dir():
            try:
                names = sorted(os.listdir(path))
            except OSError:
                continue
            for name in names:
                if (name == LOG_NAME or _ROTATED.fullmatch(name)) and (path / name).is_symlink():
                    notes.append(
                        f"{path / name} is a symbolic link: not read (links in a log directory are not followed)"
                    )
        elif path.is_symlink():
            notes.append(f"{path} is a symbolic link, read because it was named: it points to {os.path.realpath(path)}")
    return notes


def _directory_files(directory: Path) -> list[Path]:
    rotated: dict[int, Path] = {}
    try:
        names = os.listdir(directory)
    except OSError as exc:
        raise LogUnreadable(f"cannot list {directory}: {exc.strerror or exc}") from None
    for name in names:
        match = _ROTATED.fullmatch(name)
        if not match or (directory / name).is_symlink():  # see skipped_links
            continue
        number = int(match.group(1))
        # While the operator gzips `.N`, both `.N` and a partial `.N.gz` exist: the plain one wins.
        if number not in rotated or not match.group(2):
            rotated[number] = directory / name
    files = [rotated[n] for n in sorted(rotated, reverse=True)]
    current = directory / LOG_NAME
    if current.is_file() and not current.is_symlink():
        files.append(current)
    if not files:
        raise LogNotFound(f"no {LOG_NAME} (or rotated {LOG_NAME}.N) in directory {directory}")
    return [_checked_file(f) for f in files]


def _checked_file(path: Path) -> Path:
    if not path.exists():
        raise LogNotFound(f"log file not found: {path}")
    if not stat.S_ISREG(path.stat().st_mode):
        # A FIFO would block the read forever, a device (/dev/zero) never end.
        raise LogUnreadable(f"not a regular file: {path}")
    if not os.access(path, os.R_OK):
        raise LogUnreadable(f"log file not readable (permission denied): {path}")
    return path


_open_fd = os.open


def open_log(path: Path) -> BinaryIO:
    """The file opened read-only for bytes; raises LogUnreadable, also when it is not a
    regular file (checked on the open file: a path swapped for a FIFO can't hang us)."""
    try:
        fd = _open_fd(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO blocks without O_NONBLOCK
    except OSError as exc:
        raise LogUnreadable(f"cannot open {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LogUnreadable(f"not a regular file: {path}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def is_compressed(path: Path) -> bool:
    return path.name.endswith(".gz")


def read_chunks(
    path: Path, chunk_size: int, start: int = 0, stop: int | None = None, stream: BinaryIO | None = None
) -> Iterator[tuple[bytes, int]]:
    """The file's bytes from `start` up to `stop` (default: its end) in chunks of about
    chunk_size, each with the count of file bytes read so far (for progress); .gz files are
    decompressed on the way, and read whole. Reads `stream` when given (left open), so that
    what was checked of an open file and what is read are the same file.

    Raises LogUnreadable when the file can't be opened or read, and TruncatedFile (after
    yielding everything decodable) when a .gz stream is cut short or corrupt.
    """
    raw = stream or open_log(path)
    try:
        if is_compressed(path):
            if start or stop is not None:
                raise ValueError("a compressed file is read whole")
            raw.seek(0)
            yield from _gunzip_chunks(raw, path, chunk_size)
            return
        raw.seek(start)
        position = start
        while (stop is None or position < stop) and (
            chunk := _read(raw, path, chunk_size if stop is None else min(chunk_size, stop - position))
        ):
            position += len(chunk)
            yield chunk, position
    finally:
        if stream is None:
            raw.close()


def _read(stream, path: Path, size: int) -> bytes:
    try:
        return stream.read(size)
    except OSError as exc:
        raise LogUnreadable(f"cannot read {path}: {exc.strerror or exc}") from None


def _gunzip_chunks(raw, path: Path, chunk_size: int) -> Iterator[tuple[bytes, int]]:
    # zlib by hand rather than GzipFile: on a cut-short file GzipFile drops the data it had
    # decoded in the failing read, and we want every complete line before the break. Pieces
    # are capped at chunk_size like a plain file's: a log shrinks about eightfold in gzip.
    decoder = zlib.decompressobj(wbits=31)
    while compressed := _read(raw, path, chunk_size):
        while True:
            try:
                out = decoder.decompress(compressed, chunk_size)
            except zlib.error as exc:
                raise TruncatedFile(f"{path}: compressed data is corrupt ({exc})") from None
            if out:
                yield out, raw.tell()
            compressed = decoder.unconsumed_tail
            if decoder.eof and decoder.unused_data:  # concatenated gzip members, as `cat a.gz b.gz` makes
                compressed = decoder.unused_data
                decoder = zlib.decompressobj(wbits=31)
            elif not compressed and len(out) < chunk_size:  # a full piece may leave output pending
                break
    if not decoder.eof:
        raise TruncatedFile(f"{path}: compressed data ends early (file truncated?)")
