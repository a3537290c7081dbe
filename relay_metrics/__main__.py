from relay_metrics.cli import run

run()
