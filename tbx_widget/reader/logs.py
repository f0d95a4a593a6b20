"""``load(logdir)`` and ``Logs``: every run of a logdir, read incrementally."""
from __future__ import annotations

import itertools
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from .. import metadata as md
from ..records import CorruptRecordWarning
from ..storage import Storage, is_url
from .items import (
    KINDS,
    AudioItem,
    CurveItem,
    CustomScalarsItem,
    HistogramItem,
    HParamsItem,
    ImageItem,
    MeshItem,
    PrCurveItem,
    SurfaceItem,
    ScalarSeries,
    TextItem,
)
from .graphs import GraphItem
from .run import RunReader, is_event_file

if TYPE_CHECKING:
    from .embeddings import EmbeddingItem
    from .aggregate import Aggregate

__all__ = ["load", "Logs", "Changes", "NotRetainedError"]

SeriesKey = tuple[str, str, str]  # (run, kind, tag)


class NotRetainedError(RuntimeError):
    """A query for data on a ``Logs(..., retain=False)``, which keeps none: use ``Changes.new``."""


@dataclass
class Changes:
    """What one ``refresh()`` found.

    - ``new_runs``: runs seen for the first time.
    - ``new``: ``(run, kind, tag)`` → exactly the data this refresh added to that series and
      kept, in record order: a ``ScalarSeries`` for "scalars", a list of items (``HistogramItem``,
      ``ImageItem``, ...) for the other kinds. Given in both modes of ``Logs``.
    - ``appended``: the same keys → how many points or items (``len(new[key])``).
    - ``reset``: series from which a purge (SessionLog START, or a restart rewinding the step)
      dropped data delivered by *earlier* refreshes; ``reset_step[key]`` is the step from which
      it was dropped: a consumer holding that series drops its points with ``step >=
      reset_step[key]``, then appends ``new[key]``. (Data added and purged within one refresh
      never appears in ``new``.) With ``retain=False`` the reader knows only the largest step
      it delivered, so it may report a reset where no delivered point had such a step.
    - ``skipped_bytes`` / ``skipped_records``: bytes failing their checksums and whole records
      that framed correctly but could not be decoded (both skipped, the rest read).
    - ``more``: ``max_bytes`` stopped the read early: call ``refresh()`` again.
    """

    new_runs: list[str] = field(default_factory=list)
    new: dict[SeriesKey, Any] = field(default_factory=dict)
    appended: dict[SeriesKey, int] = field(default_factory=dict)
    reset: list[SeriesKey] = field(default_factory=list)
    reset_step: dict[SeriesKey, int] = field(default_factory=dict)
    skipped_bytes: int = 0
    skipped_records: int = 0
    more: bool = False

    def __bool__(self) -> bool:
        return bool(self.new_runs or self.appended or self.reset or self.skipped_bytes or self.skipped_records)


LISTING_REUSE = 2.0  # remote: seconds the listing made by the constructor serves the first refresh
PREFETCH_BYTES = 64 << 20  # remote: bytes fetched concurrently at the start of a refresh, at most
SETTLE_NS = 2_000_000_000  # a directory listed this long after its last change is trusted


