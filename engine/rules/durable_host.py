"""durable-rules' host and actions as the runner (engine/rules/runner.py) uses them: the one module
that imports durable-rules, once a runner is made."""

from collections.abc import Callable
from typing import Any

from durable import engine as durable

NotHandled = durable.MessageNotHandledException
"""No rule consumed a fact."""
Observed = durable.MessageObservedException
"""durable-rules took a fact for one it had seen (a fault: DURABLE_RULES.md)."""


class SyncHost(durable.Host):
    """A durable host without the background dispatcher threads; actions run where facts are posted."""

    def _run(self) -> None:
        return None


class Action(durable.Promise):
    """durable's promise of a synchronous action, run without the timeout closure that its `run`
    makes for every firing (a function that refers to itself: garbage only the cyclic collector
    frees). An exception in the action is kept in the session state, as durable does."""

    def run(self, c: Any, complete: Callable[[Any], None]) -> None:
        try:
            self._func(c)
        except Exception as error:  # noqa: BLE001 - durable's contract: the state carries it; checked below
            c.s.exception = f"exception caught {error!r}"
        complete(None)
