//! IAM: typed policy documents, `AWS::IAM::*` resources (L1) and [`Role`] (L2).

pub mod cfn;
pub mod policy;
pub mod role;

pub use cfn::*;
pub use policy::*;
pub use role::*;