class RunDirs:
    """The run directories under a logdir and their event files, found again on each ``scan()``.

    A run is a directory that directly holds an event file (TensorBoard's rule; "." is the logdir
    itself); symlinked directories are listed but not entered, as ``os.walk`` does. The walk is
    iterative (any depth) and cheap when nothing changed: a directory is listed again only when
    its mtime differs from when it was listed, or when that listing came less than
    ``SETTLE_NS`` after its last change (a change within one tick of the filesystem clock would
    leave the mtime as it was). Each scan thus costs one ``stat`` per directory once the tree is
    quiet, instead of a listing per directory.
    """

    def __init__(self, logdir: str):
        self.logdir = logdir
        # directory -> (its mtime_ns when listed, when listed, subdirectories, event files)
        self._listed: dict[str, tuple[int, int, list[str], list[str]]] = {}

    def scan(self) -> dict[str, tuple[str, list[str]]]:
        """Run name → (directory, event file names), runs in ``os.walk`` order (sorted)."""
        found: dict[str, tuple[str, list[str]]] = {}
        listed: dict[str, tuple[int, int, list[str], list[str]]] = {}
        stack = [(self.logdir, ".")]
        while stack:
            directory, rel = stack.pop()
            entry = self._list(directory)
            if entry is None:
                continue
            listed[directory] = entry
            _, _, subdirs, files = entry
            if files:
                found[rel] = (directory, files)
            for name in reversed(subdirs):
                stack.append((directory + os.sep + name, name if rel == "." else f"{rel}/{name}"))
        self._listed = listed  # directories gone since are forgotten
        return found

    def _list(self, directory: str) -> tuple[int, int, list[str], list[str]] | None:
        try:
            mtime = os.stat(directory).st_mtime_ns
        except OSError:
            return None
        old = self._listed.get(directory)
        if old is not None and old[0] == mtime and old[1] - mtime > SETTLE_NS:
            return old
        now = time.time_ns()
        subdirs, files = [], []
        try:
            with os.scandir(directory) as it:
                for e in it:
                    try:
                        if e.is_dir():
                            if not e.is_symlink():
                                subdirs.append(e.name)
                        elif is_event_file(e.name) and e.is_file():
                            files.append(e.name)
                    except OSError:
                        continue
        except OSError:
            return None
        return mtime, now, sorted(subdirs), sorted(files)


class RemoteRunDirs:
    """The runs under a remote logdir (an fsspec URL), found by one listing per ``scan()``.

    One flat listing of every object under the root (fsspec ``find``), whatever the number of
    runs or directories: a poll's listing cost is one call (paginated by the store, 1,000 keys a
    page on S3), and it also gives each event file's size, so an idle run costs no request.
    """

    def __init__(self, storage: Storage):
        self.storage = storage

    def scan(self) -> dict[str, tuple[str, dict[str, int]]]:
        """Run name → (directory, event file name → size), runs sorted by name."""
        root = self.storage.root
        by_dir: dict[str, dict[str, int]] = {}
        for path, size in self.storage.list(is_event_file).items():
            directory, _, name = path.rpartition("/")
            by_dir.setdefault(directory, {})[name] = size
        found: dict[str, tuple[str, dict[str, int]]] = {}
        for directory in sorted(by_dir):
            if directory == root:
                rel = "."
            elif directory.startswith(root + "/"):
                rel = directory[len(root) + 1 :]
            else:
                continue  # not under the root (a store answering with another form of path)
            found[rel] = (directory, dict(sorted(by_dir[directory].items())))
        return found


def _merge(old: Changes, new: Changes) -> Changes:
    """``old`` (undelivered: a refresh failed) followed by ``new``, as one ``Changes``."""
    out = Changes(new_runs=old.new_runs + [r for r in new.new_runs if r not in old.new_runs])
    out.skipped_bytes = old.skipped_bytes + new.skipped_bytes
    out.skipped_records = old.skipped_records + new.skipped_records
    out.more = new.more
    out.reset_step = dict(old.reset_step)
    for key, step in new.reset_step.items():  # both purges cut what the consumer held before
        out.reset_step[key] = min(step, out.reset_step.get(key, step))
    out.reset = list(dict.fromkeys(old.reset + new.reset))
    for key, data in old.new.items():
        cut = new.reset_step.get(key)
        if cut is not None:  # the purge also covers what the failed refresh read
            if key[1] == md.scalar.KIND:
                keep = data.step < cut
                data = ScalarSeries(data.step[keep], data.wall_time[keep], data.value[keep])
            else:
                data = [it for it in data if it.step < cut]
        out.new[key] = data
    for key, data in new.new.items():
        if key in out.new:
            a = out.new[key]
            if key[1] == md.scalar.KIND:
                data = ScalarSeries(*(np.concatenate(c) for c in zip(
                    (a.step, a.wall_time, a.value), (data.step, data.wall_time, data.value))))
            else:
                data = list(a) + list(data)
        out.new[key] = data
    out.new = {k: v for k, v in out.new.items() if len(v)}
    out.appended = {k: len(v) for k, v in out.new.items()}
    return out


