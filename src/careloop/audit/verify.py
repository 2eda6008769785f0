"""Check the audit hash chains and name the first altered, inserted or deleted event.

Each chain is read once, in `seq` order, with `.iterator()` (bounded memory). For each event:

1. its own hash is recomputed: a mismatch means the row was **altered**;
2. `seq` must be the previous seq + 1: a repeat means an **inserted** row, a jump means
   **deleted** rows (the missing seqs are named);
3. `prev_hash` must equal the previous event's hash: a row whose own hash is right but whose
   link is not was **inserted** (forged with a recomputed hash, in the wrong place);
4. access events only: the per-patient index rows must list exactly the hashed patient ids.

The chain head (`ChainHead`, updated in the transaction of every append) catches the end of
the chain: events missing after the last row were **deleted**, events beyond the head were
**inserted**, a last event that does not match the head's hash was **altered**. The head is
read before and after the walk, so events appended while verify runs are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .models import GENESIS, AccessEvent, AccessEventPatient, ChainedEvent, ChainHead, ChangeEvent

CHAINS: tuple[type[ChainedEvent], ...] = (ChangeEvent, AccessEvent)
CHUNK = 2000


@dataclass(frozen=True)
class Problem:
    kind: str  # "altered", "inserted" or "deleted"
    table: str
    seq: int
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.table} seq {self.seq} (id {self.seq}) — {self.detail}"


@dataclass(frozen=True)
class ChainReport:
    chain: str
    table: str
    checked: int
    head_seq: int
    head_hash: str
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _head(chain: str, using: str) -> tuple[int, str]:
    row = ChainHead.objects.using(using).filter(chain=chain).values_list("seq", "hash").first()
    return row if row is not None else (0, GENESIS)


class _PatientIndex:
    """The access-event patient rows, read alongside the events (a merge on the event seq)."""

    def __init__(self, using: str) -> None:
        rows = AccessEventPatient.objects.using(using).order_by("event_id", "patient_id")
        self._rows: Iterator[tuple[int, int]] = rows.values_list("event_id", "patient_id").iterator(
            chunk_size=CHUNK
        )
        self._next: tuple[int, int] | None = next(self._rows, None)

    def take(self, seq: int) -> tuple[list[int], list[int]]:
        """(patient ids indexed for events before `seq` — orphans, patient ids of `seq`)."""
        orphans: list[int] = []
        mine: list[int] = []
        while self._next is not None and self._next[0] <= seq:
            (orphans if self._next[0] < seq else mine).append(self._next[1])
            self._next = next(self._rows, None)
        return orphans, mine

    def first_left(self) -> int | None:
        return None if self._next is None else self._next[0]


def _index_problem(table: str, event: AccessEvent, index: _PatientIndex) -> Problem | None:
    orphans, mine = index.take(event.seq)
    if orphans:
        detail = "patient index rows belong to no event before it"
        return Problem("inserted", AccessEventPatient._meta.db_table, event.seq, detail)
    if mine != list(event.patient_ids):
        missing = sorted(set(event.patient_ids) - set(mine))
        extra = sorted(set(mine) - set(event.patient_ids))
        detail = (
            f"patient index differs from the hashed patient ids (missing {missing}, extra {extra})"
        )
        return Problem("altered", AccessEventPatient._meta.db_table, event.seq, detail)
    return None


def _walk(model: type[ChainedEvent], using: str) -> tuple[int, int, str, Problem | None]:
    """(events checked, last seq, last hash, first problem) of one chain."""
    table = model._meta.db_table
    index = _PatientIndex(using) if model is AccessEvent else None
    expected, prev_hash, checked = 1, GENESIS, 0
    for event in model.objects.using(using).order_by("seq").iterator(chunk_size=CHUNK):
        if event.compute_hash() != event.hash:
            return (
                checked,
                expected - 1,
                prev_hash,
                Problem("altered", table, event.seq, "its stored hash does not match its contents"),
            )
        if event.seq < expected:
            return (
                checked,
                expected - 1,
                prev_hash,
                Problem("inserted", table, event.seq, f"seq {event.seq} appears twice"),
            )
        if event.seq > expected:
            gap = (
                f"seq {expected}"
                if event.seq == expected + 1
                else f"seq {expected}–{event.seq - 1}"
            )
            detail = f"{gap} missing before seq {event.seq} (id unknown: the row is gone)"
            return checked, expected - 1, prev_hash, Problem("deleted", table, expected, detail)
        if event.prev_hash != prev_hash:
            detail = f"its prev_hash does not match the hash of seq {event.seq - 1}"
            return checked, expected - 1, prev_hash, Problem("inserted", table, event.seq, detail)
        if index is not None:
            problem = _index_problem(table, event, index)  # type: ignore[arg-type]
            if problem is not None:
                return checked, expected - 1, prev_hash, problem
        checked += 1
        expected += 1
        prev_hash = event.hash
    if index is not None and (left := index.first_left()) is not None:
        detail = "patient index rows belong to no event"
        return (
            checked,
            expected - 1,
            prev_hash,
            Problem("inserted", AccessEventPatient._meta.db_table, left, detail),
        )
    return checked, expected - 1, prev_hash, None


def verify_chain(model: type[ChainedEvent], *, using: str = "default") -> ChainReport:
    table = model._meta.db_table
    head_before, _ = _head(model.CHAIN, using)
    checked, last_seq, last_hash, problem = _walk(model, using)
    head_seq, head_hash = _head(model.CHAIN, using)
    if problem is None and last_seq < head_before:
        missing = f"seq {last_seq + 1}" + (f"–{head_before}" if head_before > last_seq + 1 else "")
        detail = f"{missing} missing at the end of the chain (head is at seq {head_before})"
        problem = Problem("deleted", table, last_seq + 1, detail)
    elif problem is None and last_seq > head_seq:
        detail = f"beyond the chain head (head is at seq {head_seq}): forged or appended by hand"
        problem = Problem("inserted", table, head_seq + 1, detail)
    elif problem is None and last_seq == head_seq and last_seq > 0 and last_hash != head_hash:
        detail = "its hash does not match the chain head (the last event was replaced)"
        problem = Problem("altered", table, last_seq, detail)
    return ChainReport(model.CHAIN, table, checked, head_seq, head_hash, problem)


def verify_all(*, using: str = "default") -> list[ChainReport]:
    """One report per chain; each names its first problem, if any."""
    return [verify_chain(model, using=using) for model in CHAINS]
