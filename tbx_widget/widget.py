"""Dashboard: the anywidget that shows a logdir live in the cell output.

The kernel side follows the logdir with the incremental reader and pushes batched binary
deltas (docs/protocol.md) from a background thread, so updates arrive while the training
cell is still running. Every interaction (smoothing, zoom, filters, step sliders) happens in
the browser on data already pushed, because browser → kernel messages wait until the cell ends.
"""
from __future__ import annotations

import html
import os
import pathlib
import time
import re
import threading
from typing import Any

import anywidget
import traitlets as t

from .live.follower import Follower
from .live.pacing import Pacer
from .live.pump import Pump
from .saved_view import saved_curves_json
from .storage import is_url

__all__ = ["Dashboard"]

SAVED_CURVES_SECS = 5.0  # how often the _saved_curves trait is refreshed while data flows
REPR_WAIT = 3.0  # seconds the static fallback waits for the background thread's current read
HEARTBEAT = 0.25  # seconds between beats of the kernel's event loop (is it free to take acks?)
# A big logdir's scalars: overviews, and full data only for the series the browser asks for
# (the cards in view; docs/protocol.md, "Full data on request"). False: everything in full.
FULL_ON_REQUEST = True
REMOTE_LATENCY_FACTOR = 3.0  # a remote logdir is polled after max(poll_interval, 3 x the last poll)


_STATIC = pathlib.Path(__file__).parent / "static"


def _static(name: str) -> pathlib.Path:
    path = _STATIC / name
    if not path.exists():
        raise RuntimeError(
            f"tbx_widget's front end is not built ({path} is missing): "
            "install tbx_widget from a wheel, or run `make js` in a source checkout"
        )
    return path


