//! [`Role`]: an IAM role with one inline policy, an optional permissions boundary, and
//! checks that keep its grants least-privilege.

use super::cfn::{CfnInstanceProfile, CfnRole, InlinePolicy};
use super::policy::{Conditions, Effect, PolicyDocument, Principal, Resources, Statement};
use crate::aws::codes;
use dpc_core::{Diagnostic, Expr, ResourceOptions, ResourceRef, Scope};

/// The name of the inline policy every [`Role`] carries.
pub const DEFAULT_POLICY_NAME: &str = "default";

/// What a [`Role`] is made of.
#[derive(Clone, Debug)]
pub struct RoleProps {
    /// The role's physical name; CloudFormation generates one when absent. Give one only
    /// when another stack must find the role by name (IAM names are account-wide).
    pub name: Option<String>,
    /// What the role is for.
    pub description: Option<String>,
    /// Who may assume it (`Principal::service("lambda.amazonaws.com")`).
    pub assumed_by: Principal,
    /// Conditions on assuming it, e.g. `aws:SourceAccount` against confused deputies.
    pub trust_conditions: Conditions,
    /// What the role may do: the inline policy `default`. Every statement must allow
    /// named actions (no wildcards) on named resources, or be built with
    /// [`Statement::allow_unscoped`].
    pub policy: PolicyDocument,
    /// Managed policies to attach, by ARN.
    pub managed_policy_arns: Vec<Expr>,
    /// The permissions boundary (platform.yaml's `iam.permissionsBoundary`).
    pub permissions_boundary: Option<String>,
}

impl RoleProps {
    /// A role `principal` may assume, with no permissions yet.
    pub fn assumed_by(principal: Principal) -> RoleProps {
        RoleProps {
            name: None,
            description: None,
            assumed_by: principal,
            trust_conditions: Conditions::new(),
            policy: PolicyDocument::new(),
            managed_policy_arns: Vec::new(),
            permissions_boundary: None,
        }
    }
}

/// An IAM role (`AWS::IAM::Role`, child `Resource`).
#[derive(Clone, Debug)]
pub struct Role {
    resource: ResourceRef,
}

impl Role {
    /// Adds the role under `scope/id`.
    ///
    /// # Errors
    /// `DM0302` when a statement grants a wildcard action or names no resource.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: RoleProps) -> Result<Role, Diagnostic> {
        let mut scope = scope.child(id)?;
        let path = scope.path();
        check_identity_policy(&props.policy).map_err(|d| d.in_construct(&path))?;
        let mut trust = Statement::allow(["sts:AssumeRole"]).to(props.assumed_by);
        trust.conditions = props.trust_conditions;
        let role = CfnRole {
            role_name: props.name.map(Expr::from),
            description: props.description.map(Expr::from),
            assume_role_policy_document: Some(PolicyDocument::with([trust])),
            managed_policy_arns: props.managed_policy_arns,
            policies: if props.policy.is_empty() {
                Vec::new()
            } else {
                vec![InlinePolicy {
                    policy_name: DEFAULT_POLICY_NAME.to_owned(),
                    policy_document: props.policy,
                }]
            },
            permissions_boundary: props.permissions_boundary.map(Expr::from),
            ..CfnRole::default()
        };
        let resource = scope.add_resource("Resource", role)?;
        Ok(Role { resource })
    }

    /// The role's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// The role's name.
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }

    /// The role's resource handle.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }

    /// Appends `statement` to the role's inline policy after creation (a grant); `scope`
    /// is any scope of the role's stack.
    ///
    /// # Errors
    /// `DM0302` for a statement [`RoleProps::policy`] would refuse; a core diagnostic when
    /// the handle is not from this app.
    pub fn add_to_policy(
        &self,
        scope: &mut Scope<'_>,
        statement: Statement,
    ) -> Result<(), Diagnostic> {
        check_statement(&statement)?;
        let json = statement.to_json();
        let resource = scope.resource_mut(&self.resource)?;
        let policies = resource
            .properties
            .entry("Policies")
            .or_insert_with(|| serde_json::json!([]));
        let Some(list) = policies.as_array_mut() else {
            return Err(Diagnostic::error(
                codes::INVALID_POLICY,
                "the role's `Policies` is not a list",
            ));
        };
        if list.is_empty() {
            list.push(
                serde_json::to_value(InlinePolicy {
                    policy_name: DEFAULT_POLICY_NAME.to_owned(),
                    policy_document: PolicyDocument::new(),
                })
                .unwrap_or_default(),
            );
        }
        match list[0]
            .pointer_mut("/PolicyDocument/Statement")
            .and_then(|s| s.as_array_mut())
        {
            Some(statements) => {
                statements.push(json);
                Ok(())
            }
            None => Err(Diagnostic::error(
                codes::INVALID_POLICY,
                "the role's default policy has no statement list",
            )),
        }
    }
}

/// Checks an identity policy: every statement allows named actions on named resources.
///
/// # Errors
/// `DM0302` naming the first offending statement.
pub fn check_identity_policy(policy: &PolicyDocument) -> Result<(), Diagnostic> {
    policy.statements.iter().try_for_each(check_statement)
}

fn check_statement(statement: &Statement) -> Result<(), Diagnostic> {
    let bad = |why: String| {
        Err(Diagnostic::error(codes::INVALID_POLICY, why).with_help(
            "grant named actions on named resources (see `crate::security` for the exceptions)",
        ))
    };
    if statement.effect == Effect::Allow {
        if let Some(action) = statement.actions.iter().find(|a| is_wildcard_action(a)) {
            return bad(format!(
                "IAM statement allows the wildcard action `{action}`"
            ));
        }
        if statement.actions.is_empty() {
            return bad("IAM statement allows no action".to_owned());
        }
    }
    if statement.resources == Resources::None {
        return bad(format!(
            "IAM statement for `{}` names no resource",
            statement.actions.join("`, `")
        ));
    }
    Ok(())
}

/// Whether `action` is `*` or has a `*` anywhere (`s3:*`, `s3:Get*`).
pub fn is_wildcard_action(action: &str) -> bool {
    action.contains('*')
}

/// An instance profile for one role (`AWS::IAM::InstanceProfile`, child `Resource`).
#[derive(Clone, Debug)]
pub struct InstanceProfile {
    resource: ResourceRef,
}

impl InstanceProfile {
    /// Adds an instance profile named `name` (when given) holding `role`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        name: Option<String>,
        role: &Role,
    ) -> Result<InstanceProfile, Diagnostic> {
        let mut scope = scope.child(id)?;
        let resource = scope.add_resource_with_options(
            "Resource",
            CfnInstanceProfile {
                instance_profile_name: name.map(Expr::from),
                roles: vec![role.name()],
                path: None,
            },
            ResourceOptions::default(),
        )?;
        Ok(InstanceProfile { resource })
    }

    /// The instance profile's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// The instance profile's name.
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }
}
