//! dpc at organisation scale: `gen-org` writes a synthetic organisation of any size
//! ([`generate`]), and `bench` measures validate + synth + write on it, in fresh child
//! processes, side by side with the same organisation built with the AWS CDK.
//!
//! ```
//! let org = dpc_bench::generate::generate(dpc_bench::generate::GenOptions::new(20, 7));
//! assert_eq!(org.files.len(), 21); // platform.yaml and 20 pipeline.yaml
//! ```

pub mod dpc_run;
pub mod generate;
pub mod large;
pub mod measure;
pub mod rng;
pub mod yaml;
