"""`make bench`: an honest, repeatable benchmark of the real app (see README, Benchmark)."""
