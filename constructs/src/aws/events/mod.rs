//! EventBridge: typed event patterns, `AWS::Events::*` resources (L1), [`EventBus`] and
//! [`Rule`] (L2).

pub mod bus;
pub mod cfn;
pub mod pattern;
pub mod rule;

pub use bus::*;
pub use cfn::*;
pub use pattern::*;
pub use rule::*;
