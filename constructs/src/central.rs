//! The central account stack `dpc-central`.
