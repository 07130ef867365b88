"""The rate engine behind the :class:`~spiking_direct.engines.Engine` interface
(:class:`RateEngine`, ``ENGINE``)."""

from __future__ import annotations

from dataclasses import asdict

from ...recording import Recording
from .runner import run_rate


class RateEngine:
    """The rate engine (:class:`~spiking_direct.engines.Engine`): NumPy, no backend, no Brian2."""

    name = "rate"
    uses_backend = False

    def validate(self, config) -> None:
        """Nothing across parameters: :class:`RateParams` checks itself when it is made."""

    def monitors(self, config, record: dict, dt_ms: float) -> dict:
        """The rate engine records no state variables: a ``record=`` request raises one line."""
        from ...errors import ConfigError

        raise ConfigError("record= needs the spiking engine (the rate engine has no membrane state)")

    def check(self, config) -> None:
        """Nothing to check: NumPy and SciPy are all it needs."""

    def params_dict(self, config) -> dict:
        """The rate engine's parameters as JSON values."""
        from ...results import jsonable

        return jsonable(asdict(config.rate))

    def run(self, protocol, encoding, config, progress=None, monitors=None) -> Recording:
        """Run ``protocol`` on the rate engine and return its :class:`~spiking_direct.recording.Recording`."""
        if monitors:
            from ...errors import ConfigError

            raise ConfigError("recording state variables (record=) needs the spiking engine")
        return run_rate(protocol, encoding, config.rate, int(config.seed), progress=progress)


ENGINE = RateEngine()
