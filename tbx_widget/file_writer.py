"""``SummaryWriter.file_writer`` and ``all_writers``: the peers' per-directory ``FileWriter``
objects (``get_logdir``, ``add_event``, ``add_summary``, ``flush``, ``close``, ``reopen``) over
the writer's own event files. Events and summaries may be tbx_widget's, TensorBoard's,
tensorboardX's or TensorFlow's protos: any message with ``SerializeToString`` (the wire format is
the same)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ._proto import event_pb2, summary_pb2

if TYPE_CHECKING:
    from .event_file import EventFileWriter

__all__ = ["FileWriter"]


def _wire(message: Any, name: str) -> bytes:
    if isinstance(message, (bytes, bytearray)):
        return bytes(message)
    serialize = getattr(message, "SerializeToString", None)
    if not callable(serialize):
        raise TypeError(f"{name} must be a protobuf message (or its serialized bytes), got {type(message).__name__}")
    return serialize()


class FileWriter:
    """One directory's event file of a ``SummaryWriter`` (``writer.file_writer`` is the logdir's).

    ``add_event`` / ``add_summary`` set the event's wall time (now, or ``walltime``) and its step
    when one is given, as the peers' ``FileWriter`` does; ``use_metadata`` defaults apply."""

    def __init__(self, logdir: str, target: Callable[[bool], "EventFileWriter | None"],
                 when: Callable[[Any, Any], tuple[int | None, float]], on_close: Callable[[], None] | None = None) -> None:
        """``target(reopen)``: the event file (opened anew when closed if ``reopen``; None when
        nothing is written to disk); ``when(step, walltime)``: the event's step (None: keep) and
        wall time; ``on_close``: called after ``close()``."""
        self._logdir = logdir
        self._target = target
        self._when = when
        self._on_close = on_close

    def get_logdir(self) -> str:
        """The directory this writer's event file is in."""
        return self._logdir

    def add_event(self, event: Any, step: Any = None, walltime: Any = None) -> None:
        """Write ``event`` (an ``Event`` proto), with ``step`` and ``walltime`` when given."""
        data = _wire(event, "event")
        try:
            proto = event_pb2.Event.FromString(data)
        except Exception as exc:
            raise ValueError(f"event is not an Event proto: {exc}") from None
        self._write(proto, step, walltime)

    def add_summary(self, summary: Any, global_step: Any = None, walltime: Any = None) -> None:
        """Write ``summary`` (a ``Summary`` proto) as one event at ``global_step``."""
        data = _wire(summary, "summary")
        proto = event_pb2.Event()
        try:
            proto.summary.CopyFrom(summary_pb2.Summary.FromString(data))
        except Exception as exc:
            raise ValueError(f"summary is not a Summary proto: {exc}") from None
        self._write(proto, global_step, walltime)

    def _write(self, proto: event_pb2.Event, step: Any, walltime: Any) -> None:
        step, wall = self._when(step, walltime)
        proto.wall_time = wall
        if step is not None:
            proto.step = step
        target = self._target(True)
        if target is not None:
            target.add(proto.SerializeToString())

    def flush(self) -> None:
        """Push what was written so far to the OS."""
        target = self._target(False)
        if target is not None and not target.closed:
            target.flush()

    def close(self) -> None:
        """Flush and close this directory's event file (writing again reopens a new one)."""
        target = self._target(False)
        if target is not None:
            target.close()
        if self._on_close is not None:
            self._on_close()

    def reopen(self) -> None:
        """Open a new event file if this one was closed (the peers' ``reopen``)."""
        self._target(True)

    def __repr__(self) -> str:
        return f"FileWriter({self._logdir!r})"

