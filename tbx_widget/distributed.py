"""One run per rank: the rank of this process and the run directory it writes to.

``SummaryWriter(logdir, rank=r)`` writes to ``<logdir>/rank_<r>``; ``rank="env"`` finds ``r``:
``torch.distributed.get_rank()`` when torch is imported and its process group initialised
(``mp.spawn`` sets no environment), else what torchrun, Accelerate and most launchers set:
``RANK`` (global rank), else ``LOCAL_RANK``, else 0 (a plain single process). ``WORLD_SIZE``,
when set, is checked against it. Nothing here reads the environment unless asked, and torch is
never imported here. Rank 0 only: ``SummaryWriter(logdir, write_to_disk=is_rank_zero())``.
"""
from __future__ import annotations

import os
import sys
from typing import Mapping

__all__ = ["rank_from_env", "rank_logdir", "is_rank_zero"]


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


def _torch_rank() -> int | None:
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    return int(dist.get_rank())


def rank_from_env(env: Mapping[str, str] | None = None) -> int:
    """This process's rank: torch.distributed's when initialised (only when ``env`` is not
    given), else ``RANK``, else ``LOCAL_RANK``, else 0; checked against ``WORLD_SIZE``."""
    if env is None:
        rank = _torch_rank()
        if rank is not None:
            return rank
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


def is_rank_zero() -> bool:
    """Whether this process is rank 0 (see ``rank_from_env``): for the rank-0-only pattern."""
    return rank_from_env() == 0
