"""spiking_direct: spiking neural assemblies that learn the direction of causal links."""

__version__ = "0.1.0"
