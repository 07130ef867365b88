"""Unit-carrying dataclass fields (Brian2 quantities are mutable, so they need a factory)."""

from dataclasses import field

from brian2 import Quantity


def Q(value: Quantity):
    """A dataclass field whose default is the quantity ``value``."""
    return field(default_factory=lambda: value)


__all__ = ["Q", "Quantity"]
