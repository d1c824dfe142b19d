"""`qualdsl backtest`: calibrate a policy against real conversion outcomes."""

from ..asof import AsOf
from .inputs import Outcomes
from .measure import ENGINES, Backtest, run_backtest

__all__ = ["ENGINES", "AsOf", "Backtest", "Outcomes", "run_backtest"]
