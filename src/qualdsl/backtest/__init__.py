"""`qualdsl backtest`: calibrate a policy against real conversion outcomes."""

from .inputs import AsOf, Outcomes, read_leads
from .measure import ENGINES, Backtest, run_backtest

__all__ = ["ENGINES", "AsOf", "Backtest", "Outcomes", "read_leads", "run_backtest"]
