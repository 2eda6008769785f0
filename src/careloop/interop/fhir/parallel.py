"""Bulk NDJSON written by worker processes, each with its own database connection.

One Python process cannot keep up with PostgreSQL: it maps a chunk, then waits while the
server stores it. With `workers` processes (spawned: no inherited sockets), each maps *and
writes* whole chunks in its own transaction, so mapping, writing and the server's work
overlap on every core (a 10,000-patient import, 830,937 resources: 44 s in one process,
about 30 s in two; decision 0001). Only raw lines go to a worker and only a chunk's report
comes back: no rows cross the process boundary.

The files are still taken one at a time, in the importer's order: every chunk of a file is
stored before the next file starts, so patients are in before anything that points at
them, exactly as in one process. At most `2 × workers` chunks are in flight (bounded
memory). Two chunks of one file that hold the same resource may race on the natural key;
the loser retries (`write_chunk`) and finds the row.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from careloop.core.collector import pause_for_this_process

from .mapping import map_ndjson_lines
from .report import Report

Lines = list[tuple[int, bytes]]


@dataclass(frozen=True)
class RunKey:
    """What a worker needs to build the run's writer."""

    organization_id: int
    source_system: str
    import_run_id: int
    user_id: int | None


@dataclass
class ChunkOutcome:
    report: dict[str, Any]  # Report.part()
    patient_ids: set[int]
    lines: int
    file: str


_writers: dict[RunKey, Any] = {}


def _init(database_name: str) -> None:
    """Worker start: Django set up on the parent's database (a test database has its own name)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.config.settings")
    import django

    django.setup()
    from django.db import connections

    connections["default"].settings_dict["NAME"] = database_name
    pause_for_this_process()  # as in the importer's own process (core.collector)


def _write_chunk(task: tuple[RunKey, str, Lines]) -> ChunkOutcome:
    from .importer import write_chunk
    from .writer import Writer

    key, file, lines = task
    writer = _writers.get(key)
    if writer is None:
        actor = None
        if key.user_id is not None:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(pk=key.user_id).first()
        writer = _writers[key] = Writer(
            key.organization_id, key.source_system, key.import_run_id, actor=actor
        )
    report = Report(paths=[])
    write_chunk(map_ndjson_lines(file, lines), writer, report)
    pause_for_this_process().tick()
    patient_ids, writer.patient_ids = writer.patient_ids, set()
    return ChunkOutcome(report.part(), patient_ids, len(lines), file)


class Workers:
    """A pool of writer processes for one import run."""

    def __init__(self, n: int, database_name: str, key: RunKey) -> None:
        self.n = n
        self.key = key
        self.pool = multiprocessing.get_context("spawn").Pool(
            n, initializer=_init, initargs=(database_name,)
        )

    def write_file(
        self, chunks: Iterable[tuple[str, Lines]], done: Callable[[ChunkOutcome], None]
    ) -> None:
        """Write every chunk of one file; `done` gets each outcome, in file order."""
        pending: deque[Any] = deque()
        for file, lines in chunks:
            pending.append(self.pool.apply_async(_write_chunk, ((self.key, file, lines),)))
            if len(pending) >= 2 * self.n:
                done(pending.popleft().get())
        while pending:
            done(pending.popleft().get())

    def close(self, ok: bool) -> None:
        if ok:
            self.pool.close()  # let each worker close its connection
        else:
            self.pool.terminate()
        self.pool.join()
