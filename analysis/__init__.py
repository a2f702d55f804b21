"""Analysis of model runs: plots, and later sweeps and validation against history."""
