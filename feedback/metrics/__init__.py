"""One metrics engine: the numbers of a period and channel, computed once from the same rows,
for the report (`cxbot report`), the manager dashboard and the CSV exports.

- period.py: the period and channel (Filters), time buckets, the shared query filters
- rows.py: the period's rows, loaded once (PeriodRows)
- totals.py: the headline numbers (Totals) and the arithmetic every breakdown shares
- recovery_groups.py: the one rule that groups answers by service recovery
- not_understood.py: not-understood messages, a query on the stored response name
- series.py, breakdowns.py: numbers over time, distributions and splits, with drill-downs
- dashboard.py: all of it for the dashboard page
- formulas.py: every formula printed beside the numbers
"""

from feedback.metrics.dashboard import Dashboard, build_dashboard
from feedback.metrics.period import Filters
from feedback.metrics.series import Point
from feedback.metrics.totals import Totals, compute_totals

__all__ = ["Dashboard", "Filters", "Point", "Totals", "build_dashboard", "compute_totals"]
