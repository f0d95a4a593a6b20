"""Follower: the batches that bring a dashboard's browser up to date with a logdir.

It owns the dashboard's ``Logs`` in streaming mode (``retain=False``): each ``refresh()`` hands
over the new items per series (``Changes.new``) and the reader keeps none of them, so memory
stays flat however large the logdir (it is read at most ``read_bytes`` at a time). ``poll(emit)``
emits batches with what was appended on disk; ``resend(emit)`` re-reads the logdir from disk
and emits the full state, the first batch marked ``reset``. A purge (SessionLog START) that cuts
into data already sent is honoured the same way: the logdir is re-sent from disk.

Overviews first (``overview=True``, docs/protocol.md "Overviews"): a read of the whole logdir
(the first poll, a resend) whose first piece leaves more than ``read_bytes`` unread reads the
logdir once to gather a min/max-preserving overview of every scalar series (overview.py), sends
those (tag by tag: the first cards fill first), then the full data, which replaces them in the
browser. The full data is encoded during that same read and spooled to a temporary file
(``spool.py``: one batch in memory at a time), then streamed from it: the logdir is read once.
A spool that would pass ``spool_bytes`` (about the size of the encoded data: 24 bytes a scalar
point), or a purge met during the read, drops the spool and reads the logdir again from the
start for the full data instead.

Full data on request (``on_request=True``; docs/protocol.md "Full data on request"): in that
overview read the scalars' full data goes to a series file on disk (``series_file.py``: an
offset index per series, memory flat) instead of the browser; the overviews say so
(``on_request``), and ``send_full`` sends the series the browser asks for, each starting over
(``whole``). Later polls append to the file and send their data as usual. A resend starts the
file over; below the overview threshold nothing is held and everything is sent as before, and
so is a logdir whose unread event bytes pass ``held_bytes`` (the disk the file may take, 4 GiB).

A poll costs the new data plus the series that changed: an idle poll touches no series. An
item that cannot be encoded (a histogram whose limits and counts differ in length, ...) is
dropped and counted in ``dropped``; the rest of its series, and every other series, is sent.
What stays in memory per scalar series is an evenly thinned preview (``saved_view.Preview``),
for the curves saved with the notebook (the ``_saved_curves`` trait) and the snapshot (the
static HTML fallback): up to ``PREVIEW_POINTS`` points per series, fewer when there are many series (about ``PREVIEW_TOTAL`` points over all).
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, Sequence, TypeVar

from .. import metadata as md
from ..reader import Logs, ScalarSeries
from ..reader.embeddings import CONFIG_NAME, config_signature, read_embeddings
from ..saved_view import PREVIEW_POINTS, CurvesLogs, Preview
from .encode import ENCODED_KINDS, Batch, BatchBuilder
from .overview import Overviews
from .series_file import SeriesFile
from .spool import Spool

__all__ = ["Follower", "Preview"]

MAX_BATCH_BYTES = 4 << 20
SCALAR_CHUNK = MAX_BATCH_BYTES // 24  # points per scalar item: three float64 buffers
ITEM_CHUNK = 64  # items (histogram steps, images, ...) per wire item, so big series span batches
READ_BYTES = 64 << 20  # event-file bytes read per step of a poll or resend
SPOOL_BYTES = 1 << 30  # the most the full data spooled beside the overviews may take on disk
HELD_BYTES = 4 << 30  # the most the full scalar data held for requests may take on disk
SPOOL_PER_EVENT_BYTE = 1.0  # spooled bytes per event-file byte, at most (scalars take about 0.5)
PREVIEW_TOTAL = 400_000  # over all series: 10,000 tags keep 40 points each, not 1,000
PREVIEW_MIN = 16
FIRST_PIECE_DIV = 16  # a big read's first piece is read_bytes / 16: the first overviews go out early
OVERVIEW_EVERY_S = 0.4  # seconds of reading between two sends of the overviews that grew
T = TypeVar("T")
Emit = Callable[[Batch], None]


class _Batches:
    """Accumulates items, emitting a batch whenever the current one is full. The first batch
    emitted names ``runs`` (the runs the browser has not been told of); later ones name none."""

    def __init__(self, runs: Sequence[str], reset: bool, emit: Emit, next_seq: Callable[[], int]):
        self._runs, self._reset, self._emit, self._next_seq = list(runs), reset, emit, next_seq
        self.emitted = 0
        self.builder = BatchBuilder()

    def added(self) -> None:
        if self.builder.nbytes >= MAX_BATCH_BYTES:
            self.cut()

    def cut(self, overviews_done: bool = False) -> None:
        """Emit what was added, if anything (with ``overviews_done``: also when nothing was)."""
        first = self.emitted == 0
        if self.builder or (self._reset and first) or overviews_done:
            runs = self._runs if first else []
            self._emit(self.builder.build(seq=self._next_seq(), reset=self._reset and first, runs=runs, overviews_done=overviews_done))
            self.emitted += 1
        self.builder = BatchBuilder()


class Follower:
    """Incremental batches of a logdir for one dashboard."""

    def __init__(self, logdir: str, *, read_bytes: int = READ_BYTES, storage_options: dict[str, Any] | None = None,
                 overview: bool = True, spool_bytes: int = SPOOL_BYTES, on_request: bool = False,
                 held_bytes: int = HELD_BYTES):
        self.logdir = logdir
        # With overviews: keep the full scalar data on disk (series_file.py) and send it when the
        # browser asks (send_full), instead of after the overviews.
        self.on_request = bool(on_request)
        self.held_bytes = int(held_bytes)
        self._held: SeriesFile | None = None
        self.spool_bytes = int(spool_bytes)  # 0: never spool (a second read for the full data)
        self.overview = bool(overview)  # big first reads send overviews first
        self.storage_options = storage_options
        self.read_bytes = int(read_bytes)
        self._lock = threading.RLock()
        self._previews: dict[tuple[str, str], Preview] = {}
        self._preview_limit = PREVIEW_POINTS
        self._seq = 0
        self._runs_told = 0  # how many of logs.runs (in order) the browser has been told of
        self.dropped = 0  # items that could not be encoded (skipped; the rest of their series is sent)
        # Embeddings (projector files, not events): run -> its config's signature when last read,
        # and run -> tensor name -> a digest of what was sent, so each is sent once per change.
        self._emb_config: dict[str, Any] = {}
        self._emb_sent: dict[str, dict[str, int]] = {}
        self._logs = self._new_logs()

    def _new_logs(self) -> Logs:
        # Streaming mode: each refresh hands over its new data and the reader keeps none of it.
        # A URL's bucket must exist (FileNotFoundError here); a local logdir may not exist yet.
        return Logs(self.logdir, retain=False, storage_options=self.storage_options)

    @property
    def logs(self) -> Logs:
        """The streaming reader (runs, tags and counters; it keeps no data)."""
        return self._logs

    def status(self) -> str:
        if self._logs.storage is None and not os.path.isdir(self.logdir):
            return "no_logdir"
        return "ok" if self._logs.runs else "no_runs"

    def poll(self, emit: Emit) -> int:
        """Emit batches with everything appended since the last poll; return how many."""
        with self._lock:
            first_read = self.overview and self._seq == 0  # nothing sent yet: maybe overviews first
            count, purged = self._read(emit, overview=first_read, reset=False, read_bytes=self.read_bytes)
            if purged:
                # A purge cut into data already sent: the browser must drop it, so start over
                # from disk (the event files are the source of truth).
                count += self._resend(emit)
            return count

    def resend(self, emit: Emit) -> int:
        """Emit the full state; the first batch tells the browser to drop what it had."""
        with self._lock:
            return self._resend(emit)

    def _resend(self, emit: Emit) -> int:
        count, read_bytes = 0, self.read_bytes
        overview = self.overview
        while True:
            self._logs = self._new_logs()
            self._drop_held()
            self._previews.clear()
            self._preview_limit = PREVIEW_POINTS
            self._emb_config.clear()
            self._emb_sent.clear()
            sent, purged = self._read(emit, overview=overview, reset=True, read_bytes=read_bytes)
            count += sent
            if not purged:
                return count
            # A purge of data sent a piece earlier: again, in larger pieces (one refresh never
            # reports a reset: data added and purged within it is simply not delivered, so
            # growing pieces end this loop), overviews once per resend.
            overview = False
            read_bytes *= 4

    def _read(self, emit: Emit, *, overview: bool, reset: bool, read_bytes: int) -> tuple[int, bool]:
        """Read the logdir from where the reader stands to its end, emitting batches (the first
        a reset when ``reset``); with ``overview``, a big read sends overviews first (one read,
        spooled, or a second read for the full data). Returns (batches emitted, whether a purge
        cut into data already sent: the caller then starts over)."""
        count, first = 0, True
        while True:
            unread = None
            if first and overview:
                changes, big, unread = self._open_read()
            else:
                changes, big = self._logs.refresh(max_bytes=read_bytes), False
            if changes.reset:
                return count, True
            if big:
                sent, spooled = self._send_overviews(emit, changes, unread, reset=reset)
                count += sent
                if spooled:
                    return count + self._embeddings(emit), False
                self._logs = self._new_logs()  # then the full data, read again from the start
                first = False
                continue
            count += self._collect(emit, changes.new, reset=reset and first)
            first = False
            if not changes.more:
                return count + self._embeddings(emit), False

    def _open_read(self) -> tuple[Any, bool, int | None]:
        """The first refresh of a read of the whole logdir, whether the logdir is big (more
        than one read piece: overviews first) and its unread bytes before that refresh (None
        for a URL). A local logdir's size is told first by its unread
        bytes (a listing and one stat per file): a big one's first piece is small
        (``read_bytes / FIRST_PIECE_DIV``) so the first overviews go out early, a smaller one is
        read in one piece (collected once: two pieces cost a 10,000-tag run 1.2x). A URL
        logdir's first piece is a whole one."""
        logs = self._logs
        unread = logs.unread_bytes()
        big = unread is not None and unread > self.read_bytes
        changes = logs.refresh(max_bytes=max(1, self.read_bytes // FIRST_PIECE_DIV) if big else self.read_bytes)
        return changes, changes.more, unread

    def with_preview(self, fn: Callable[[Any], T]) -> T:
        """Call ``fn`` with a Logs-like view of the scalar previews (``saved_view.CurvesLogs``: for
        the saved curves and the snapshot)."""
        with self._lock:
            return fn(CurvesLogs.of_previews(self._logs.runs, self._previews))

    def _preview(self, run: str, tag: str) -> Preview:
        """The preview of a scalar series. Each time the number of series doubles, the points
        per series are set for up to twice as many series and every preview is thinned to it:
        previews hold about ``PREVIEW_TOTAL`` points at most (twice that just after a
        doubling), at a cost amortised over the series."""
        p = self._previews.get((run, tag))
        if p is None:
            p = self._previews[(run, tag)] = Preview()
            n = len(self._previews)
            if n & (n - 1) == 0:  # a power of two
                limit = max(PREVIEW_MIN, min(PREVIEW_POINTS, PREVIEW_TOTAL // (2 * n)))
                if limit < self._preview_limit:
                    self._preview_limit = limit
                    for other in self._previews.values():
                        other.shrink(limit)
        return p

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _collect(self, emit: Emit, new: dict[tuple[str, str, str], Any], *, reset: bool, spool: Spool | None = None,
                 held_only: bool = False) -> int:
        """Emit ``new`` (run, kind, tag) -> data, as a refresh delivered it: the cost is that of
        the new data and of the series that changed, never of every series known. With
        ``spool``, the batches go to it instead (no runs named, numbered when replayed). Scalars
        are also kept in the held series file when there is one; ``held_only``: only there."""
        runs = self._logs.runs
        if spool is not None:
            out = _Batches([], False, spool.put, lambda: 0)
        else:
            out = _Batches(runs if reset else runs[self._runs_told :], reset, emit, self._next_seq)
        for (run, kind, tag), data in new.items():
            if kind not in ENCODED_KINDS:
                continue  # a kind the reader knows and the dashboard does not show (yet)
            if kind == md.scalar.KIND:
                self._preview(run, tag).add(data, self._preview_limit)
                if self._held is not None:
                    self._held.append(run, tag, data)
                    if held_only:
                        continue
                chunk = SCALAR_CHUNK
            else:
                chunk = ITEM_CHUNK
            for lo in range(0, len(data), chunk):
                part = data[lo : lo + chunk] if kind != md.scalar.KIND else _slice(data, lo, lo + chunk)
                self.dropped += out.builder.add(kind, run, tag, part)
                out.added()
        out.cut()
        if out.emitted and spool is None:
            self._runs_told = len(runs)
        return out.emitted

    def _send_overviews(self, emit: Emit, changes: Any, unread: int | None, *, reset: bool) -> tuple[int, bool]:
        """Read the rest of the logdir with the current reader (``changes``: its first refresh;
        ``unread``: the logdir's unread bytes before it, None when not known),
        gathering an overview of every scalar series (overview.py) and emitting them as the read
        goes: after the first piece, then every ``OVERVIEW_EVERY_S`` of reading, the series that
        grew since (tag by tag; a later overview of a series replaces the earlier one in the
        browser), the rest at the end; the first batch is a reset when ``reset``. Pieces start
        small and double up to ``read_bytes``. The full data is encoded in the same read into a
        spool and emitted after the overviews: returns (batches emitted, whether the full data
        was among them). Without it (spool too big, a purge met, spooling off) the caller reads
        the logdir again for the full data; other kinds wait for that read."""
        overviews = Overviews()
        logs = self._logs
        spool: Spool | None = Spool(self.spool_bytes) if self.spool_bytes > 0 else None
        if spool is not None and unread is not None and unread * SPOOL_PER_EVENT_BYTE > self.spool_bytes:
            spool.close()  # it would fill before the read ends: read the logdir again instead
            spool = None
        dropped = self.dropped
        self._drop_held()
        if self.on_request and (unread is None or unread * SPOOL_PER_EVENT_BYTE <= self.held_bytes):
            # (a logdir whose full data would pass held_bytes on disk is sent in full instead)
            self._held = SeriesFile()
        dirty: set[tuple[str, str]] = set()  # series whose overview changed since last emitted
        state = {"count": 0, "reset": reset}
        piece = max(1, self.read_bytes // FIRST_PIECE_DIV)

        def send_dirty(last: bool = False) -> None:
            # last: the read is over; its last batch says so (when overviews were sent at all)
            runs = logs.runs
            out = _Batches(runs if state["reset"] else runs[self._runs_told :], state["reset"], emit, self._next_seq)
            for run, tag, s in overviews.ordered(runs, only=dirty):
                out.builder.add_scalars(run, tag, s.step, s.wall_time, s.value, overview=True, on_request=self._held is not None)
                out.added()
            out.cut(overviews_done=last and (state["count"] > 0 or out.emitted > 0 or bool(out.builder)))
            dirty.clear()
            if out.emitted:
                self._runs_told = len(runs)
                state["reset"] = False
            state["count"] += out.emitted

        try:
            sent_at: float | None = None
            while True:
                if changes.reset and spool is not None:
                    spool.close()  # data spooled a piece earlier was purged: read again instead
                    spool = None
                for run, kind, tag in changes.reset:
                    if kind == md.scalar.KIND:
                        overviews.drop_from(run, tag, changes.reset_step[(run, kind, tag)])
                        dirty.add((run, tag))
                for (run, kind, tag), data in changes.new.items():
                    if kind == md.scalar.KIND:
                        overviews.add(run, tag, data)
                        dirty.add((run, tag))
                if spool is not None:
                    self._collect(emit, changes.new, reset=False, spool=spool, held_only=True)
                    if spool.full:
                        spool.close()
                        spool = None
                if not changes.more:
                    break
                if dirty and (sent_at is None or time.monotonic() - sent_at >= OVERVIEW_EVERY_S):
                    send_dirty()  # the first cards draw while the rest is read
                    sent_at = time.monotonic()
                piece = min(2 * piece, self.read_bytes)
                changes = logs.refresh(max_bytes=piece)
            if spool is None:
                self.dropped = dropped  # the second read counts them again
                self._previews.clear()  # and fills the previews again
                self._preview_limit = PREVIEW_POINTS
                if self._held is not None:  # and the held series (it sends them in full too)
                    self._held.close()
                    self._held = SeriesFile()
            send_dirty(last=True)
            count = state["count"]
            if spool is None:
                return count, False
            runs = logs.runs
            for batch in spool.replay():
                batch.content["seq"] = self._next_seq()
                if self._runs_told < len(runs):  # no overview batch named them (no scalars)
                    batch.content["runs"] = list(runs[self._runs_told :])
                    self._runs_told = len(runs)
                emit(batch)
                count += 1
            return count, True
        finally:
            if spool is not None:
                spool.close()

    def _drop_held(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    def held(self) -> bool:
        """Whether the full scalar data is kept for ``send_full`` (a big logdir, ``on_request``)."""
        return self._held is not None

    def held_series(self) -> list[tuple[str, str]]:
        """The (run, tag) of every scalar series whose full data ``send_full`` can send."""
        with self._lock:
            return list(self._held.keys()) if self._held is not None else []

    def held_points(self) -> int:
        """Scalar points held for ``send_full`` (0 when nothing is held)."""
        with self._lock:
            return sum(self._held.points(run, tag) for run, tag in self._held.keys()) if self._held is not None else 0

    def send_full(self, emit: Emit, keys: Sequence[tuple[str, str]]) -> int:
        """Emit the full data of the scalar series ``keys`` ((run, tag) pairs; those not held are
        skipped), read back from the held series file, each series' first item marked ``whole``
        (the browser starts the series over with it). Returns how many batches."""
        with self._lock:
            if self._held is None:
                return 0
            runs = self._logs.runs
            out = _Batches(runs[self._runs_told :], False, emit, self._next_seq)
            for run, tag in keys:
                if (run, tag) not in self._held:
                    continue
                s = self._held.read(run, tag)
                for lo in range(0, len(s.step), SCALAR_CHUNK):
                    part = _slice(s, lo, lo + SCALAR_CHUNK)
                    out.builder.add_scalars(run, tag, part.step, part.wall_time, part.value, whole=lo == 0)
                    out.added()
            out.cut()
            if out.emitted:
                self._runs_told = len(runs)
            return out.emitted

    def close(self) -> None:
        """Delete the held series file (the follower sends no full data on request after this).
        Never waits: while a read is under way the file goes when the follower is collected."""
        if self._lock.acquire(blocking=False):
            try:
                self._drop_held()
            finally:
                self._lock.release()

    def _embeddings(self, emit: Emit) -> int:
        """Emit the embeddings that appeared or changed since last sent: one ``stat`` of each
        local run's projector_config.pbtxt per poll (``add_embedding`` appends to it after writing
        an embedding's files); when it changed, the run's embeddings are read and those new or
        different from what was sent go out. A remote logdir's configs are found, with their
        sizes (a remote ``add_embedding`` uploads the config longer), in the listing the poll's
        refresh just made: no request of their own."""
        storage = self._logs.storage
        runs = self._logs.runs
        remote_sigs = None
        if storage is not None:
            is_config = lambda name: name == CONFIG_NAME  # noqa: E731
            remote_sigs = storage.last_listing(is_config)
            if remote_sigs is None:
                remote_sigs = storage.list(is_config)
        out = _Batches(runs[self._runs_told :], False, emit, self._next_seq)
        for run in runs:
            directory = self._logs._run(run).directory
            sig = config_signature(directory) if remote_sigs is None else remote_sigs.get(f"{directory}/{CONFIG_NAME}")
            if sig is None or self._emb_config.get(run) == sig:
                continue
            self._emb_config[run] = sig
            try:
                items = read_embeddings(directory, storage)
            except (OSError, ValueError):
                self.dropped += 1  # a broken config or a missing file: tried again when the config changes
                continue
            sent = self._emb_sent.setdefault(run, {})
            for it in items:
                digest = hash((it.tensors.shape, it.tensors.tobytes(), tuple(map(tuple, it.metadata)), tuple(it.header), it.sprite))
                if sent.get(it.name) == digest:
                    continue
                mark = out.builder._mark()
                try:
                    out.builder.add_embeddings(run, it.tag, [it])
                except Exception:
                    out.builder._rollback(mark)
                    self.dropped += 1
                    continue
                sent[it.name] = digest
                out.added()
        out.cut()
        if out.emitted:
            self._runs_told = len(runs)
        return out.emitted


def _slice(s: ScalarSeries, lo: int, hi: int) -> ScalarSeries:
    if lo == 0 and hi >= len(s.step):
        return s
    return ScalarSeries(s.step[lo:hi], s.wall_time[lo:hi], s.value[lo:hi])
