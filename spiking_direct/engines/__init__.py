"""Engines turn a Protocol into a Recording: ``rate`` (Assembly Calculus) and ``spiking`` (Brian2)."""

ENGINES = ("spiking", "rate")