def _check_regex(name: str, value: str | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a regular expression string, got {type(value).__name__}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{name}={value!r} is not a valid regular expression: {exc}") from None
    return value


class _Superseded(Exception):
    """A resync came while a read's batches were going out: the full state replaces the rest."""


class Dashboard(anywidget.AnyWidget):
    """A live TensorBoard-style dashboard of ``logdir`` in the notebook.

    >>> from tbx_widget import Dashboard
    >>> Dashboard("runs")          # doctest: +SKIP

    Args:
        logdir: directory to follow; it may not exist yet (runs appear when writers start).
            Or an fsspec URL (``s3://bucket/runs``, ``gs://...``, ``az://...``): its bucket must
            exist; each poll costs one listing plus one ranged read per file that grew, and the
            next poll waits at least 3 times as long as the last one took.
        height: dashboard height in pixels.
        tags: initial tag filter (regular expression).
        runs: initial run filter (regular expression).
        poll_interval: seconds between checks for files written by other processes; writers in
            this process wake the dashboard as soon as they flush.
        storage_options: for a URL logdir, the fsspec filesystem's options (credentials,
            ``endpoint_url``, ...).
        group: draw run groups as one line with a band: a regex (one group per captured text,
            ``r"(lr=[^,]+)"``), ``{"by": "ranks"}`` (per-rank runs ``gpu_0``, ``rank_1``, ...),
            ``{"by": "prefix", "sep": "/"}``, ``{"by": "hparam", "name": "lr"}``; see
            ``tbx_widget.groups``. Kept in ``view_settings``.
    """

    _esm = _static("index.js")
    _css = _static("index.css")

    logdir = t.Unicode("").tag(sync=True)
    height = t.Int(640).tag(sync=True)
    tag_filter = t.Unicode("").tag(sync=True)
    run_filter = t.Unicode("").tag(sync=True)
    # Set by the browser: smoothing, x axis, filters, runs toggled off (js/src/settings.ts).
    view_settings = t.Dict().tag(sync=True)
    status = t.Unicode("no_runs").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    skipped = t.Int(0).tag(sync=True)
    _sent_seq = t.Int(0).tag(sync=True)
    # Thinned scalar curves saved with the notebook's widget state (saved_view, docs/protocol.md).
    _saved_curves = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        logdir: str | os.PathLike[str] = "runs",
        *,
        height: int = 640,
        tags: str | None = None,
        runs: str | None = None,
        poll_interval: float = 0.5,
        storage_options: dict[str, Any] | None = None,
        group: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(logdir, (str, os.PathLike)):
            raise TypeError(f"logdir must be a path (str or os.PathLike), got {type(logdir).__name__}")
        if isinstance(height, bool) or not isinstance(height, int) or not 120 <= height <= 10_000:
            raise ValueError(f"height must be an int number of pixels between 120 and 10000, got {height!r}")
        if not isinstance(poll_interval, (int, float)) or not 0.05 <= poll_interval <= 60:
            raise ValueError(f"poll_interval must be between 0.05 and 60 seconds, got {poll_interval!r}")
        # Before the widget exists: a URL with a missing bucket or backend raises here.
        if group is not None:
            from .groups import parse_grouping

            kwargs["view_settings"] = {**kwargs.get("view_settings", {}), "group": parse_grouping(group)}
        follower = Follower(os.fspath(logdir), storage_options=storage_options, on_request=FULL_ON_REQUEST)
        super().__init__(
            logdir=os.fspath(logdir),
            height=height,
            tag_filter=_check_regex("tags", tags),
            run_filter=_check_regex("runs", runs),
            **kwargs,
        )
        self._send_lock = threading.Lock()
        self._saved_at = -SAVED_CURVES_SECS
        self._saved_dirty = False
        self._follower = follower
        self._loop = _running_loop()
        self._beat = time.monotonic()
        self._beat_handle: Any = None
        if self._loop is not None:
            self._heartbeat()
        self._pacer = Pacer(held_back=self._acks_held_back)
        self._resend = False  # a front end asked for the full state; the pump thread sends it
        self._wants_lock = threading.Lock()
        self._wants: dict[tuple[str, str], None] = {}  # series whose full data the browser asked for, in order
        self._wire_lock = threading.Lock()  # orders batches (pump thread) and "sent" notices (main)
        self._last_sent = 0  # seq of the last batch handed to the comm
        self._passes = threading.Condition()
        self._passes_started = self._passes_done = 0
        self.on_msg(self._on_browser_message)
        self._pump = Pump(self._push, os.fspath(logdir), poll_interval=poll_interval, on_error=self._report,
                          latency_factor=REMOTE_LATENCY_FACTOR if is_url(os.fspath(logdir)) else 0.0)
        self._pump.wake()

    # -- kernel → browser ---------------------------------------------------------------------

    def _push(self) -> None:
        with self._passes:
            self._passes_started += 1
        try:
            self._push_once()
        finally:
            with self._passes:
                self._passes_done += 1
                self._passes.notify_all()

    def _push_once(self) -> None:
        with self._send_lock:
            while True:
                try:
                    if self._resend:
                        self._resend = False
                        with self._wants_lock:
                            self._wants.clear()  # the browser asks again for what it shows after the reset
                        sent = self._follower.resend(self._send_batch)
                    else:
                        sent = self._follower.poll(self._send_batch)
                    sent += self._answer_wants()
                    break
                except _Superseded:
                    continue  # a resync came: the full state goes now, not after a long load
            if sent:
                self._saved_dirty = True
            self._update_status()
            now = time.monotonic()
            # The polls that follow (every poll_interval) bring the last data into it too.
            if self._saved_dirty and now - self._saved_at >= SAVED_CURVES_SECS:
                self._saved_at, self._saved_dirty = now, False
                self._saved_curves = self._follower.with_preview(saved_curves_json)

    def _send_batch(self, batch) -> None:
        """Send one batch once the pacer has room for it (this waits on the pump thread)."""
        seq = batch.content["seq"]
        if self._resend:
            raise _Superseded  # the rest of this read is sent again in full, from disk

        def send() -> None:
            if self._resend:  # came while waiting for room
                raise _Superseded
            with self._wire_lock:  # a "sent" notice (main thread) goes after this batch or before it
                self.send(batch.content, buffers=batch.buffers)
                self._last_sent = seq
            self._sent_seq = seq

        self._pacer.send(seq, batch_bytes(batch), send)

    def _update_status(self) -> None:
        status = self._follower.status()
        if status != self.status:
            self.status = status
        skipped = int(getattr(self._follower.logs, "skipped_records", 0) or 0)
        if skipped != self.skipped:
            self.skipped = skipped
        if self.error:
            self.error = ""

    def _report(self, message: str) -> None:
        self.error = message

    # -- browser → kernel (delivered only while the kernel is idle) ----------------------------

    def _heartbeat(self) -> None:
        """Runs on the kernel's event loop, which is free only while no cell runs."""
        self._beat = time.monotonic()
        self._beat_handle = self._loop.call_later(HEARTBEAT, self._heartbeat)

    def _acks_held_back(self) -> bool:
        """True when the browser's acks cannot arrive now: the kernel's main thread is running a
        cell (its event loop has missed beats), or there is no event loop to deliver them."""
        return self._loop is None or time.monotonic() - self._beat > 4 * HEARTBEAT

    def _on_browser_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        msg_type = content.get("type")
        if msg_type == "ack":
            seq = content.get("seq")
            if isinstance(seq, int) and not isinstance(seq, bool):
                self._pacer.ack(seq)
        elif msg_type == "ready":
            self._answer_ready()
        elif msg_type == "want":
            # Full data of series the browser shows (docs/protocol.md, "Full data on request"):
            # answered by the pump thread, paced like any batch.
            keys = _want_keys(content.get("series"))
            if keys:
                with self._wants_lock:
                    self._wants.update(dict.fromkeys(keys))
                self._pump.wake()
        elif msg_type == "resync":
            # Answered by the pump thread: this (the kernel's main) thread delivers the acks the
            # resend waits for, so it must not wait itself. What was in flight will never be
            # acknowledged (a page that lost track): forget it, so a pump waiting for room goes on.
            self._resend = True
            self._pacer.reset()
            self._pump.wake()

    def _answer_wants(self) -> int:
        """Send the full data the browser asked for (pump thread); returns how many batches."""
        with self._wants_lock:
            keys, self._wants = list(self._wants), {}
        return self._follower.send_full(self._send_batch, keys) if keys else 0

    def _answer_ready(self) -> None:
        """A view's session started. Its "ready" waits while a cell runs, so batches have usually
        gone out since, and the page has them (or has them queued): answer with how far the
        kernel has sent, after the batches it follows on the wire. A session that has applied
        less asks for a resync; one that has everything (the usual case) does nothing. A full
        resend here would reach every view of the widget and restart a big load from zero."""
        with self._wire_lock:
            if self._last_sent:
                self.send({"type": "sent", "seq": self._last_sent})

    # -- lifecycle ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read new data now and push it (normally the background thread does this)."""
        self._push()

    def close(self) -> None:
        """Stop following the logdir and close the widget (its thread holds it alive until then)."""
        pacer = getattr(self, "_pacer", None)
        if pacer is not None:
            pacer.close()
        handle = getattr(self, "_beat_handle", None)
        if handle is not None:
            handle.cancel()
        pump = getattr(self, "_pump", None)
        if pump is not None:
            pump.stop()
        follower = getattr(self, "_follower", None)
        if follower is not None:
            follower.close()  # its held series file
        super().close()

    # -- places where widgets do not render ----------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        from .snapshot import snapshot_html

        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = repr(self)
        try:
            # The preview comes from what the pump thread has read: wait (a little) for a read
            # that starts now. Sending is paced, so a big logdir is not read in that time; the
            # fallback then says so instead of holding up the cell.
            if self._wait_for_fresh_pass(REPR_WAIT):
                data["text/html"] = self._follower.with_preview(lambda logs: snapshot_html(logs, title=self.logdir))
            else:
                data["text/html"] = f"<p>{html.escape(repr(self))} (still reading the log directory)</p>"
        except Exception as exc:  # a fallback must never break the live view
            data["text/html"] = f"<p>tbx_widget dashboard of {html.escape(repr(self.logdir))} (snapshot failed: {type(exc).__name__})</p>"
        return bundle

    def _wait_for_fresh_pass(self, timeout: float) -> bool:
        """Wake the pump and wait until a read that started after this call has finished."""
        with self._passes:
            want = self._passes_started + 1
        self._pump.wake()
        with self._passes:
            return self._passes.wait_for(lambda: self._passes_done >= want, timeout)

    def __repr__(self) -> str:
        return (
            f"Dashboard({self.logdir!r}): a live widget. It shows in a notebook front end "
            f"(JupyterLab, Notebook 7, VS Code, Colab); in plain Python read the data with "
            f"tbx_widget.load({self.logdir!r})"
        )

    def _ipython_display_(self) -> None:
        """Display, unless ``show()`` already displayed this dashboard in the same cell (so
        ``writer.show()`` as a cell's last line does not show it twice)."""
        count = _execution_count()
        if getattr(self, "_shown_at", None) is not None and self._shown_at == count:
            self._shown_at = None
            return
        from IPython.display import publish_display_data

        bundle = self._repr_mimebundle_()
        if bundle is None:
            return
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        publish_display_data(data, metadata)

    def show(self) -> "Dashboard":
        """Display this dashboard now and return it (its repr as the cell's last value is then
        not displayed a second time)."""
        from IPython.display import display

        display(self)
        self._shown_at = _execution_count()
        return self


MAX_WANT = 100_000  # series one "want" message may name


def _want_keys(series: Any) -> list[tuple[str, str]]:
    """The (run, tag) pairs of a "want" message's ``series`` ([[run, tag], ...]); malformed
    entries are left out (a message from the page is never trusted), at most MAX_WANT."""
    if not isinstance(series, list):
        return []
    keys = []
    for entry in series[:MAX_WANT]:
        if isinstance(entry, (list, tuple)) and len(entry) == 2 and all(isinstance(x, str) for x in entry):
            keys.append((entry[0], entry[1]))
    return keys


def batch_bytes(batch: Any) -> int:
    """About how many bytes a batch puts on the wire: its buffers plus its JSON."""
    runs = batch.content.get("runs", ())
    return sum(len(b) for b in batch.buffers) + 128 * len(batch.content.get("items", ())) + sum(len(r) + 4 for r in runs)


def _running_loop() -> Any:
    """The asyncio loop running on this (the kernel's main) thread, or None outside one."""
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    ip = get_ipython()
    return getattr(ip, "execution_count", None) if ip is not None else None
