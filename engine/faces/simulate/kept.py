"""Base data and evaluations kept between simulations: a web process answers many scenarios,
forecasts and distances on the data of the same run, and reading a large municipality's timelines and
deciding on each of its citizens once is most of what the first one costs.

A finished run's data never changes — a delivery is never altered, a later one adds versions of its
own — so what is kept for a run never goes stale; a run is known by its id and start time (a
database rebuilt from scratch may give an id again). At most `size` municipalities' data are kept,
each with an evaluator per rule pack; the least recently used goes first.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from engine.faces.simulate.base import BaseData
from engine.faces.simulate.evaluator import Evaluator
from engine.rules.pack import Pack

SIZE = 4


class Kept:
    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._bases: OrderedDict[Hashable, tuple[BaseData, dict[str, Evaluator]]] = OrderedDict()
        self._lock = threading.Lock()

    def base(self, key: Hashable, load: Callable[[], BaseData]) -> BaseData:
        """The base data kept under `key`, or `load()`ed and kept. Two calls at once for the same
        data may both load it (the later is kept): nothing waits for another's loading."""
        with self._lock:
            found = self._bases.get(key)
            if found is not None:
                self._bases.move_to_end(key)
                return found[0]
        base = load()
        with self._lock:
            self._bases[key] = (base, {})
            while len(self._bases) > self.size:
                self._bases.popitem(last=False)
        return base

    def evaluator(self, base: BaseData, pack: Pack) -> Evaluator:
        """The evaluator of `base` under `pack`: kept with the base data when they are kept."""
        with self._lock:
            for kept, evaluators in self._bases.values():
                if kept is base:
                    return evaluators.setdefault(pack.content_hash, Evaluator(pack, base))
        return Evaluator(pack, base)
