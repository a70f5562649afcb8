//! One module per `dpc` command.

pub mod create_project;
pub mod graph;
pub mod schema;
pub mod simulate;
pub mod synth;
pub mod validate;
