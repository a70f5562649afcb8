//! API Gateway REST APIs: `AWS::ApiGateway::*` resources (L1) and [`RestApi`] (L2).

pub mod cfn;
pub mod rest_api;

pub use cfn::*;
pub use rest_api::*;
