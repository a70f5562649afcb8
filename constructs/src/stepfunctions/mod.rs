//! Amazon States Language as typed Rust, and the state machine resource.
