//! API Gateway REST APIs: `AWS::ApiGateway::*` resources (L1) and [`RestApi`] (L2).

pub mod cfn;

pub use cfn::*;
