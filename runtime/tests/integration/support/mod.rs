//! The harness: moto, real resources in it, and local fakes.
#![allow(dead_code)]

pub mod aws;
pub mod http;
pub mod moto;
