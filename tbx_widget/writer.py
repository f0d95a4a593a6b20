"""SummaryWriter: the tensorboardX / torch.utils.tensorboard API over ``EventFileWriter``.

Glue only. On the caller's thread every argument is checked (tags and text encode as UTF-8,
steps fit int64, sizes are bounded...), so whatever could fail fails at the call, with a
TypeError or ValueError naming the argument, and nothing else queued is lost. Also on the
caller's thread: histograms are bucketed, figures rendered and GIFs encoded, and arrays the
caller may change afterwards are copied. The rest (PNG/WAV encoding, protobuf serialization,
CRC, I/O) runs on the event file's background thread, where nothing checked can fail. Scalars
take a dedicated path: a tuple appended to a queue, serialized in batches by a hand-written
encoder (byte-identical to protobuf's).
"""
from __future__ import annotations

import collections
import contextlib
import datetime
import json
import os
import socket
import time
import warnings
import weakref
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ._proto import event_pb2, summary_pb2
from .convert import (INT64_MAX, INT64_MIN, check_child_name, check_step, check_tag, check_text, check_walltime, to_float,
                      to_numpy, to_real)
from .distributed import rank_logdir
from .event_file import EventFileWriter
from .event_queue import Framed
from .scalar_frames import BULK_MIN, framed_scalar_events
from .storage import Storage, is_url
from .file_writer import FileWriter
from .summary.histogram import check_bins, histogram_proto, histogram_raw_proto
from .summary.curves import curve_arrays, curve_value, surface_arrays, surface_value
from .summary.hparams import hparams_values
from .summary.mesh import mesh_arrays, mesh_config, mesh_values
from .summary.image import draw_boxes, encode_gif, encode_png, image_value, make_grid, to_hwc_uint8, video_to_ntchw
from .summary.plugins import audio_value, layout_proto, layout_value, pr_curve_counts, pr_curve_value, text_value
from .summary.scalar import encode_scalar_events, scalar_value
from .summary.tensor import tensor_array, tensor_value

__all__ = ["SummaryWriter", "DEFAULT_FLUSH_SECS"]

MIN_FPS = 1000 / 655_350
"""Slowest video: a GIF stores a frame's delay in 16 bits of centiseconds (at most 655.35 s)."""

_FLOAT32_MAX = float(np.finfo(np.float32).max)

MAX_VALUE_BYTES = 1 << 30
"""Largest image, audio clip or text one call may log (raw bytes): its record stays well under
protobuf's 2 GiB message limit, so serialization on the writer thread cannot fail."""

DEFAULT_FLUSH_SECS = 2.0
"""Bytes reach the OS at least every 2 s (every 0.1 s while a dashboard in this process
follows the logdir), instead of tensorboardX's 120 s: a live view needs fresh files."""

_writers: "weakref.WeakSet[SummaryWriter]" = weakref.WeakSet()


def _default_logdir(comment: str) -> str:
    stamp = datetime.datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


def _now(walltime: Any) -> float:
    return time.time() if walltime is None else check_walltime(walltime)  # type: ignore[return-value]


def _when(global_step: Any, walltime: Any) -> tuple[int, float]:
    """The (step, wall time) of an event: step 0 when none is given, the current time likewise."""
    return check_step(global_step) or 0, _now(walltime)


def _check_size(nbytes: int, name: str) -> None:
    if nbytes > MAX_VALUE_BYTES:
        raise ValueError(f"{name} is too large to log: {nbytes} bytes (at most {MAX_VALUE_BYTES}, 1 GiB, per record)")


def _raise_first_error(writers: Iterable[EventFileWriter | None]) -> None:
    """Report an earlier background error of any of ``writers`` (after everything is queued)."""
    for w in writers:
        if w is not None:
            w.raise_error()


def _event_bytes(values: Sequence[summary_pb2.Summary.Value], step: int, wall: float) -> bytes:
    event = event_pb2.Event(wall_time=wall, step=step)
    event.summary.value.extend(values)
    return event.SerializeToString()


