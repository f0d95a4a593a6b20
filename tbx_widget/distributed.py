"""One run per rank: the rank of this process and the run directory it writes to.

``SummaryWriter(logdir, rank=r)`` writes to ``<logdir>/rank_<r>``; ``rank="env"`` takes ``r``
from the environment torchrun, ``torch.distributed``, Accelerate and most launchers set:
``RANK`` (global rank), else ``LOCAL_RANK``, else 0 (a plain single process). ``WORLD_SIZE``,
when set, is checked against it. Nothing here reads the environment unless asked.
"""
from __future__ import annotations

import os
from typing import Mapping

__all__ = ["rank_from_env", "rank_logdir"]


def _env_int(env: Mapping[str, str], name: str) -> int | None:
    text = env.get(name)
    if text is None or text.strip() == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"environment variable {name}={text!r} is not an integer") from None
    if value < 0:
        raise ValueError(f"environment variable {name}={text!r} must be >= 0")
    return value


def rank_from_env(env: Mapping[str, str] | None = None) -> int:
    """This process's rank: ``RANK``, else ``LOCAL_RANK``, else 0; checked against ``WORLD_SIZE``."""
    env = os.environ if env is None else env
    rank = _env_int(env, "RANK")
    if rank is None:
        rank = _env_int(env, "LOCAL_RANK")
    if rank is None:
        rank = 0
    world = _env_int(env, "WORLD_SIZE")
    if world is not None and rank >= world:
        raise ValueError(f"rank {rank} from the environment is not below WORLD_SIZE={world}")
    return rank


def rank_logdir(logdir: str, rank: int | str | None) -> str:
    """``logdir`` for ``rank``: unchanged for None, ``<logdir>/rank_<r>`` for an int ``r >= 0``
    or for ``"env"`` (the rank from the environment, see ``rank_from_env``)."""
    if rank is None:
        return logdir
    if rank == "env":
        rank = rank_from_env()
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
        raise ValueError(f"rank must be None, an int >= 0 or 'env', got {rank!r}")
    return os.path.join(logdir, f"rank_{rank}")
