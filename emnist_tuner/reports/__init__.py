"""rich renderings of datasets, presets, runs and leaderboards."""
