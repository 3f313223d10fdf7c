"""Scan inputs: read each log, classify its denials, group them; in one process or several.

`scan_stream` is the loop (one reader, one classifier, one aggregator). `scan_files` runs it over
files, and with jobs > 1 in worker processes: one task per file, and a large uncompressed JSON-lines
file is cut into byte ranges at line boundaries (a range owns every line that starts inside it).
Parts merge into one Aggregator, so the counts are the same whatever the number of jobs.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Final

from api.scan.groups import Aggregator, Classifier
from api.scan.readers import CHUNK_BYTES, ReadStats, ScanError, open_log
from api.scan.records import denial_in

SPLIT_BYTES: Final = 64 * 1024 * 1024  # uncompressed JSON lines larger than this are split across jobs
_PROGRESS_EVERY: Final = 4096


@dataclass(frozen=True)
class Window:
    """--since / --until: denials outside are counted apart; a denial without a time is kept."""

    since: datetime | None = None
    until: datetime | None = None

    def holds(self, when: datetime | None) -> bool:
        if when is None:
            return True
        return not ((self.since and when < self.since) or (self.until and when > self.until))


@dataclass
class PartResult:
    """What one part of a scan found."""

    name: str
    stats: ReadStats
    aggregator: Aggregator
    outside_window: int = 0
    parts: int = 1


@dataclass
class ScanResult:
    """Every input's stats and the merged groups."""

    sources: list[tuple[str, ReadStats]] = field(default_factory=list)
    aggregator: Aggregator = field(default_factory=Aggregator)
    outside_window: int = 0

    def add(self, part: PartResult) -> None:
        for index, (name, stats) in enumerate(self.sources):
            if name == part.name:  # another range of a file already listed
                merged = ReadStats(
                    stats.format, stats.records + part.stats.records, stats.unreadable + part.stats.unreadable
                )
                self.sources[index] = (name, merged)
                break
        else:
            self.sources.append((part.name, part.stats))
        self.aggregator.merge(part.aggregator)
        self.outside_window += part.outside_window


def scan_stream(
    raw: IO[bytes],
    name: str,
    window: Window | None = None,
    classifier: Classifier | None = None,
    progress: Callable[[ReadStats], None] | None = None,
    max_bytes: int | None = None,
) -> PartResult:
    """Scan one log stream; raise ScanError when it is not a log."""
    classifier = classifier or Classifier()
    stats = ReadStats()
    aggregator = Aggregator()
    outside = 0
    seen = 0
    for item in open_log(raw, name, stats, max_bytes):
        seen += 1
        if progress is not None and seen % _PROGRESS_EVERY == 0:
            progress(stats)
        event = denial_in(item)
        if event is None:
            continue
        if window is not None and not window.holds(event.time):
            # Classified anyway: only an access failure counts as a denial outside the window.
            if classifier.classify(event).reason is not None:
                outside += 1
            continue
        aggregator.add(event, classifier.classify(event))
    return PartResult(name=name, stats=stats, aggregator=aggregator, outside_window=outside)


@dataclass(frozen=True)
class Task:
    """A file, or a byte range of one (end None: to the end)."""

    path: str
    start: int = 0
    end: int | None = None


def plan(paths: list[str], jobs: int) -> list[Task]:
    """Cut the inputs into tasks: whole files, and ranges of large uncompressed JSON-lines files."""
    tasks: list[Task] = []
    for path in paths:
        size = Path(path).stat().st_size if path != "-" else 0
        if jobs > 1 and size > SPLIT_BYTES and _is_json_lines(path):
            step = max(SPLIT_BYTES // 2, size // (jobs * 4))
            tasks += [Task(path, start, min(start + step, size)) for start in range(0, size, step)]
        else:
            tasks.append(Task(path))
    return tasks


def _is_json_lines(path: str) -> bool:
    with Path(path).open("rb") as handle:
        head = handle.read(64 * 1024)
    if head[:2] == b"\x1f\x8b":
        return False
    stats = ReadStats()
    try:
        next(open_log(io.BufferedReader(io.BytesIO(head)), path, stats), None)
    except ScanError:
        return False
    return stats.format == "json-lines"


class _Range(io.RawIOBase):
    """Bytes [start, end) of a file, plus the rest of the line running past end; starts after a newline."""

    def __init__(self, handle: IO[bytes], start: int, end: int) -> None:
        self._handle = handle
        handle.seek(start)
        if start > 0:
            handle.seek(start - 1)
            if handle.read(1) != b"\n":
                handle.readline()  # the line that straddles start belongs to the previous range
        self._left = max(0, end - handle.tell())
        self._tail = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left > 0:
            data = self._handle.read(min(len(buffer), self._left))
            self._left -= len(data)
            if self._left == 0:
                self._tail = True
        elif self._tail:
            data = self._handle.readline(len(buffer))
            if not data or data.endswith(b"\n"):
                self._tail = False
        else:
            data = b""
        buffer[: len(data)] = data
        return len(data)


def run_task(task: Task, window: Window | None) -> PartResult:
    """Scan one task (in a worker process or in this one)."""
    if task.end is None:
        with Path(task.path).open("rb") as handle:
            return scan_stream(handle, task.path, window)
    with Path(task.path).open("rb") as handle:
        ranged = io.BufferedReader(_Range(handle, task.start, task.end), CHUNK_BYTES)
        return scan_stream(ranged, task.path, window)


def scan_files(
    paths: list[str], window: Window | None = None, jobs: int = 1, show_progress: bool = False
) -> ScanResult:
    """Scan files (and "-" for stdin) into one result; ScanError names the input that is not a log."""
    result = ScanResult()
    tasks = plan(paths, jobs)
    if jobs <= 1 or len(tasks) <= 1 or "-" in paths:
        classifier = Classifier()
        for task in tasks:
            progress = _Progress(task.path) if show_progress else None
            if task.path == "-":
                part = scan_stream(sys.stdin.buffer, "<stdin>", window, classifier, progress)
            else:
                with Path(task.path).open("rb") as handle:
                    if progress is not None:
                        progress.attach(handle)
                    part = scan_stream(handle, task.path, window, classifier, progress)
            if progress is not None:
                progress.done()
            result.add(part)
        return result
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_task, task, window) for task in tasks]
        for number, future in enumerate(futures, 1):
            result.add(future.result())
            if show_progress:
                sys.stderr.write(f"\rscan: {number}/{len(futures)} parts done")
                sys.stderr.flush()
    if show_progress:
        sys.stderr.write("\n")
    return result


def default_jobs(asked: int) -> int:
    """--jobs 0 means every core this process may use."""
    if asked > 0:
        return asked
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


class _Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal): bytes of the file read."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.handle: IO[bytes] | None = None
        self.size = 0
        self.last = 0.0

    def attach(self, handle: IO[bytes]) -> None:
        self.handle = handle
        try:
            self.size = os.fstat(handle.fileno()).st_size
        except (OSError, ValueError):
            self.size = 0

    def __call__(self, stats: ReadStats) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        done = self.handle.tell() if self.handle is not None else 0
        if self.size:
            filled = int(30 * min(done, self.size) / self.size)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {100 * done // self.size:3d}%"
        else:
            bar = ""
        sys.stderr.write(f"\rscan {self.name[-40:]} {bar} {stats.records:,} records")
        sys.stderr.flush()

    def done(self) -> None:
        if self.last:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
