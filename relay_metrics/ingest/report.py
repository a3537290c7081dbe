"""The load report: what every line of the log turned into, so nothing is lost silently."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

SAMPLE_CHARS = 200
SAMPLES_PER_REASON = 5

# Why a line is not a record. The first four are the reference's silent skips made visible.
NOT_UTF8 = "not UTF-8"
INVALID_JSON = "invalid JSON"
NOT_OBJECT = "not an object"
TS_NOT_NUMBER = "ts missing or not a number"
TS_OUT_OF_RANGE = "ts outside JavaScript's date range"
TOO_DEEP = "nested too deep"  # JSON.parse would take it; the relay never nests (see jsonline)


@dataclass(frozen=True)
class LineSample:
    file: str
    line: int | None  # 1-based, within its file; None when the read began past the file's start
    reason: str
    text: str  # the first SAMPLE_CHARS characters, undecodable bytes shown as \\xNN


@dataclass
class WindowRead:
    """How a read of a window used the log's rough ts order to skip what is outside it."""

    disorder_bound_ms: float
    bytes_read: int = 0
    bytes_skipped: int = 0
    files_skipped: list[str] = field(default_factory=list)
    # Set when the log broke the bound, so the whole log was read after all: what was seen.
    fell_back: str | None = None


@dataclass
class LoadReport:
    """Counts add up: lines == records + blank + rejected + pending."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    records: int = 0
    blank: int = 0
    pending: int = 0
    rejected: Counter = field(default_factory=Counter)
    # Records kept, with one field treated as missing because its value had the wrong type.
    field_problems: Counter = field(default_factory=Counter)
    samples: list[LineSample] = field(default_factory=list)
    pending_lines: list[LineSample] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Records whose ts falls in the requested window (all records when there is no window).
    in_window: int = 0
    # The most any record read trails the newest record read before it (ms): the log's
    # disorder, which a windowed read relies on staying under a bound.
    max_disorder_ms: float = 0.0
    # The longest duration_ms among the records read: it bounds the disorder (see pushdown).
    longest_call_ms: float = 0.0
    # Set for a read that skipped parts of the log outside its window; counts above then
    # cover only the lines read.
    window_read: WindowRead | None = None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def reject(self, file: str, line: int | None, reason: str, raw: bytes) -> None:
        self.rejected[reason] += 1
        if sum(1 for s in self.samples if s.reason == reason) < SAMPLES_PER_REASON:
            self.samples.append(LineSample(file, line, reason, sample_text(raw)))

    def add_pending(self, file: str, line: int | None, raw: bytes) -> None:
        self.pending += 1
        self.pending_lines.append(LineSample(file, line, "pending", sample_text(raw)))

    def absorb(self, other: LoadReport) -> None:
        """Add the counts of lines read after ours, as if one read had seen both."""
        self.lines += other.lines
        self.records += other.records
        self.blank += other.blank
        self.rejected.update(other.rejected)
        self.field_problems.update(other.field_problems)
        for sample in other.samples:
            if sum(1 for s in self.samples if s.reason == sample.reason) < SAMPLES_PER_REASON:
                self.samples.append(sample)
        self.pending += other.pending
        self.pending_lines.extend(other.pending_lines)
        self.warnings.extend(other.warnings)

    def to_dict(self) -> dict:
        return {
            "files": list(self.files),
            "lines": self.lines,
            "records": self.records,
            "records_in_window": self.in_window,
            "blank": self.blank,
            "pending": self.pending,
            "rejected": dict(sorted(self.rejected.items())),
            "field_problems": dict(sorted(self.field_problems.items())),
            "samples": [asdict(s) for s in self.samples],
            "pending_lines": [asdict(s) for s in self.pending_lines],
            "warnings": list(self.warnings),
            "max_disorder_ms": self.max_disorder_ms,
            "longest_call_ms": self.longest_call_ms,
            "window_read": asdict(self.window_read) if self.window_read else None,
        }


def sample_text(raw: bytes) -> str:
    return raw[: SAMPLE_CHARS * 4].decode("utf-8", "backslashreplace")[:SAMPLE_CHARS]
