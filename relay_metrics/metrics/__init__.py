"""Figures over the loaded log: the reference's aggregate, filters, breakdowns, time, prices and margins."""
