"""`make bench`: speed figures beside a raw-database ceiling measured in the same run (SPEC §10)."""
