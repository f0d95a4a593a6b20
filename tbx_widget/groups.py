"""Run groups: which group a run belongs to, by its name (or an hparam value).

A grouping is given in its JSON form, the same the dashboard keeps in ``view_settings["group"]``
and ``js/src/math/groups.ts`` reads (tests/fixtures/groups_cases.json holds cases both check):

- ``{"by": "off"}``: no grouping (every run is its own group).
- ``{"by": "ranks"}``: the default: per-rank runs (``gpu_0``, ``rank3``, ``rank_1``,
  ``exp/worker-2``, ``node_1/gpu_0``, ...) go together; their group is the run name with each
  rank number replaced by ``*`` (``exp/gpu_*``).
- ``{"by": "regex", "pattern": P}``: runs that ``P`` matches (searched anywhere in the name);
  with capture groups the group is the captured text (joined by ``,``), so ``(lr=[^,]+)``
  makes one group per learning rate; without captures the group is the name with the match
  replaced by the pattern itself, so ``gpu_\\d+`` puts ``gpu_0`` .. ``gpu_3`` in one group.
- ``{"by": "prefix", "sep": S}``: the run name up to its last ``S`` (default ``/``).
- ``{"by": "hparam", "name": N}``: ``N=<value>`` from the run's hparams (a run without a
  session of its own takes the one logged in a child run, as tensorboardX's ``add_hparams``
  writes it); numbers are written as JavaScript writes them, so both sides agree.

A run the grouping does not place (no match, no separator, no such hparam) is a group of its
own, named after the run. ``parse_grouping`` also takes a regex string or compiled pattern.
How the dashboard draws a group may ride along: ``"stat"`` (``"mean"`` | ``"median"``),
``"band"`` (``"minmax"`` | ``"std"`` | ``"none"``), ``"members"`` (bool: members faint).
"""
from __future__ import annotations

import decimal
import math
import re
from typing import Any, Iterable, Mapping

__all__ = ["RANK_PATTERN", "parse_grouping", "group_key", "group_runs"]

RANK_WORDS = ("gpu", "rank", "local_rank", "worker", "proc", "process", "device", "cuda", "node")
# A rank: a known word, an optional "_" or "-", digits; at the start of a path component or
# after a separator ("_", "-", "."), and ending its component.
RANK_PATTERN = r"(^|[/_.\-])(" + "|".join(RANK_WORDS) + r")([_\-]?)(\d+)(?=$|/)"
_RANK_RE = re.compile(RANK_PATTERN, re.IGNORECASE)
_KINDS = ("off", "ranks", "regex", "prefix", "hparam")


_LOOK = {"stat": ("mean", "median"), "band": ("minmax", "std", "none"), "members": (True, False)}


def parse_grouping(spec: Any) -> dict[str, Any]:
    """The JSON form of a grouping from ``None`` (off), a regex string or ``re.Pattern``, or a
    dict ``{"by": ...}`` as described in the module docstring."""
    g = _parse_rule(spec)
    if isinstance(spec, Mapping) and g["by"] != "off":
        for name, allowed in _LOOK.items():
            if name in spec:
                value = spec[name]
                if not any(value is a or (isinstance(a, str) and value == a) for a in allowed):
                    raise ValueError(f"group[{name!r}] must be one of {list(allowed)}, got {value!r}")
                g[name] = value
    return g


def _parse_rule(spec: Any) -> dict[str, Any]:
    if spec is None:
        return {"by": "off"}
    if isinstance(spec, re.Pattern):
        spec = spec.pattern
    if isinstance(spec, str):
        spec = {"by": "regex", "pattern": spec}
    if not isinstance(spec, Mapping):
        raise TypeError(f"group must be None, a regex string or a dict like {{'by': 'ranks'}}, got {type(spec).__name__}")
    by = spec.get("by")
    if by not in _KINDS:
        raise ValueError(f"group['by'] must be one of {list(_KINDS)}, got {by!r}")
    if by == "regex":
        pattern = spec.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise ValueError(f"group: 'regex' needs a non-empty 'pattern' string, got {pattern!r}")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"group pattern {pattern!r} is not a valid regular expression: {exc}") from None
        return {"by": "regex", "pattern": pattern}
    if by == "prefix":
        sep = spec.get("sep", "/")
        if not isinstance(sep, str) or not sep:
            raise ValueError(f"group: 'prefix' needs a non-empty 'sep' string, got {sep!r}")
        return {"by": "prefix", "sep": sep}
    if by == "hparam":
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"group: 'hparam' needs a non-empty 'name' string, got {name!r}")
        return {"by": "hparam", "name": name}
    return {"by": by}


def _rank_key(run: str) -> str | None:
    key, n = _RANK_RE.subn(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}*", run)
    return key if n else None


def group_key(run: str, spec: Any, hparams: Mapping[str, Any] | None = None) -> str:
    """The group of ``run`` under grouping ``spec``; ``hparams`` are the run's (for ``hparam``)."""
    g = parse_grouping(spec)
    by = g["by"]
    key: str | None = None
    if by == "ranks":
        key = _rank_key(run)
    elif by == "regex":
        m = re.search(g["pattern"], run)
        if m is not None:
            if m.re.groups:
                key = ",".join(x for x in m.groups() if x is not None)
            else:
                key = run[: m.start()] + g["pattern"] + run[m.end():]
    elif by == "prefix":
        cut = run.rfind(g["sep"])
        if cut > 0:
            key = run[:cut]
    elif by == "hparam":
        if hparams is not None and g["name"] in hparams:
            key = f"{g['name']}={_fmt(hparams[g['name']])}"
    return run if key is None or key == "" else key


def _fmt(v: Any) -> str:
    """An hparam value as the dashboard writes it (JavaScript's ``String(v)``)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return js_number(float(v)) if isinstance(v, float) or abs(v) >= 2**53 else str(v)
    return str(v)


def js_number(v: float) -> str:
    """``v`` formatted as JavaScript's ``Number.prototype.toString`` does (shortest round trip,
    exponent form below 1e-6 and from 1e21): ``1e-05`` -> ``0.00001``, ``2.0`` -> ``2``."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0:
        return "0"
    sign = "-" if v < 0 else ""
    d = decimal.Decimal(repr(abs(v))).normalize()
    _, digit_tuple, exp = d.as_tuple()
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = int(exp) + k  # the decimal point sits after n digits
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def group_runs(runs: Iterable[str], spec: Any, hparams: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, list[str]]:
    """Group key -> member runs (in the order given), groups in order of their first member.
    ``hparams`` maps a run to its hparams (for ``{"by": "hparam"}``)."""
    g = parse_grouping(spec)
    out: dict[str, list[str]] = {}
    for run in runs:
        out.setdefault(group_key(run, g, (hparams or {}).get(run)), []).append(run)
    return out
