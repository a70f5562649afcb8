//! Lambda: `AWS::Lambda::*` resources (L1), [`Function`] and [`Permission`] (L2).

pub mod cfn;

pub use cfn::*;
