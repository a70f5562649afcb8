//! One module per `dpc` command.

pub mod create_project;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod graph;
pub mod schema;
pub mod setup_account;
pub mod simulate;
pub mod synth;
pub mod validate;
