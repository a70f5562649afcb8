//! Lambda: `AWS::Lambda::*` resources (L1), [`Function`] and [`Permission`] (L2).

pub mod cfn;
pub mod function;

pub use cfn::*;
pub use function::*;