class Logs:
    """The runs of a logdir and their data; ``refresh()`` reads what was appended since.

    >>> logs = load("runs")                             # doctest: +SKIP
    >>> logs.runs, logs.tags(logs.runs[0])["scalars"]   # doctest: +SKIP
    >>> s = logs.scalars("exp1", "loss"); s.step, s.value  # doctest: +SKIP

    ``retain=False`` is the streaming mode, for a consumer that keeps the data itself (the live
    dashboard): each ``refresh()`` hands the new data over in ``Changes.new`` and keeps none of
    it, only runs, tags, file offsets and per series the largest step (to report purges), so
    memory stays flat however much is read. Then ``runs`` and ``tags()`` work, and the data
    queries (``scalars()``, ``items()``, ``hparams_table()``, ...) raise ``NotRetainedError``.

    >>> stream = Logs("runs", retain=False)             # doctest: +SKIP
    >>> for (run, kind, tag), data in stream.refresh(max_bytes=1 << 26).new.items(): ...  # doctest: +SKIP

    ``logdir`` may be an fsspec URL (``s3://bucket/runs``, ``gs://...``, ``az://...``) with
    ``storage_options`` for its filesystem (``{"endpoint_url": ..., "key": ..., ...}``): a
    refresh then costs one listing call plus one ranged read per file that grew. A bucket that
    does not exist raises ``FileNotFoundError`` here; a missing backend ``ImportError``.
    """

    def __init__(
        self,
        logdir: str | os.PathLike[str],
        *,
        chunk_size: int | None = None,
        retain: bool = True,
        storage_options: dict[str, Any] | None = None,
    ):
        if not isinstance(retain, bool):
            raise TypeError(f"retain must be a bool, got {type(retain).__name__}")
        if not isinstance(logdir, (str, os.PathLike)):
            raise TypeError(f"logdir must be a path or URL string, got {type(logdir).__name__}")
        self.logdir = os.fspath(logdir)
        self.retain = retain
        self._chunk = chunk_size
        self._runs: dict[str, RunReader] = {}
        self._carry: Changes | None = None  # read by a refresh that then failed: delivered next
        self.storage: Storage | None = None
        self._dirs: RunDirs | RemoteRunDirs
        self._listed: tuple[float, dict[str, Any]] | None = None
        # (listing, run) where a refresh stopped early: the next one goes on from there
        self._resume: tuple[dict[str, Any], str] | None = None
        if is_url(self.logdir):
            self.storage = Storage(self.logdir, storage_options)
            self._dirs = RemoteRunDirs(self.storage)
            # List now: a bucket that denies access fails here, not in a background poll. A
            # refresh within LISTING_REUSE seconds uses this listing instead of another.
            self._listed = (time.monotonic(), self._dirs.scan())
        else:
            if storage_options:
                raise ValueError(f"storage_options are for URLs (s3://, gs://, ...); logdir {self.logdir!r} is a local path")
            self._dirs = RunDirs(self.logdir)

    def __repr__(self) -> str:
        return f"Logs({self.logdir!r}, runs={len(self._runs)})"

    # -- reading ------------------------------------------------------------------------------

    def refresh(self, *, max_bytes: int | None = None) -> Changes:
        """Read everything appended since the last call: new bytes, new files, new runs.

        With ``max_bytes``, stop after about that many bytes of event files (``changes.more``
        says whether more remain), so a huge logdir can be consumed piece by piece. The next
        refresh with ``max_bytes`` goes on from the run where such a one stopped, with the same
        listing (no new listing, no look at the runs already read): a read of a logdir of many
        runs in pieces costs each run once. Runs before that point, and runs created since, are
        looked at by the refresh after the one that reaches the last run (or by a refresh
        without ``max_bytes``, which always looks at every run).

        If reading fails (a remote logdir's network error), the error propagates and nothing
        read is lost: the data read before it is in the stores (``retain=True``) or handed over
        by the next successful ``refresh()`` (``retain=False``), which continues from the same
        offsets."""
        changes = Changes()
        budget = float("inf") if max_bytes is None else max(1, int(max_bytes))
        resume, self._resume = self._resume, None
        if resume is not None and max_bytes is not None:
            found, first = resume  # the read in pieces goes on from the run where it stopped
        else:
            first = None
            if self._listed is not None and time.monotonic() - self._listed[0] < LISTING_REUSE:
                found = self._listed[1]
            else:
                found = self._dirs.scan()
            self._listed = None
            for name in sorted(set(found) - set(self._runs)):
                kwargs = {"chunk_size": self._chunk} if self._chunk else {}
                self._runs[name] = RunReader(name, found[name][0], retain=self.retain, storage=self.storage, **kwargs)
                changes.new_runs.append(name)
        empty: dict[str, int] | list[str] = {} if self.storage is not None else []
        if self.storage is not None:
            self._prefetch(found, budget)
        runs = iter(self._runs.items())
        if first is not None:
            runs = itertools.dropwhile(lambda item: item[0] != first, runs)
        try:
            for name, run in runs:
                if budget <= 0:
                    changes.more = True
                    self._resume = (found, name)
                    break
                listing = found.get(name)
                listed = listing[1] if listing is not None else empty
                if run.quiet(listed):
                    continue  # nothing new: one stat per file, no other work (idle polls of many runs)
                records_before = run.skipped_records
                try:
                    skipped, used, more = run.refresh(budget, listed)
                finally:
                    self._take(name, run, changes, records_before)
                budget -= used
                changes.more = changes.more or more
                changes.skipped_bytes += skipped
                if more:  # stopped inside this run: the next refresh goes on from it
                    self._resume = (found, name)
                    break
        except BaseException:
            # Hand over next time what this refresh read (the offsets have moved past it).
            self._carry = changes if self._carry is None else _merge(self._carry, changes)
            raise
        if self._carry is not None:
            changes, self._carry = _merge(self._carry, changes), None
        if changes.skipped_bytes or changes.skipped_records:
            warnings.warn(
                f"{self.logdir}: skipped {changes.skipped_bytes} corrupt bytes and {changes.skipped_records} "
                "undecodable records; every intact record after them was read",
                CorruptRecordWarning,
                stacklevel=2,
            )
        return changes

    def _prefetch(self, found: dict[str, Any], budget: float) -> None:
        """Remote: fetch the first piece of every file that grew, all at once (concurrent ranged
        reads), so a refresh of many runs waits for about one round trip, not one per file."""
        want: list[tuple[RunReader, str, int, int]] = []
        left = min(budget, PREFETCH_BYTES)
        for name, run in self._runs.items():
            listing = found.get(name)
            if listing is None:
                continue
            for fname, size in listing[1].items():
                offset = run.offsets.get(fname, 0)
                if size > offset and left > 0:
                    n = int(min(size - offset, run.chunk_size, max(left, 4096)))
                    want.append((run, fname, offset, n))
                    left -= n
        if len(want) < 2:
            return  # one file: its own read is as fast
        assert self.storage is not None
        datas = self.storage.read_many([(run.directory + "/" + f, off, off + n) for run, f, off, n in want])
        for (run, fname, off, _), data in zip(want, datas):
            run.prefetched[fname] = (off, data)

    @staticmethod
    def _take(name: str, run: RunReader, changes: Changes, records_before: int) -> None:
        """Move what ``run``'s refresh delivered into ``changes``."""
        changes.skipped_records += run.skipped_records - records_before
        delta, truncated = run.take_changes()
        for (kind, tag), data in delta.items():
            changes.new[(name, kind, tag)] = data
            changes.appended[(name, kind, tag)] = len(data)
        for (kind, tag), step in sorted(truncated.items()):
            changes.reset.append((name, kind, tag))
            changes.reset_step[(name, kind, tag)] = step

    def unread_bytes(self) -> int | None:
        """Bytes of the logdir's event files not consumed yet, runs not read yet included (a
        listing, which the next ``refresh()`` uses, and one stat per file); None for a URL
        logdir (its sizes come only from listings). A hint for how much a full read costs."""
        if self.storage is not None:
            return None
        found = self._dirs.scan()
        self._listed = (time.monotonic(), found)
        total = 0
        for name, (directory, files) in found.items():
            run = self._runs.get(name)
            if run is not None:
                total += run.unread_bytes() or 0
                continue
            for file in files:
                try:
                    total += os.stat(directory + os.sep + file).st_size
                except OSError:
                    continue  # gone since the listing
        return total

    @property
    def skipped_bytes(self) -> int:
        """Corrupt bytes skipped so far, over every file."""
        return sum(r.skipped_bytes for r in self._runs.values())

    @property
    def skipped_records(self) -> int:
        """Records skipped so far because they framed correctly but could not be decoded."""
        return sum(r.skipped_records for r in self._runs.values())

    # -- queries ------------------------------------------------------------------------------

    @property
    def runs(self) -> list[str]:
        """Run names in order of discovery (sorted within each refresh)."""
        return list(self._runs)

    def _data(self, run: str) -> RunReader:
        """The run, for a query of its data (which a streaming ``Logs`` does not keep)."""
        if not self.retain:
            raise NotRetainedError(
                f"Logs({self.logdir!r}, retain=False) keeps no data; take it from refresh().new, "
                "or use Logs(logdir) / load(logdir) to query it"
            )
        return self._run(run)

    def _run(self, run: str) -> RunReader:
        try:
            return self._runs[run]
        except KeyError:
            raise KeyError(f"no run {run!r} in {self.logdir!r}; runs: {self.runs}") from None

    def tags(self, run: str) -> dict[str, list[str]]:
        """Kind → tags of ``run`` (every kind of ``KINDS`` is a key)."""
        return self._run(run).tags()

    def items(self, kind: str, run: str, tag: str, *, start: int = 0) -> list[Any]:
        """The items of any non-scalar ``kind`` (see ``KINDS``) of one series, from ``start``."""
        if kind == md.scalar.KIND or kind not in KINDS:
            raise ValueError(f"kind must be one of {[k for k in KINDS if k != md.scalar.KIND]}, got {kind!r}")
        return self._items(kind, run, tag, start)

    def _items(self, kind: str, run: str, tag: str, start: int) -> list[Any]:
        by_tag = self._data(run).items[kind]
        if tag not in by_tag:
            raise KeyError(f"run {run!r} has no {kind} tag {tag!r}; it has {list(by_tag)}")
        return by_tag[tag].slice(start)

    def scalars(self, run: str, tag: str, *, start: int = 0) -> ScalarSeries:
        """The scalar series ``tag`` of ``run`` (from index ``start``): ``.step``, ``.wall_time``,
        ``.value`` as read-only numpy arrays."""
        stores = self._data(run).scalars
        if tag not in stores:
            raise KeyError(f"run {run!r} has no scalar tag {tag!r}; it has {list(stores)}")
        return stores[tag].series(start)

    def histograms(self, run: str, tag: str, *, start: int = 0) -> list[HistogramItem]:
        return self._items(md.histogram.KIND, run, tag, start)

    def images(self, run: str, tag: str, *, start: int = 0) -> list[ImageItem]:
        return self._items(md.image.KIND, run, tag, start)

    def texts(self, run: str, tag: str, *, start: int = 0) -> list[TextItem]:
        return self._items(md.text.KIND, run, tag, start)

    def pr_curves(self, run: str, tag: str, *, start: int = 0) -> list[PrCurveItem]:
        return self._items(md.pr_curve.KIND, run, tag, start)

    def audio(self, run: str, tag: str, *, start: int = 0) -> list[AudioItem]:
        return self._items(md.audio.KIND, run, tag, start)

    def curves(self, run: str, tag: str, *, start: int = 0) -> list[CurveItem]:
        """The curves of ``add_curve``: per step, ``x`` (n,) and ``y`` (k, n) numpy arrays."""
        return self._items(md.curve.KIND, run, tag, start)

    def surfaces(self, run: str, tag: str, *, start: int = 0) -> list[SurfaceItem]:
        """The surfaces of ``add_surface``: per step, ``x`` (nx,), ``y`` (ny,), ``z`` (ny, nx)."""
        return self._items(md.surface.KIND, run, tag, start)

    def meshes(self, run: str, tag: str, *, start: int = 0) -> list[MeshItem]:
        """The meshes of ``add_mesh`` (TensorBoard's mesh plugin; any writer): per step,
        ``vertices`` (B, N, 3), ``faces`` and ``colors`` (or None) and the ``config`` dict."""
        return self._items(md.mesh.KIND, run, tag, start)

    def custom_scalars(self, run: str) -> list[CustomScalarsItem]:
        """The custom-scalars layouts written to ``run`` (usually one)."""
        return [it for store in self._data(run).items[md.custom_scalar.KIND].values() for it in store.items]

    def hparams(self, run: str) -> list[HParamsItem]:
        """The hparams plugin records of ``run`` (experiment, session_start, session_end)."""
        return [it for store in self._data(run).items[md.hparams.KIND].values() for it in store.items]

    def graphs(self, run: str) -> list[GraphItem]:
        """The model graphs of ``run``: its ``Event.graph_def`` (tag "graph_def": TensorFlow, torch,
        ``add_graph``) and Keras model configs (tag as logged, usually "keras"), each a
        ``GraphItem`` whose ``nodes`` have name (slash-separated scopes), op, inputs and shape."""
        return [it for store in self._data(run).items[md.graph.KIND].values() for it in store.items]

    def embeddings(self, run: str) -> list["EmbeddingItem"]:
        """The embeddings ``add_embedding`` logged in ``run`` (its projector_config.pbtxt and the
        tensors, metadata and sprite files it names), read from storage on each call, in the
        order logged; each an ``EmbeddingItem`` (tag, step, tensors, header, metadata, sprite)."""
        from .embeddings import read_embeddings

        r = self._run(run)
        return read_embeddings(r.directory, self.storage)

    def hparams_table(self) -> list[dict[str, Any]]:
        """One row per run that logged a session: ``{"run", "hparams", "metrics", "status"}``,
        metrics being the last value of each metric tag the experiment names, looked up in the
        session's run (or its ``group`` sub-run, as Keras writes them)."""
        if not self.retain:
            self._data("")
        metric_tags: list[tuple[str, str]] = []
        for run in self._runs:
            for it in self.hparams(run):
                if it.kind == md.hparams.EXPERIMENT:
                    metric_tags.extend((m["group"], m["tag"]) for m in it.data["metrics"])
        rows = []
        for run in self._runs:
            records = self.hparams(run)
            starts = [it for it in records if it.kind == md.hparams.SESSION_START]
            if not starts:
                continue
            ends = [it for it in records if it.kind == md.hparams.SESSION_END]
            metrics: dict[str, float] = {}
            for group, tag in dict.fromkeys(metric_tags):
                where = f"{run}/{group}" if group and run != "." else (group or run)
                for candidate in (where, run):
                    if candidate in self._runs and tag in self._runs[candidate].scalars:
                        series = self.scalars(candidate, tag)
                        if len(series):
                            metrics[tag if not group else f"{group}/{tag}"] = float(series.value[-1])
                        break
            rows.append({
                "run": run,
                "hparams": dict(starts[-1].data["hparams"]),
                "metrics": metrics,
                "status": ends[-1].data["status"] if ends else None,
            })
        return rows

    # -- export -------------------------------------------------------------------------------

    def to_pandas(self, kind: str = md.scalar.KIND, *, runs: Iterable[str] | None = None, group: Any = None):
        """A long DataFrame of ``kind``: scalars give columns run, tag, step, wall_time, value;
        with ``group`` (a grouping, see ``tbx_widget.groups``) a ``group`` column follows ``run``."""
        from ..export import to_pandas

        return to_pandas(self, kind, runs=runs, group=group)

    def run_groups(self, group: Any, runs: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Group name -> member runs under ``group`` (see ``tbx_widget.groups``)."""
        from ..groups import group_runs, parse_grouping

        spec = parse_grouping(group)
        names = list(runs) if runs is not None else self.runs
        hp = None
        if spec["by"] == "hparam":  # a run's own session, else one its child run holds (add_hparams)
            own = {r["run"]: r["hparams"] for r in self.hparams_table()}
            hp = dict(own)
            for run, values in own.items():
                parent = run.rpartition("/")[0] or "."
                if parent != run and parent not in own:
                    hp.setdefault(parent, values)
        return group_runs(names, spec, hp)

    def aggregate(self, tag: str, group: Any = None, *, runs: Iterable[str] | None = None) -> dict[str, "Aggregate"]:
        """Scalar ``tag`` aggregated over the runs of each group: group name -> ``Aggregate``
        (numpy arrays step, mean, median, min, max, std, count; see ``reader.aggregate``).

        ``group`` is a regex (``r"(lr=[^,]+)"``: one group per captured text), a dict such as
        ``{"by": "ranks"}`` or ``{"by": "prefix", "sep": "/"}``, or None: every run with the tag
        in one group named ``"*"``. Runs without the tag are left out."""
        from .aggregate import aggregate

        if not isinstance(tag, str):
            raise TypeError(f"tag must be a str, got {type(tag).__name__}")
        names = [r for r in (list(runs) if runs is not None else self.runs) if tag in self._data(r).scalars]
        if not names:
            raise KeyError(f"no run has a scalar tag {tag!r}")
        groups = {"*": names} if group is None else self.run_groups(group, names)
        out = {}
        for key, members in groups.items():
            series = [self.scalars(r, tag) for r in members]
            out[key] = aggregate([(s.step, s.value) for s in series], runs=members)
        return out

    def chart(self, tag: str, runs: Iterable[str] | None = None, smoothing: float = 0.6, **kwargs: Any):
        """An Altair chart of scalar ``tag`` over ``runs``: raw faint, smoothed bold."""
        from ..export import chart

        return chart(self, tag, runs=runs, smoothing=smoothing, **kwargs)


def load(logdir: str | os.PathLike[str], *, storage_options: dict[str, Any] | None = None) -> Logs:
    """Read every run under ``logdir`` and return a ``Logs`` (call ``refresh()`` for more).

    ``logdir`` may be an fsspec URL (``s3://bucket/runs``) with ``storage_options`` for its
    filesystem (credentials, ``endpoint_url``, ...); see ``Logs``."""
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"logdir must be a path or URL string, got {type(logdir).__name__}")
    path = os.fspath(logdir)
    if is_url(path):
        logs = Logs(path, storage_options=storage_options)
        logs.refresh()
        if not logs.runs and not logs.storage.exists():  # type: ignore[union-attr]
            raise FileNotFoundError(f"logdir {path!r}: nothing is stored under it")
        return logs
    if storage_options:
        raise ValueError(f"storage_options are for URLs (s3://, gs://, ...); logdir {path!r} is a local path")
    if not os.path.isdir(path):
        raise FileNotFoundError(f"logdir {path!r} is not a directory")
    logs = Logs(path)
    logs.refresh()
    return logs
