//! Criterion benchmarks of the atomik workspace; see the `[[bench]]` targets
//! and docs/benchmarks.md. This library is intentionally empty.
#![forbid(unsafe_code)]
