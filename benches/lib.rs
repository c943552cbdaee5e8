//! Benchmarks of admix against peer crates; the code is in the bench targets.
