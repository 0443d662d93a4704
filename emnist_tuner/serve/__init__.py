"""`emnist-tuner serve`: a local web app over run folders (runs, a run's live search, the Try page, comparisons)."""
