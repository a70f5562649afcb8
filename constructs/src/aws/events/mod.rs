//! EventBridge: typed event patterns, `AWS::Events::*` resources (L1), [`EventBus`] and
//! [`Rule`] (L2).

pub mod cfn;
pub mod pattern;

pub use cfn::*;
pub use pattern::*;
