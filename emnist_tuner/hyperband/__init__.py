"""The Hyperband search: KerasTuner's tuner and oracle extended through their own extension points
(``tuner``, ``oracle``; the few patches that need more live in ``kt_patches``), the schedule,
bounded-lifetime workers, the final retrain of the winner, and the distributed search."""
