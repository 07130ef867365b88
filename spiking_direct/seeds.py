"""Seed lists from text: ``3``, ``0-4``, ``1,5,7`` (the command line's and the sweep files' form)."""

from __future__ import annotations

from .errors import CLIError

__all__ = ["parse_seeds"]


def parse_seeds(text: str) -> list[int]:
    """'3' -> [3]; '0-4' -> [0..4]; '1,5,7' -> [1, 5, 7]."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part[1:]:
                lo, hi = part.split("-", 1)
                lo, hi = int(lo), int(hi)
                if hi < lo:
                    raise CLIError(f"seed range {part!r} is empty")
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
    except ValueError as exc:
        if isinstance(exc, CLIError):
            raise
        raise CLIError(f"cannot parse seeds {text!r} (use N, A-B or A,B,C)") from None
    if any(s < 0 for s in seeds):
        raise CLIError("seeds must be >= 0")
    return seeds
