//! [`EventBus`]: a custom event bus and the one statement of its resource policy.

use super::cfn::{CfnEventBus, CfnEventBusPolicy};
use crate::aws::codes;
use crate::aws::iam::{Audience, Statement};
use dpc_core::{Diagnostic, Expr, ResourceRef, Scope};

/// EventBridge's default limit on a bus's resource policy, in characters.
pub const MAX_POLICY_CHARS: usize = 10_240;

/// A custom event bus (`AWS::Events::EventBus`, child `Resource`).
#[derive(Clone, Debug)]
pub struct EventBus {
    resource: ResourceRef,
    name: String,
}

impl EventBus {
    /// Adds bus `name` under `scope/id`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        name: &str,
        description: &str,
    ) -> Result<EventBus, Diagnostic> {
        let mut scope = scope.child(id)?;
        let resource = scope.add_resource(
            "Resource",
            CfnEventBus {
                name: Some(name.into()),
                description: Some(description.into()),
                tags: Vec::new(),
            },
        )?;
        Ok(EventBus {
            resource,
            name: name.to_owned(),
        })
    }

    /// The bus's name as given (what rules and other accounts address it by).
    pub fn bus_name(&self) -> &str {
        &self.name
    }

    /// The bus's name, as a reference (so dependents wait for the bus).
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }

    /// The bus's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// Lets `audience` put events on the bus: one statement (`Sid` = `sid`), child
    /// `<sid>` of the bus. Checks EventBridge's policy size limit with the statement as
    /// rendered (intrinsics counted at their longest plausible value).
    ///
    /// # Errors
    /// `DM0303` when the policy would exceed 10,240 characters.
    pub fn allow_put_events(
        &self,
        scope: &mut Scope<'_>,
        sid: &str,
        audience: &Audience,
    ) -> Result<ResourceRef, Diagnostic> {
        let statement = audience.apply(
            Statement::allow(["events:PutEvents"])
                .sid(sid)
                .on([self.arn()]),
        );
        let size = policy_chars(&statement);
        if size > MAX_POLICY_CHARS {
            return Err(Diagnostic::error(
                codes::POLICY_TOO_LARGE,
                format!(
                    "the policy of bus `{}` would have about {size} characters; EventBridge allows {MAX_POLICY_CHARS}",
                    self.name
                ),
            )
            .in_construct(scope.path())
            .with_help("set `central.organizationId` in platform.yaml: one organisation condition replaces the account list"));
        }
        scope.add_resource(
            sid,
            CfnEventBusPolicy {
                event_bus_name: Some(self.name()),
                statement_id: Some(sid.into()),
                statement: Some(statement),
            },
        )
    }
}

/// The size of a one-statement policy document as EventBridge will store it.
pub fn policy_chars(statement: &Statement) -> usize {
    let doc = crate::aws::iam::PolicyDocument::with([statement.clone()]).to_json();
    crate::aws::size::resolved_len(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_counts_pseudo_parameters_at_their_longest() {
        let s = Statement::allow(["events:PutEvents"]).on([Expr::sub(
            "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/b",
        )]);
        let exact = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"events:PutEvents","Resource":"arn:aws-us-gov:events:ap-southeast-5:123456789012:event-bus/b"}]}"#;
        assert_eq!(policy_chars(&s), exact.len());
    }
}
