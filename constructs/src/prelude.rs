//! Everything a program that uses dpc as a library needs, in one `use`:
//!
//! ```
//! use dpc_constructs::prelude::*;
//! ```
//!
//! The engine ([`App`], [`Scope`], [`Aspect`], [`RawResource`], …), the pipeline
//! builders ([`PipelineBuilder`], [`StepBuilder`], …), step types ([`StepType`],
//! [`StepTypes`]), the app around an organisation ([`Dpc`], [`BuiltApp`]) and the values
//! the builders take ([`StatusName`], [`WeekDayName`], …).

pub use crate::app::{BuiltApp, Dpc, SynthOptions, build_app, synthesize};
pub use crate::aws::iam::{PolicyDocument, Statement};
pub use crate::builder::{
    AccessBuilder, ClusterBuilder, ConditionBuilder, ExecutionsBuilder, InstanceGroupBuilder,
    NotificationsBuilder, PipelineBuilder, ScheduleBuilder, StepBuilder,
};
pub use crate::pipeline::emr::{EmrStepRenderer, HadoopJarStep, StepInput, StepPermissions};
pub use crate::steps::{StepScript, StepType, StepTypes};
pub use dpc_core::aspect::priority;
pub use dpc_core::{
    App, Aspect, Assembly, CfnResource, Diagnostic, Expr, NodeView, Output, Parameter, RawResource,
    Resource, ResourceRef, Scope, Severity, StackId, StackProps,
};
pub use dpc_schema::model::{MarketName, OperatorName, StatusName, WeekDayName};
pub use dpc_schema::{
    CodePipeline, LoadOptions, Organisation, StepContext, StepProblem, check_pipeline,
};
