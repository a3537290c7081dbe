"""relay-metrics: profitability figures from the relay's audit log (relay-calls.ndjson)."""
