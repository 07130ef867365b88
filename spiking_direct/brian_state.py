"""Leave the user's Brian2 as the package found it.

A run of this package selects a Brian2 device, sets preferences and the default
clock's step, starts a new magic-network scope and seeds Brian2's (and NumPy's
global) generator. :func:`isolated` saves all of that before and restores it
after, whatever happens in between, so a user's own Brian2 work in the same
process (a notebook, a script) goes on as if the package had not run:

* the active device, its ``build_on_run`` flag and build options, and the stack
  of previous devices (:func:`brian2.set_device` / :func:`brian2.reset_device`);
* every preference that existed before (preferences registered during the run,
  e.g. brian2cuda's, keep their values);
* the default clock's ``dt`` of every device the run touched;
* the magic-network scope: the package's objects are taken out of every scope
  (:func:`detach_from_magic`), so a later ``start_scope()`` / ``run()`` of the
  user never collects them;
* NumPy's global random state (``brian2.seed`` reseeds it).

Importing Brian2 installs its exception hook, which announces every uncaught
error of the process as a possible Brian2 bug; :func:`import_brian2` puts back
the hook that was there before when it was this package's import that
installed it.
"""

from __future__ import annotations

import contextlib
import copy
import sys

__all__ = ["import_brian2", "isolated", "detach_from_magic", "activate"]

#: scope key of objects that belong to no magic-network scope (keys start at 0 and only grow)
NO_SCOPE = -1


def import_brian2():
    """``import brian2``, keeping ``sys.excepthook`` as it was when Brian2 was not loaded yet."""
    if "brian2" in sys.modules:
        return sys.modules["brian2"]
    hook = sys.excepthook
    import brian2

    if sys.excepthook is not hook and getattr(sys.excepthook, "__module__", "").startswith("brian2"):
        sys.excepthook = hook
    return brian2


def _device_module():
    """The module ``brian2.devices.device`` (``from brian2.devices import device`` gives Brian2's
    proxy of the active device instead)."""
    import_brian2()
    return sys.modules["brian2.devices.device"]


def activate(device, build_on_run: bool = True, **build_options) -> None:
    """Make ``device`` the active one without pushing onto Brian2's stack of previous devices
    and without copying the previous device's clock step onto it."""
    dev_mod = _device_module()

    dt = device.defaultclock.dt if getattr(device, "defaultclock", None) is not None else None
    dev_mod._do_set_device(device, build_on_run, **build_options)
    if dt is not None:
        device.defaultclock.dt = dt


def detach_from_magic(objects) -> None:
    """Take Brian2 objects out of every magic-network scope (``run()`` never collects them)."""
    for obj in objects:
        obj._scope_key = NO_SCOPE


class _Saved:
    def __init__(self):
        import numpy as np
        from brian2 import prefs
        from brian2.core.base import BrianObject

        dev_mod = _device_module()

        self.device = dev_mod.active_device
        self.build_on_run = getattr(self.device, "build_on_run", True)
        self.build_options = dict(getattr(self.device, "build_options", {}) or {})
        self.previous = list(dev_mod.previous_devices)
        self.dts = {
            id(d): (d, d.defaultclock.dt)
            for d in dev_mod.all_devices.values()
            if getattr(d, "defaultclock", None) is not None
        }
        self.prefs = copy.deepcopy(dict(prefs.prefs))
        self.scope = BrianObject._scope_current_key
        self.np_random = np.random.get_state()

    def restore(self):
        import numpy as np
        from brian2 import prefs
        from brian2.core.base import BrianObject

        dev_mod = _device_module()

        for key, value in self.prefs.items():
            if prefs.prefs.get(key, object()) is not value:
                prefs.prefs[key] = value
        if self.device is not None:
            activate(self.device, self.build_on_run, **self.build_options)
        dev_mod.previous_devices[:] = self.previous
        for device, dt in self.dts.values():
            if device.defaultclock is not None and device.defaultclock.dt != dt:
                device.defaultclock.dt = dt
        BrianObject._scope_current_key = self.scope
        np.random.set_state(self.np_random)


@contextlib.contextmanager
def isolated():
    """Run the block with the user's Brian2 state saved, and restore it afterwards (also on error)."""
    import_brian2()
    saved = _Saved()
    try:
        yield
    finally:
        saved.restore()
