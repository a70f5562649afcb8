//! dpc's construct library: typed AWS resources (L1), constructs with secure
//! defaults (L2), and the product's own stacks (L3): the central account, the
//! account setup and one stack per pipeline.

pub mod account;
pub mod app;
pub mod aws;
pub mod builder;
pub mod central;
pub mod lineage;
pub mod pipeline;
pub mod prelude;
pub mod security;
pub mod stepfunctions;
pub mod steps;