class SummaryWriter:
    """Writes TensorBoard event files; the tensorboardX and torch ``SummaryWriter`` API.

    >>> from tbx_widget import SummaryWriter
    >>> with SummaryWriter("runs/exp1") as w:          # doctest: +SKIP
    ...     for step in range(100):
    ...         w.add_scalar("loss", 1 / (step + 1), step)
    >>> w.show()                                        # doctest: +SKIP  (live dashboard)

    Args:
        logdir: directory of the run (``log_dir`` is torch's name for it). Default
            ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``.
        comment: appended to the default logdir name.
        purge_step: when resuming from a checkpoint at this step, TensorBoard (and tbx_widget's
            reader) drops the events previously logged at this step or later; written once.
        max_queue: accepted for compatibility; events are batched on a background thread and
            reach the OS every ``flush_secs``, on ``flush()`` and on ``close()``.
        flush_secs: seconds between writes to the OS (default 2.0; 0.1 while a dashboard in this
            process follows the logdir).
        filename_suffix: appended to the event file's name.
        write_to_disk: ``False`` checks every call but writes nothing (rank 0 only:
            ``write_to_disk=int(os.environ.get("RANK", 0)) == 0``).
        comet_config: tensorboardX's Comet settings; accepted, but nothing is sent to Comet (a
            warning says so unless the config is ``{"disabled": True}``, tensorboardX's default).
        rank: one run per rank: an int ``r`` writes to ``<logdir>/rank_<r>``; ``"env"`` takes
            ``r`` from an initialised ``torch.distributed``, else ``RANK`` / ``LOCAL_RANK``
            (checked against ``WORLD_SIZE``); see ``tbx_widget.distributed``. ``show()`` then
            shows every rank of ``logdir`` grouped.
        storage_options: for a URL logdir (``s3://bucket/run``, ``gs://``, ``az://``, any fsspec
            URL), the fsspec filesystem's options (credentials, ``endpoint_url``, ...). A remote
            event file is spooled locally and uploaded whole on every flush (``flush()`` returns
            once the server acknowledged it), rolling to a new object past 4 MiB or 10 minutes;
            see ``tbx_widget.remote_sink``. A missing backend raises ImportError naming the
            extra; a missing or denied bucket raises here.

    Any other keyword raises TypeError (``flsh_secs=5``), as the peers' constructors do. Attributes
    as in the peers: ``logdir`` / ``log_dir``, ``file_writer`` and ``all_writers`` (None after
    ``close()``), ``scalar_dict`` (what ``export_scalars_to_json`` writes).
    """

    def __init__(self, logdir: str | os.PathLike[str] | None = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: float = DEFAULT_FLUSH_SECS, filename_suffix: str = "",
                 write_to_disk: bool = True, log_dir: str | os.PathLike[str] | None = None,
                 comet_config: dict[str, Any] | None = None, *, rank: int | str | None = None,
                 storage_options: dict[str, Any] | None = None) -> None:
        if logdir is not None and log_dir is not None and os.fspath(logdir) != os.fspath(log_dir):
            raise ValueError(f"give logdir or log_dir, not both (got {logdir!r} and {log_dir!r})")
        if not isinstance(comment, str):
            raise TypeError(f"comment must be a str, got {type(comment).__name__}")
        _check_comet_config(comet_config)
        chosen = logdir if logdir is not None else log_dir
        if chosen is not None and not isinstance(chosen, (str, os.PathLike)):
            raise TypeError(f"logdir must be a path (str or os.PathLike), got {type(chosen).__name__}")
        self.logdir = os.fspath(chosen) if chosen is not None else _default_logdir(comment)
        self._ranks_dir = self.logdir if rank is not None else None
        self.logdir = rank_logdir(self.logdir, rank)
        if storage_options is not None and not isinstance(storage_options, dict):
            raise TypeError(f"storage_options must be a dict, got {type(storage_options).__name__}")
        if storage_options and not is_url(self.logdir):
            raise ValueError(f"storage_options are for URL logdirs (s3://, gs://, ...); {self.logdir!r} is a local path")
        self.storage_options = dict(storage_options or {})
        if isinstance(max_queue, bool) or not isinstance(max_queue, int) or max_queue < 1:
            raise ValueError(f"max_queue must be a positive int, got {max_queue!r}")
        if not isinstance(flush_secs, (int, float)) or isinstance(flush_secs, bool) or not flush_secs > 0:
            raise ValueError(f"flush_secs must be a positive number of seconds, got {flush_secs!r}")
        self.flush_secs = float(flush_secs)
        self.filename_suffix = filename_suffix
        self.write_to_disk = bool(write_to_disk)
        self.purge_step = check_step(purge_step, "purge_step")
        self._file: EventFileWriter | None = None
        self._children: dict[str, EventFileWriter] = {}
        self._scalars: collections.deque[tuple[str, float, int, float]] = collections.deque()
        self._armed = False
        self._closed = False
        self._meta: tuple[int | None, float | None] | None = None  # use_metadata's defaults
        self.scalar_dict: dict[str, list[list[Any]]] = {}
        self._facades: dict[str | None, FileWriter] = {}
        if self.write_to_disk:
            self._open()
        _writers.add(self)

    # -- files ----------------------------------------------------------------------------------

    def _open(self) -> EventFileWriter:
        f = EventFileWriter(self.logdir, filename_suffix=self.filename_suffix, flush_secs=self.flush_secs,
                            storage_options=self.storage_options)
        if self.purge_step is not None:
            start = event_pb2.Event(wall_time=time.time(), step=self.purge_step)
            start.session_log.status = event_pb2.SessionLog.START
            f.add(start.SerializeToString())
            self.purge_step = None  # once, not again when the writer reopens
        self._file = f
        self._closed = False
        return f

    def _writer(self) -> EventFileWriter | None:
        f = self._file
        if f is None or f.closed:
            if not self.write_to_disk:
                self._closed = False  # logging after close(): file_writer is back, as in the peers
                return None
            f = self._open()  # torch's writer reopens after close(): so do we, with a new file
        return f

    def _child(self, name: str) -> EventFileWriter | None:
        if not self.write_to_disk:
            return None
        child = self._children.get(name)
        if child is None or child.closed:
            directory = f"{self.logdir.rstrip('/')}/{name}" if is_url(self.logdir) else os.path.join(self.logdir, name)
            child = self._children[name] = EventFileWriter(directory, flush_secs=self.flush_secs,
                                                           storage_options=self.storage_options)
        return child

    def _take_scalars(self) -> Framed | list[bytes]:
        """On the writer thread: serialize and frame every queued scalar (all at once with numpy:
        the thread shares the GIL with the loop, see scalar_frames)."""
        self._armed = False  # before draining: a scalar queued from now on schedules a new take
        q = self._scalars
        n = len(q)
        points = [q.popleft() for _ in range(n)]
        try:
            if n < BULK_MIN:
                return encode_scalar_events(points)
            return Framed(framed_scalar_events(points))
        except Exception:  # every point was checked at its call; should one still fail, it alone is lost
            return self._encode_each(points)

    def _encode_each(self, points: list[tuple[str, float, int, float]]) -> list[bytes]:
        out: list[bytes] = []
        for point in points:
            try:
                out += encode_scalar_events([point])
            except Exception as exc:
                if self._file is not None:
                    self._file.report(exc)
        return out

    def _arm_scalars(self, f: EventFileWriter) -> None:
        """Queue a serialization of the queued scalars on ``f`` (armed first: the writer thread
        may run it at once), then report an earlier background error: the scalars stay queued."""
        self._armed = True
        try:
            f.enqueue(self._take_scalars)
        except BaseException:
            self._armed = False
            raise
        f.raise_error()

    def _emit(self, make: Callable[[], bytes], writer: EventFileWriter | None = None) -> None:
        target = writer if writer is not None else self._writer()
        if target is not None:
            target.add(make)  # queues ``make`` before it reports an earlier error

    def get_logdir(self) -> str:
        """The run's directory."""
        return self.logdir

    @property
    def log_dir(self) -> str:
        """The run's directory (torch's name for ``logdir``)."""
        return self.logdir

    @property
    def file_writer(self) -> FileWriter | None:
        """The logdir's ``FileWriter`` (``get_logdir``, ``add_event``, ``add_summary``, ``flush``,
        ``close``, ``reopen``); None after ``close()`` until something is logged again, as in
        tensorboardX and torch."""
        return None if self._closed else self._facade(None)

    @property
    def all_writers(self) -> dict[str, FileWriter] | None:
        """``{directory: FileWriter}``: the logdir's and each open child run's (``add_scalars``,
        ``add_hparams``); None after ``close()``, as in the peers."""
        if self._closed:
            return None
        out = {self.logdir: self._facade(None)}
        for name, child in list(self._children.items()):
            if not child.closed:
                out[os.path.join(self.logdir, name)] = self._facade(name)
        return out

    def _facade(self, name: str | None) -> FileWriter:
        fw = self._facades.get(name)
        if fw is None:
            if name is None:
                fw = FileWriter(self.logdir, lambda reopen: self._writer() if reopen else self._file, self._event_when,
                                self._main_closed)
            else:
                fw = FileWriter(os.path.join(self.logdir, name),
                                lambda reopen: self._child(name) if reopen else self._children.get(name), self._event_when)
            self._facades[name] = fw
        return fw

    def _main_closed(self) -> None:
        self._closed = True  # the logdir's file was closed through file_writer: the next add_* reopens it

    # -- default step and wall time (use_metadata) ---------------------------------------------

    @contextlib.contextmanager
    def use_metadata(self, *, global_step: Any = None, walltime: Any = None) -> Iterator["SummaryWriter"]:
        """Within ``with writer.use_metadata(global_step=10):`` every ``add_*`` call (and
        ``file_writer.add_event``) given no ``global_step`` / ``walltime`` of its own takes these
        (tensorboardX's context manager). A nested block overrides what it gives."""
        if global_step is None and walltime is None:
            raise ValueError("use_metadata needs global_step or walltime, got neither")
        step, wall = check_step(global_step), check_walltime(walltime)
        outer = self._meta
        if outer is not None:
            step = outer[0] if step is None else step
            wall = outer[1] if wall is None else wall
        self._meta = (step, wall)
        try:
            yield self
        finally:
            self._meta = outer

    def _with_meta(self, global_step: Any, walltime: Any) -> tuple[Any, Any]:
        meta = self._meta
        if meta is None:
            return global_step, walltime
        return meta[0] if global_step is None else global_step, meta[1] if walltime is None else walltime

    def _when(self, global_step: Any, walltime: Any) -> tuple[int, float]:
        """The (step, wall time) of an event: the arguments, else ``use_metadata``'s, else step 0, now."""
        if self._meta is not None:
            global_step, walltime = self._with_meta(global_step, walltime)
        return check_step(global_step) or 0, _now(walltime)

    def _event_when(self, step: Any, walltime: Any) -> tuple[int | None, float]:
        """``_when`` for ``FileWriter``: no step given stays None (the event keeps its own)."""
        if self._meta is not None:
            step, walltime = self._with_meta(step, walltime)
        return check_step(step, "step"), _now(walltime)

    # -- scalars ------------------------------------------------------------------------------

    def add_scalar(self, tag: str, scalar_value: Any, global_step: Any = None, walltime: Any = None,
                   display_name: str = "", summary_description: str = "", new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Log one number. ``new_style`` / ``double_precision`` write a float / double tensor (torch's
        forms); ``display_name`` / ``summary_description`` go into the summary metadata.

        Both peers' positional forms work: a bool 5th / 6th argument is torch's ``new_style`` /
        ``double_precision``, a str is tensorboardX's ``display_name`` / ``summary_description``."""
        if type(tag) is not str or not tag or not tag.isascii():
            tag = check_tag(tag)
        value = scalar_value if type(scalar_value) is float else to_float(scalar_value, "scalar_value")
        if self._meta is not None:
            global_step, walltime = self._with_meta(global_step, walltime)
        if type(global_step) is int and INT64_MIN <= global_step <= INT64_MAX:
            step = global_step
        else:
            step = check_step(global_step) or 0
        wall = time.time() if walltime is None else _now(walltime)
        if new_style or double_precision or display_name or summary_description:
            display_name, summary_description, new_style, double_precision = _scalar_style(
                display_name, summary_description, new_style, double_precision)
            proto = scalar_value_fn(tag, value, new_style, double_precision, display_name, summary_description)
            self._emit(lambda: _event_bytes([proto], step, wall))
            return
        f = self._file
        if f is None or self._closed:
            f = self._writer()
            if f is None:
                return
        self._scalars.append((tag, value, step, wall))
        if not self._armed:
            self._arm_scalars(f)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any], global_step: Any = None, walltime: Any = None) -> None:
        """Log several numbers under one chart: each key is its own run
        ``<logdir>/<main_tag>/<key>`` (tensorboardX's layout), the tag is ``main_tag``."""
        main_tag = check_tag(main_tag, "main_tag")
        if not isinstance(tag_scalar_dict, dict):
            raise TypeError(f"tag_scalar_dict must be a dict of name -> number, got {type(tag_scalar_dict).__name__}")
        if self._meta is not None:
            global_step, walltime = self._with_meta(global_step, walltime)
        given_step = check_step(global_step)
        step = given_step or 0
        wall = _now(walltime)
        if ".." in main_tag.replace("\\", "/").split("/") or main_tag.startswith(("/", "\\")):
            raise ValueError(f"main_tag {main_tag!r} would leave the logdir")
        points = []
        for key, value in tag_scalar_dict.items():
            if not isinstance(key, str) or not key:
                raise TypeError(f"tag_scalar_dict keys must be non-empty str, got {key!r}")
            key = check_tag(key, "tag_scalar_dict key")
            if ".." in key.replace("\\", "/").split("/") or key.startswith(("/", "\\")):
                raise ValueError(f"tag_scalar_dict key {key!r} would leave the logdir")
            name = check_child_name(main_tag + "/" + key, "tag_scalar_dict key")
            points.append((name, to_float(value, f"tag_scalar_dict[{key!r}]")))
        targets = [(self._child(name), value) for name, value in points]  # every file exists before anything is queued
        for child, value in targets:
            if child is not None:
                child.enqueue(encode_scalar_events([(main_tag, value, step, wall)])[0])
        for name, value in points:  # kept for export_scalars_to_json, as tensorboardX keeps them
            self.scalar_dict.setdefault(os.path.join(self.logdir, name), []).append([wall, given_step, value])
        _raise_first_error(child for child, _ in targets)

    def export_scalars_to_json(self, path: str | os.PathLike[str]) -> None:
        """Write the scalars logged with ``add_scalars`` since the last export to ``path`` as JSON
        in tensorboardX's format, ``{"<logdir>/<main_tag>/<key>": [[wall_time, step, value], ...]}``
        (``step`` null when none was given), then forget them. Like tensorboardX, ``add_scalar``
        values are not kept (they would grow memory without bound); ``load(logdir)`` reads
        every scalar back from the event files."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file path (str or os.PathLike), got {type(path).__name__}")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.scalar_dict, f)
        self.scalar_dict = {}

    def add_tensor(self, tag: str, tensor: Any, global_step: Any = None, walltime: Any = None) -> None:
        """Log a whole tensor (any shape; numbers, bools or complex numbers) under the "tensor"
        plugin, as torch's ``add_tensor`` does; TensorBoard's ``tensor_util.make_ndarray`` reads
        it back exactly (dtype and shape included)."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        arr, dtype = tensor_array(tensor, "tensor")
        _check_size(arr.nbytes, "tensor")
        self._emit(lambda: _event_bytes([tensor_value(tag, arr, dtype)], step, wall))

    # -- histograms -----------------------------------------------------------------------------

    def add_histogram(self, tag: str, values: Any, global_step: Any = None, bins: Any = "tensorflow",
                      walltime: Any = None, max_bins: int | None = None) -> None:
        """Log the distribution of ``values``: TensorFlow's exponential buckets by default, or a
        numpy rule ("auto", "fd", ...), a number of buckets, or explicit edges. NaN and Inf are
        left out with a warning."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        bins = check_bins(bins)
        if max_bins is not None and (isinstance(max_bins, bool) or not isinstance(max_bins, int) or max_bins < 1):
            raise ValueError(f"max_bins must be a positive int or None, got {max_bins!r}")
        # Bucketed here, on the caller's thread: the caller may change its array after we return
        # (weights are updated in place), and bucketing costs less than copying it would. NaN and
        # Inf are left out with a warning; the default bins read the values once (summary/histogram).
        histo = histogram_proto(to_real(values, "values"), bins, max_bins, label=f"add_histogram({tag!r})", stacklevel=2)
        self._emit(lambda: _event_bytes([summary_pb2.Summary.Value(tag=tag, histo=histo)], step, wall))

    def add_histogram_raw(self, tag: str, min: float, max: float, num: float, sum: float, sum_squares: float,
                          bucket_limits: Any, bucket_counts: Any, global_step: Any = None, walltime: Any = None) -> None:
        """Log a histogram computed elsewhere (right bucket edges and counts)."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        stats = [to_float(v, n) for v, n in ((min, "min"), (max, "max"), (num, "num"), (sum, "sum"), (sum_squares, "sum_squares"))]
        histo = histogram_raw_proto(*stats, to_real(bucket_limits, "bucket_limits"), to_real(bucket_counts, "bucket_counts"))
        self._emit(lambda: _event_bytes([summary_pb2.Summary.Value(tag=tag, histo=histo)], step, wall))

    # -- images, figures, video ----------------------------------------------------------------

    def _image(self, tag: str, img: np.ndarray, step: int, wall: float) -> None:
        _check_size(img.nbytes, "img_tensor")
        self._emit(lambda: _event_bytes([image_value(tag, img, encode_png(img))], step, wall))

    def add_image(self, tag: str, img_tensor: Any, global_step: Any = None, walltime: Any = None, dataformats: str = "CHW") -> None:
        """Log one image: uint8 as is, floats in [0, 1] scaled to 0-255 and clipped."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        img = to_hwc_uint8(to_numpy(img_tensor, "img_tensor"), dataformats, "img_tensor")
        self._image(tag, np.array(img, copy=True), step, wall)

    def add_images(self, tag: str, img_tensor: Any, global_step: Any = None, walltime: Any = None, dataformats: str = "NCHW") -> None:
        """Log a batch of images as one grid (8 per row)."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        arr = to_numpy(img_tensor, "img_tensor")
        if "N" not in str(dataformats).upper():
            raise ValueError(f"add_images needs a batch layout with N (such as 'NCHW'), got dataformats {dataformats!r}")
        self._image(tag, to_hwc_uint8(arr, dataformats, "img_tensor"), step, wall)

    def add_image_with_boxes(self, tag: str, img_tensor: Any, box_tensor: Any, global_step: Any = None, walltime: Any = None,
                             rescale: int = 1, dataformats: str = "CHW", labels: Sequence[str] | None = None) -> None:
        """Log an image with boxes (x_min, y_min, x_max, y_max in pixels) outlined in red;
        labels are drawn when Pillow is installed. tensorboardX's positional form
        ``(tag, img, boxes, step, walltime, dataformats, labels)`` works too: a str 6th argument
        is its ``dataformats``."""
        if isinstance(rescale, str):  # tensorboardX's signature: no rescale before dataformats
            if not isinstance(dataformats, str) or not set(dataformats.upper()) <= set("NCHW"):  # its 7th: labels
                if labels is not None:
                    raise TypeError("add_image_with_boxes got labels twice: as the 7th positional argument "
                                    "(tensorboardX's signature) and by keyword")
                labels, dataformats = dataformats, "CHW"
            elif dataformats != "CHW":
                raise TypeError(f"add_image_with_boxes got two layouts, {rescale!r} and {dataformats!r}: the 6th positional "
                                "argument is rescale (torch, an int) or dataformats (tensorboardX, a str)")
            rescale, dataformats = 1, rescale
        if isinstance(labels, str):  # one label for one box, as tensorboardX accepts it
            labels = [labels]
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        img = to_hwc_uint8(to_numpy(img_tensor, "img_tensor"), dataformats, "img_tensor")
        boxes = to_real(box_tensor, "box_tensor").astype(np.float64)
        if boxes.ndim == 1 and boxes.size == 4:
            boxes = boxes[None]
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"box_tensor must have shape (N, 4), got {boxes.shape}")
        if not np.isfinite(boxes).all():
            bad = int(np.flatnonzero(~np.isfinite(boxes).all(axis=1))[0])
            raise ValueError(f"box_tensor must hold finite pixel coordinates, got {boxes[bad].tolist()} in box {bad}")
        if labels is not None:
            if isinstance(labels, str) or not hasattr(labels, "__len__"):
                raise TypeError(f"labels must be a sequence of str (one per box), got {type(labels).__name__}")
            if len(labels) != len(boxes):
                raise ValueError(f"labels must have one entry per box: {len(labels)} labels for {len(boxes)} boxes")
            labels = [check_text(x if isinstance(x, str) else str(x), f"labels[{i}]") for i, x in enumerate(labels)]
        if isinstance(rescale, bool) or not isinstance(rescale, int) or rescale < 1:
            raise ValueError(f"rescale must be a positive int, got {rescale!r}")
        if rescale > 1:
            img = np.repeat(np.repeat(img, rescale, axis=0), rescale, axis=1)
            boxes = boxes * rescale
        self._image(tag, draw_boxes(img, boxes, labels), step, wall)

    def add_figure(self, tag: str, figure: Any, global_step: Any = None, close: bool = True, walltime: Any = None) -> None:
        """Log a matplotlib figure (or a list of figures, as a grid) as an image."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        figures = list(figure) if isinstance(figure, (list, tuple)) else [figure]
        if not figures:
            raise ValueError("figure must be a matplotlib figure or a non-empty list of them")
        images = [_render_figure(f, close) for f in figures]
        if len(images) == 1:
            img = images[0]
        else:
            h = max(i.shape[0] for i in images)
            w = max(i.shape[1] for i in images)
            batch = np.zeros((len(images), 4, h, w), np.uint8)
            for k, i in enumerate(images):
                batch[k, :, : i.shape[0], : i.shape[1]] = np.transpose(i, (2, 0, 1))
            img = make_grid(batch, "figure")
        self._image(tag, img, step, wall)

    def add_video(self, tag: str, vid_tensor: Any, global_step: Any = None, fps: float = 4, walltime: Any = None,
                  dataformats: str = "NTCHW") -> None:
        """Log a video (N, T, C, H, W; other orders by ``dataformats``, as in tensorboardX) as an
        animated GIF (needs Pillow)."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        vid = to_real(vid_tensor, "vid_tensor")
        if vid.ndim == 5 or dataformats != "NTCHW":
            vid = video_to_ntchw(vid, dataformats, "vid_tensor")
        if vid.ndim != 5:
            raise ValueError(f"vid_tensor must have shape (N, T, C, H, W), got {vid.shape}")
        if 0 in vid.shape:
            raise ValueError(f"vid_tensor is empty: shape {vid.shape} (N, T, C, H, W) has a zero; a video needs at least one frame")
        if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) or not MIN_FPS <= fps < float("inf"):
            raise ValueError(f"fps must be a positive number of frames per second, finite and at least {MIN_FPS:.4g} "
                             f"(a GIF frame lasts at most 655.35 s), got {fps!r}")
        try:
            import PIL  # noqa: F401
        except ImportError:
            raise ImportError("add_video needs Pillow to encode GIFs: pip install pillow") from None
        _check_size(vid.size, "vid_tensor")
        frames = np.stack([make_grid(vid[:, t], "vid_tensor") for t in range(vid.shape[1])])
        h, w, c = frames.shape[1:]
        try:  # here, not on the writer thread: Pillow's limits then fail this call, not a later one
            gif = encode_gif(frames, float(fps))
        except OverflowError:  # Pillow merges identical frames and their durations overflow GIF's 16 bits
            raise ValueError(f"fps {fps!r} is too low for this video: its identical consecutive frames are merged "
                             "into one that would last longer than a GIF allows (655 s)") from None
        image = summary_pb2.Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=gif)
        self._emit(lambda: _event_bytes([summary_pb2.Summary.Value(tag=tag, image=image)], step, wall))

    # -- text, audio, pr curves -------------------------------------------------------------------

    def add_text(self, tag: str, text_string: str, global_step: Any = None, walltime: Any = None) -> None:
        """Log Markdown text (stored under ``<tag>/text_summary``, as tensorboardX and torch do)."""
        tag = check_tag(tag)
        if not isinstance(text_string, str):
            raise TypeError(f"text_string must be a str, got {type(text_string).__name__}")
        data = check_text(text_string, "text_string").encode("utf-8")
        _check_size(len(data), "text_string")
        step, wall = self._when(global_step, walltime)
        self._emit(lambda: _event_bytes([text_value(tag, data)], step, wall))

    def add_audio(self, tag: str, snd_tensor: Any, global_step: Any = None, sample_rate: int = 44100, walltime: Any = None) -> None:
        """Log audio: samples in [-1, 1] shaped (L,), (C, L) or (L, C) with C = 1 or 2 (mono,
        stereo); written as 16-bit WAV."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or not 1 <= sample_rate <= 1_000_000:
            raise ValueError(f"sample_rate must be an int number of samples per second, got {sample_rate!r}")
        snd = to_real(snd_tensor, "snd_tensor").astype(np.float64)
        if snd.ndim == 1:
            snd = snd[:, None]
        elif snd.ndim == 2 and snd.shape[0] in (1, 2) and snd.shape[1] > 2:
            snd = snd.T
        elif not (snd.ndim == 2 and snd.shape[1] in (1, 2)):
            raise ValueError(f"snd_tensor must have shape (L,), (C, L) or (L, C) with 1 or 2 channels, got {snd.shape}")
        if snd.shape[0] == 0:
            raise ValueError("snd_tensor has no samples")
        if not np.isfinite(snd).all():
            raise ValueError("snd_tensor has NaN or infinite samples")
        _check_size(snd.size * 2, "snd_tensor")  # 16-bit WAV
        self._emit(lambda: _event_bytes([audio_value(tag, snd, int(sample_rate))], step, wall))

    def add_pr_curve(self, tag: str, labels: Any, predictions: Any, global_step: Any = None, num_thresholds: int = 127,
                     weights: Any = None, walltime: Any = None) -> None:
        """Log a precision-recall curve from binary ``labels`` and ``predictions`` in [0, 1]."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) or not 2 <= num_thresholds <= 10_000:
            raise ValueError(f"num_thresholds must be an int from 2 to 10000, got {num_thresholds!r}")
        lab = to_real(labels, "labels").reshape(-1)
        pred = to_real(predictions, "predictions").astype(np.float64).reshape(-1)
        if lab.shape != pred.shape:
            raise ValueError(f"labels and predictions must have the same length, got {lab.size} and {pred.size}")
        if lab.size == 0:
            raise ValueError("labels and predictions are empty")
        if not np.isin(lab, (0, 1)).all():
            raise ValueError("labels must be 0/1 or bool")
        if not np.isfinite(pred).all() or pred.min() < 0 or pred.max() > 1:
            raise ValueError(f"predictions must be probabilities in [0, 1], got values from {pred.min()!r} to {pred.max()!r}")
        w = None
        if weights is not None:
            w = to_real(weights, "weights").astype(np.float64).reshape(-1)
            if w.shape != lab.shape:
                raise ValueError(f"weights must have one entry per label, got {w.size} for {lab.size}")
            if not np.isfinite(w).all() or (w < 0).any():
                bad = int(np.flatnonzero(~(np.isfinite(w) & (w >= 0)))[0])
                raise ValueError(f"weights must be finite and non-negative, got {w[bad]!r} at index {bad}")
            with np.errstate(over="ignore"):
                total = float(w.sum())
            if not total <= _FLOAT32_MAX:  # the table holds float32 counts
                raise ValueError(f"weights must sum to at most {_FLOAT32_MAX:.4g} (the counts are stored as float32), got {total!r}")
        table = pr_curve_counts(lab.astype(bool), pred, int(num_thresholds), w)
        self._emit(lambda: _event_bytes([pr_curve_value(tag, table)], step, wall))

    def add_pr_curve_raw(self, tag: str, true_positive_counts: Any, false_positive_counts: Any, true_negative_counts: Any,
                         false_negative_counts: Any, precision: Any, recall: Any, global_step: Any = None,
                         num_thresholds: int = 127, weights: Any = None, walltime: Any = None) -> None:
        """Log a PR curve from precomputed counts (one entry per threshold)."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        names = ("true_positive_counts", "false_positive_counts", "true_negative_counts", "false_negative_counts", "precision", "recall")
        rows = [to_real(v, n).astype(np.float64).reshape(-1) for v, n in zip(
            (true_positive_counts, false_positive_counts, true_negative_counts, false_negative_counts, precision, recall), names)]
        if len({len(r) for r in rows}) != 1 or len(rows[0]) < 2:
            raise ValueError(f"the six PR arrays must have the same length of at least 2, got {[len(r) for r in rows]}")
        if len(rows[0]) > 10_000:
            raise ValueError(f"the six PR arrays may have at most 10000 thresholds, got {len(rows[0])}")
        with np.errstate(over="ignore"):  # beyond float32: stored as infinity, as protobuf would
            table = np.stack(rows).astype(np.float32)
        self._emit(lambda: _event_bytes([pr_curve_value(tag, table)], step, wall))

    # -- curves and surfaces -------------------------------------------------------------------------

    def add_curve(self, tag: str, x: Any, y: Any, global_step: Any = None, walltime: Any = None) -> None:
        """Log y against x at a step: ``y`` is a 1-D array, a dict name -> 1-D array, or a 2-D
        array with one series per row; ``x`` (finite, same length) may be None for 0, 1, 2, ...
        Read back with ``load(logdir).curves(run, tag)``; the dashboard's Curves section draws it."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        xs, ys, names = curve_arrays(x, y)
        self._emit(lambda: _event_bytes([curve_value(tag, xs, ys, names)], step, wall))

    def add_surface(self, tag: str, z: Any, x: Any = None, y: Any = None, global_step: Any = None, walltime: Any = None) -> None:
        """Log a surface z over an x-y grid at a step: ``z`` 2-D (``z[i, j]`` at ``(x[j], y[i])``)
        with optional 1-D or meshgrid ``x`` and ``y``, or three 1-D arrays of scattered points
        (gridded). The tutorials' ``add_surface(tag, x, y, z, step)`` is accepted where only that
        reading fits. Read back with ``load(logdir).surfaces(run, tag)``."""
        tag = check_tag(tag)
        step, wall = self._when(global_step, walltime)
        gx, gy, gz = surface_arrays(z, x, y)
        self._emit(lambda: _event_bytes([surface_value(tag, gx, gy, gz)], step, wall))

    # -- hparams, custom scalars, embeddings -------------------------------------------------------

    def add_hparams(self, hparam_dict: dict[str, Any], metric_dict: dict[str, Any], hparam_domain_discrete: dict[str, list[Any]] | None = None,
                    name: str | None = None, global_step: Any = None, run_name: str | None = None) -> None:
        """Log one session's hyperparameters and metrics into the child run ``name`` (torch:
        ``run_name``; default: the current time), as tensorboardX and torch do.

        Both peers' positional forms work: a str third argument is tensorboardX's ``name`` (its
        fourth then is ``global_step``); a dict is torch's ``hparam_domain_discrete``. The session
        records are at step 0 as tensorboardX writes them, or at ``global_step`` as torch does
        when torch's ``run_name`` or ``hparam_domain_discrete`` is given."""
        if isinstance(hparam_domain_discrete, str):  # tensorboardX: add_hparams(h, m, name, global_step)
            if run_name is not None or (name is not None and global_step is not None):
                raise TypeError("add_hparams got a str third argument (tensorboardX's name) and also "
                                f"{'run_name' if run_name is not None else 'name and global_step'}: "
                                "give the run's name once")
            if name is not None:  # tensorboardX's fourth positional parameter is global_step
                global_step = name
            name, hparam_domain_discrete = hparam_domain_discrete, None
        elif hparam_domain_discrete is not None and not isinstance(hparam_domain_discrete, dict):
            raise TypeError("add_hparams' third argument is hparam_domain_discrete (torch: a dict of name -> list of "
                            "values) or name (tensorboardX: a str), got "
                            f"{type(hparam_domain_discrete).__name__} {hparam_domain_discrete!r:.60}")
        if name is not None and run_name is not None:
            raise TypeError(f"give name (tensorboardX) or run_name (torch), not both (got {name!r} and {run_name!r})")
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict must be dicts")
        child = name if name is not None else run_name
        child = check_child_name(child if child is not None else str(time.time()), "name" if name is not None else "run_name")
        step, wall = self._when(global_step, None)
        values = hparams_values(hparam_dict, metric_dict, hparam_domain_discrete)
        metrics = [(check_tag(k, "metric_dict key"), to_float(v, f"metric_dict[{k!r}]")) for k, v in metric_dict.items()]
        writer = self._child(child)
        if writer is None:
            return
        session_step = step if run_name is not None or hparam_domain_discrete is not None else 0  # torch's call: its step
        for value in values:  # experiment, session start, session end: one event each
            writer.enqueue(_event_bytes([value], session_step, wall))
        for data in encode_scalar_events([(k, v, step, wall) for k, v in metrics]):
            writer.enqueue(data)
        writer.flush()

    def add_custom_scalars(self, layout: dict[str, dict[str, list[Any]]]) -> None:
        """Lay out charts of several tags: ``{category: {title: ["Multiline", [tags]] |
        ["Margin", [value, lower, upper]]}}``."""
        proto = layout_proto(layout)
        step, wall = self._when(None, None)
        self._emit(lambda: _event_bytes([layout_value(proto)], step, wall))

    def add_custom_scalars_multilinechart(self, tags: list[str], category: str = "default", title: str = "untitled") -> None:
        """One multiline chart of ``tags`` (see ``add_custom_scalars``)."""
        if isinstance(tags, str) or not isinstance(tags, (list, tuple)):
            raise TypeError(f"tags must be a list of str, got {type(tags).__name__}")
        self.add_custom_scalars({category: {title: ["Multiline", list(tags)]}})

    def add_custom_scalars_marginchart(self, tags: list[str], category: str = "default", title: str = "untitled") -> None:
        """One margin chart of ``[value, lower, upper]`` tags (see ``add_custom_scalars``)."""
        if isinstance(tags, str) or not isinstance(tags, (list, tuple)):
            raise TypeError(f"tags must be a list of str, got {type(tags).__name__}")
        if len(tags) != 3:
            raise ValueError(f"tags must be [value, lower, upper], got {tags!r}")
        self.add_custom_scalars({category: {title: ["Margin", list(tags)]}})

    def add_embedding(self, mat: Any, metadata: Sequence[Any] | None = None, label_img: Any = None, global_step: Any = None,
                      tag: str = "default", metadata_header: Sequence[str] | None = None) -> None:
        """Write projector files (tensors, metadata, sprite) TensorBoard's projector reads."""
        from .embedding import write_embedding

        tag = check_tag(tag)
        step = self._when(global_step, None)[0]
        arr = to_real(mat, "mat").astype(np.float64)
        if arr.ndim != 2:
            raise ValueError(f"mat must be 2-D (points x dimensions), got shape {arr.shape}")
        if metadata is not None and len(metadata) != len(arr):
            raise ValueError(f"metadata must have one entry per row of mat: {len(metadata)} for {len(arr)}")
        img = None
        if label_img is not None:
            img = to_real(label_img, "label_img")
            if img.ndim != 4 or len(img) != len(arr):
                raise ValueError(f"label_img must be (N, C, H, W) with N = {len(arr)}, got {img.shape}")
        safe = check_child_name(tag.replace("/", "_"), "tag")
        if self.write_to_disk:
            storage = Storage(self.logdir, self.storage_options, check=False) if is_url(self.logdir) else None
            write_embedding(self.logdir, f"{step:05d}/{safe}", f"{tag}:{step:05d}", arr, metadata, img, metadata_header, storage)

    # -- not supported ---------------------------------------------------------------------------

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False, use_strict_trace: bool = True) -> None:
        """Log a torch model's graph as torch's writer does: ``model`` is traced with
        ``torch.jit.trace`` on ``input_to_model`` (a tensor, or a tuple of the model's arguments;
        None for a model without arguments) here, on the caller's thread, and written as an
        ``Event.graph_def`` followed by the run metadata TensorBoard lists as "step1".
        ``verbose`` prints the traced graph; ``use_strict_trace`` is ``torch.jit.trace``'s
        ``strict``. Read back with ``load(logdir).graphs(run)``; the dashboard's Graphs section
        draws it. Raises what ``torch.jit.trace`` raises when the model cannot be traced."""
        from .summary.graph import check_model, graph_run_metadata, torch_graph

        check_model(model)
        import torch

        if input_to_model is not None and not isinstance(input_to_model, (torch.Tensor, tuple, list, dict)):
            raise TypeError(f"input_to_model must be a tensor or a tuple of tensors, got {type(input_to_model).__name__}")
        for name, flag in (("verbose", verbose), ("use_strict_trace", use_strict_trace)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {flag!r}")
        inputs = () if input_to_model is None else input_to_model
        graph = torch_graph(model, inputs, verbose=bool(verbose), strict=bool(use_strict_trace)).SerializeToString()
        _check_size(len(graph), "model graph")
        meta = event_pb2.TaggedRunMetadata(tag="step1", run_metadata=graph_run_metadata().SerializeToString())
        wall = time.time()
        self._emit(lambda: event_pb2.Event(wall_time=wall, graph_def=graph).SerializeToString())
        self._emit(lambda: event_pb2.Event(wall_time=wall, tagged_run_metadata=meta).SerializeToString())

    def add_onnx_graph(self, prototxt: Any) -> None:
        """Log an ONNX model's graph for TensorBoard's Graphs dashboard, as tensorboardX does:
        ``prototxt`` is the path of a ``.onnx`` file (tensorboardX's argument) or a loaded
        ``onnx.ModelProto``, read here on the caller's thread. One node per ONNX op (op: its
        ``op_type``), named after its first output, with the model's inputs and initializers as
        ``Variable`` nodes. Needs the onnx package (``pip install 'tbx-widget[onnx]'``)."""
        from .summary.onnx_graph import load_model, onnx_graph

        graph = onnx_graph(load_model(prototxt)).SerializeToString()
        _check_size(len(graph), "prototxt graph")
        step, wall = self._when(None, None)
        self._emit(lambda: event_pb2.Event(wall_time=wall, step=step, graph_def=graph).SerializeToString())

    def add_openvino_graph(self, xmlname: str | os.PathLike[str]) -> None:
        """Log the graph of an OpenVINO IR model (its ``.xml`` file) for TensorBoard's Graphs
        dashboard, as tensorboardX does: read from the XML, OpenVINO itself is not needed. One
        node per layer (op: the layer's type), fed by the layers its edges come from."""
        from .summary.openvino import openvino_graph

        graph = openvino_graph(xmlname).SerializeToString()
        _check_size(len(graph), "xmlname graph")
        step, wall = self._when(None, None)
        self._emit(lambda: event_pb2.Event(wall_time=wall, step=step, graph_def=graph).SerializeToString())

    def add_mesh(self, tag: str, vertices: Any, colors: Any = None, faces: Any = None, config_dict: dict[str, Any] | None = None,
                 global_step: Any = None, walltime: Any = None) -> None:
        """Log a mesh or point cloud as TensorBoard's mesh plugin stores it (as torch's writer does):
        ``vertices`` [B, N, 3], optional ``colors`` [B, N, 3] (0..255) and ``faces`` [B, F, 3]
        (vertex indices), ``config_dict`` the three.js settings TensorBoard passes on. Read back
        with ``load(logdir).meshes(run, tag)``; the dashboard's Meshes section draws it."""
        tag = check_tag(tag)
        step, wall = _when(global_step, walltime)
        config = mesh_config(config_dict)
        v, c, f = mesh_arrays(vertices, colors, faces)
        self._emit(lambda: _event_bytes(mesh_values(tag, v, c, f, config), step, wall))

    # -- lifecycle --------------------------------------------------------------------------------

    def flush(self) -> None:
        """Return once everything logged so far has reached the OS (other processes see it)."""
        f = self._file
        if self._scalars and not self._armed and f is not None and not f.closed:
            self._arm_scalars(f)  # never expected: every queued scalar has a take queued after it
        for w in [self._file, *self._children.values()]:
            if w is not None and not w.closed:
                w.flush()

    def close(self) -> None:
        """Flush and close the event files (safe to call twice; logging afterwards reopens)."""
        errors = []
        for w in [self._file, *self._children.values()]:
            if w is not None:
                try:
                    w.close()
                except Exception as exc:
                    errors.append(exc)
        self._closed = True
        if errors:
            raise errors[0]

    def show(self, **kwargs: Any):
        """Display a live Dashboard of this writer's logdir in the notebook and return it;
        keyword arguments go to ``Dashboard`` (``group=r"(lr=[^,]+)"`` groups runs)."""
        from .widget import Dashboard

        if self._ranks_dir is not None:  # one run per rank: all ranks, grouped
            kwargs.setdefault("group", {"by": "ranks"})
        if self.storage_options:
            kwargs.setdefault("storage_options", self.storage_options)
        dashboard = Dashboard(self._ranks_dir or self.logdir, **kwargs)
        try:
            import IPython  # noqa: F401
        except ImportError:
            return dashboard
        return dashboard.show()

    def __enter__(self) -> "SummaryWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SummaryWriter({self.logdir!r})"


def _check_comet_config(config: Any) -> None:
    """tensorboardX's ``comet_config``: accepted; a warning when it asks for Comet logging."""
    if config is None:
        return
    if not isinstance(config, dict):
        raise TypeError(f"comet_config must be a dict (tensorboardX's Comet settings) or None, got {type(config).__name__}")
    if config.get("disabled", False) is not True:
        warnings.warn("comet_config is ignored: tbx_widget writes event files only and sends nothing to Comet",
                      UserWarning, stacklevel=3)


def _scalar_style(display_name: Any, description: Any, new_style: Any, double_precision: Any) -> tuple[str, str, bool, bool]:
    """add_scalar's 5th and 6th parameters: tensorboardX's ``display_name`` and
    ``summary_description`` (str), or torch's ``new_style`` and ``double_precision`` (bool)."""
    if isinstance(display_name, (bool, np.bool_)):
        if new_style:
            raise TypeError("add_scalar got new_style twice: as the 5th positional argument (torch's signature) and by keyword")
        new_style, display_name = bool(display_name), ""
    if isinstance(description, (bool, np.bool_)):
        if double_precision:
            raise TypeError("add_scalar got double_precision twice: as the 6th positional argument (torch's signature) "
                            "and by keyword")
        double_precision, description = bool(description), ""
    for name, value, torch_name in (("display_name", display_name, "new_style"), ("summary_description", description,
                                                                                     "double_precision")):
        if not isinstance(value, str):
            raise TypeError(f"add_scalar's {name} (tensorboardX, a str) or {torch_name} (torch, a bool) must be a str or "
                            f"a bool, got {type(value).__name__} {value!r:.60}")
    return display_name, description, bool(new_style), bool(double_precision)


def scalar_value_fn(tag: str, value: float, new_style: bool, double_precision: bool, display_name: str, description: str):
    display_name = check_text(display_name, "display_name")
    description = check_text(description, "summary_description")
    return scalar_value(tag, value, new_style=new_style, double_precision=double_precision,
                        display_name=display_name, description=description)


def _render_figure(figure: Any, close: bool) -> np.ndarray:
    canvas = getattr(figure, "canvas", None)
    if canvas is None or not hasattr(figure, "savefig"):
        raise TypeError(f"figure must be a matplotlib Figure, got {type(figure).__name__}")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError:  # pragma: no cover - a Figure implies matplotlib
        raise ImportError("add_figure needs matplotlib") from None
    agg = FigureCanvasAgg(figure)
    agg.draw()
    img = np.asarray(agg.buffer_rgba()).copy()
    if close:
        import matplotlib.pyplot as plt

        plt.close(figure)
    return img


def _after_fork_in_child() -> None:
    for w in list(_writers):
        w._scalars = collections.deque()  # the parent's queued scalars are the parent's to write
        w._armed = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
