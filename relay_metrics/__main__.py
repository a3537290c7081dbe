import sys

from relay_metrics.cli import main

sys.exit(main())
