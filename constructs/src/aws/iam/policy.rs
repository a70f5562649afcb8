//! IAM policy documents as typed Rust: [`PolicyDocument`], [`Statement`], [`Principal`].
//!
//! They serialise to exactly the JSON IAM reads (`{"Version": "2012-10-17", "Statement": [...]}`),
//! with a single action, resource or condition value written as a string and several as a list,
//! as the CDK does. A statement that names no resource cannot grant anything on `*` by accident:
//! the only way to write `"Resource": "*"` is [`Statement::allow_unscoped`], which accepts only
//! the actions listed in [`crate::security`] (each with the reason it cannot be scoped).

use crate::security;
use dpc_core::{Diagnostic, Expr, Pseudo};
use indexmap::IndexMap;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// The policy language version every document dpc writes uses.
pub const POLICY_VERSION: &str = "2012-10-17";

/// An IAM policy document: identity policies, trust policies and resource policies alike.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyDocument {
    /// The statements, in the order they are written.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// An empty document.
    pub fn new() -> PolicyDocument {
        PolicyDocument::default()
    }

    /// A document with these statements.
    pub fn with(statements: impl IntoIterator<Item = Statement>) -> PolicyDocument {
        PolicyDocument {
            statements: statements.into_iter().collect(),
        }
    }

    /// Appends a statement.
    pub fn push(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    /// Whether the document has no statement (IAM rejects such a document).
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The document as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("Version", POLICY_VERSION)?;
        map.serialize_entry("Statement", &self.statements)?;
        map.end()
    }
}

/// Whether a statement allows or denies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// Who a resource or trust policy statement applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    /// `{"Service": [...]}`: AWS services, e.g. `lambda.amazonaws.com` (an `Fn::Sub` for
    /// regional principals such as `logs.${AWS::Region}.amazonaws.com`).
    Service(Vec<Expr>),
    /// `{"AWS": [...]}`: accounts (as root ARNs) or role ARNs.
    Aws(Vec<Expr>),
    /// `"*"`: anyone; only ever written together with a condition that narrows it
    /// (for example `aws:PrincipalOrgID`).
    Anyone,
}

impl Principal {
    /// One AWS service, e.g. `Principal::service("events.amazonaws.com")`.
    pub fn service(name: impl Into<Expr>) -> Principal {
        Principal::Service(vec![name.into()])
    }

    /// Whole accounts, written as `arn:${AWS::Partition}:iam::<id>:root`.
    pub fn accounts<I, S>(ids: I) -> Principal
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Principal::Aws(
            ids.into_iter()
                .map(|id| account_root_arn(id.as_ref()))
                .collect(),
        )
    }

    /// The account this stack is deployed in (its root ARN).
    pub fn this_account() -> Principal {
        Principal::Aws(vec![Expr::sub(
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
        )])
    }

    /// Principals given by ARN (roles, for example).
    pub fn arns(arns: impl IntoIterator<Item = Expr>) -> Principal {
        Principal::Aws(arns.into_iter().collect())
    }
}

/// `arn:${AWS::Partition}:iam::<account>:root`: an account as a principal.
pub fn account_root_arn(account: &str) -> Expr {
    Expr::sub(format!("arn:${{AWS::Partition}}:iam::{account}:root"))
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Principal::Anyone => serializer.serialize_str("*"),
            Principal::Service(names) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("Service", &OneOrMany(names))?;
                map.end()
            }
            Principal::Aws(arns) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("AWS", &OneOrMany(arns))?;
                map.end()
            }
        }
    }
}

/// Conditions of a statement: operator (`StringEquals`) → key (`aws:PrincipalOrgID`) → values.
pub type Conditions = IndexMap<String, IndexMap<String, Vec<Expr>>>;

/// What a statement's `Resource` holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Resources {
    /// No `Resource` element: trust policies and most resource policies.
    None,
    /// These ARNs (or patterns within one ARN space, such as `.../dpc-*`).
    Arns(Vec<Expr>),
    /// `"*"`: only for actions IAM cannot scope (see [`crate::security`]).
    All,
}

/// One statement of a policy document. Build it with [`Statement::allow`] and its methods.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// `Sid`: an optional identifier, unique within the document.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal`: for resource and trust policies; absent in identity policies.
    pub principal: Option<Principal>,
    /// `Action`: `service:Action` names, never wildcards.
    pub actions: Vec<String>,
    /// `Resource`.
    pub resources: Resources,
    /// `Condition`.
    pub conditions: Conditions,
}

impl Statement {
    /// `Allow` these actions; add resources with [`Statement::on`].
    pub fn allow<I, S>(actions: I) -> Statement
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Statement {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            actions: actions.into_iter().map(Into::into).collect(),
            resources: Resources::None,
            conditions: Conditions::new(),
        }
    }

    /// `Deny` these actions.
    pub fn deny<I, S>(actions: I) -> Statement
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Statement {
            effect: Effect::Deny,
            ..Statement::allow(actions)
        }
    }

    /// The statement every dpc resource policy ends with: deny `action` on `resources`
    /// to anyone whose request is not made over TLS (`aws:SecureTransport` false).
    pub fn deny_without_tls<I>(action: &str, sid: &str, resources: I) -> Statement
    where
        I: IntoIterator<Item = Expr>,
    {
        Statement::deny([action])
            .sid(sid)
            .to(Principal::Anyone)
            .on(resources)
            .when("Bool", "aws:SecureTransport", ["false"])
    }

    /// `Allow` actions on `"*"`. Every action must be one of [`security::UNSCOPED_ACTIONS`]:
    /// IAM offers no resource type for them, so `*` is the only possible resource.
    ///
    /// # Errors
    /// A `DM0301` diagnostic naming the first action that is not in that list.
    pub fn allow_unscoped(actions: &[&str]) -> Result<Statement, Diagnostic> {
        if let Some(bad) = actions.iter().find(|a| security::unscoped(a).is_none()) {
            return Err(Diagnostic::error(
                crate::aws::codes::UNSCOPED_ACTION,
                format!("IAM action `{bad}` would be granted on every resource (`*`)"),
            )
            .with_help(
                "scope it to ARNs, or add it to `security::UNSCOPED_ACTIONS` with the reason it cannot be scoped",
            ));
        }
        let mut statement = Statement::allow(actions.iter().copied());
        statement.resources = Resources::All;
        Ok(statement)
    }

    /// Adds resources (ARNs) the statement applies to.
    pub fn on<I, E>(mut self, resources: I) -> Statement
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        let new = resources.into_iter().map(Into::into);
        match &mut self.resources {
            Resources::Arns(list) => list.extend(new),
            // Adding ARNs to a `*` statement would not narrow it; keep it explicit.
            Resources::All => {}
            Resources::None => self.resources = Resources::Arns(new.collect()),
        }
        self
    }

    /// Sets who the statement applies to (resource and trust policies).
    pub fn to(mut self, principal: Principal) -> Statement {
        self.principal = Some(principal);
        self
    }

    /// Sets the statement id.
    pub fn sid(mut self, sid: impl Into<String>) -> Statement {
        self.sid = Some(sid.into());
        self
    }

    /// Adds a condition: `operator` (`StringEquals`, `ArnLike`, `Bool`, ...), `key`, values.
    /// Values for the same operator and key accumulate.
    pub fn when<I, E>(mut self, operator: &str, key: &str, values: I) -> Statement
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        self.conditions
            .entry(operator.to_owned())
            .or_default()
            .entry(key.to_owned())
            .or_default()
            .extend(values.into_iter().map(Into::into));
        self
    }

    /// The statement as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(sid) = &self.sid {
            map.serialize_entry("Sid", sid)?;
        }
        map.serialize_entry("Effect", &self.effect)?;
        if let Some(principal) = &self.principal {
            map.serialize_entry("Principal", principal)?;
        }
        map.serialize_entry("Action", &OneOrMany(&self.actions))?;
        match &self.resources {
            Resources::None => {}
            Resources::All => map.serialize_entry("Resource", "*")?,
            Resources::Arns(arns) => map.serialize_entry("Resource", &OneOrMany(arns))?,
        }
        if !self.conditions.is_empty() {
            let conditions: IndexMap<&String, IndexMap<&String, OneOrMany<'_, Expr>>> = self
                .conditions
                .iter()
                .map(|(op, keys)| (op, keys.iter().map(|(k, v)| (k, OneOrMany(v))).collect()))
                .collect();
            map.serialize_entry("Condition", &conditions)?;
        }
        map.end()
    }
}

/// A list written as its only element when it has exactly one.
struct OneOrMany<'a, T>(&'a [T]);

impl<T: Serialize> Serialize for OneOrMany<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [one] => one.serialize(serializer),
            many => {
                let mut seq = serializer.serialize_seq(Some(many.len()))?;
                for item in many {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

/// Who may call into a resource policy: the whole AWS Organization, or a list of accounts.
///
/// Every resource policy dpc writes (bus, API, Lambda) narrows its principal with one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Any principal of this AWS Organization (`aws:PrincipalOrgID`).
    Organization(String),
    /// Exactly these 12-digit account ids.
    Accounts(Vec<String>),
}

impl Audience {
    /// Narrows `statement` to this audience: `Principal: "*"` with `aws:PrincipalOrgID`, or
    /// `Principal: {"AWS": [account roots]}`.
    pub fn apply(&self, statement: Statement) -> Statement {
        match self {
            Audience::Organization(org) => statement.to(Principal::Anyone).when(
                "StringEquals",
                "aws:PrincipalOrgID",
                [org.as_str()],
            ),
            Audience::Accounts(ids) => statement.to(Principal::accounts(ids)),
        }
    }
}

/// `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}:<resource>`: an ARN in
/// this stack's own account and region. `resource` is written as is (`table/dpc-run-log`).
pub fn local_arn(service: &str, resource: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{{}}}:{service}:${{{}}}:${{{}}}:{resource}",
        Pseudo::Partition.name(),
        Pseudo::Region.name(),
        Pseudo::AccountId.name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_values_are_strings_and_lists_stay_lists() {
        let doc = PolicyDocument::with([
            Statement::allow(["sqs:SendMessage"]).on([Expr::get_att("Q", "Arn")]),
            Statement::allow(["dynamodb:GetItem", "dynamodb:PutItem"])
                .on([
                    "arn:aws:dynamodb:eu-west-1:1:table/a",
                    "arn:aws:dynamodb:eu-west-1:1:table/b",
                ])
                .when("Bool", "aws:SecureTransport", ["true"]),
        ]);
        assert_eq!(
            doc.to_json(),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Q", "Arn"]}},
                {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                 "Resource": ["arn:aws:dynamodb:eu-west-1:1:table/a", "arn:aws:dynamodb:eu-west-1:1:table/b"],
                 "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
            ]})
        );
    }

    #[test]
    fn trust_and_resource_policies_name_principals() {
        let trust =
            Statement::allow(["sts:AssumeRole"]).to(Principal::service("lambda.amazonaws.com"));
        assert_eq!(
            trust.to_json(),
            json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
        );
        let org = Audience::Organization("o-abc".into()).apply(
            Statement::allow(["events:PutEvents"])
                .sid("Org")
                .on(["arn:bus"]),
        );
        assert_eq!(
            org.to_json(),
            json!({"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
                   "Resource": "arn:bus", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}})
        );
        let accounts = Audience::Accounts(vec!["222222222222".into(), "333333333333".into()])
            .apply(Statement::allow(["events:PutEvents"]));
        assert_eq!(
            accounts.to_json()["Principal"],
            json!({"AWS": [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::222222222222:root"},
                {"Fn::Sub": "arn:${AWS::Partition}:iam::333333333333:root"}
            ]})
        );
    }

    #[test]
    fn star_resources_only_for_listed_actions() {
        let ok = Statement::allow_unscoped(&["ec2:DescribeSubnets"]).expect("listed");
        assert_eq!(ok.to_json()["Resource"], json!("*"));
        let err = Statement::allow_unscoped(&["ec2:DescribeSubnets", "s3:GetObject"])
            .expect_err("s3:GetObject can be scoped");
        assert_eq!(err.code, "DM0301");
        assert!(err.message.contains("s3:GetObject"));
    }

    #[test]
    fn adding_arns_never_widens_or_narrows_a_star_statement() {
        let s = Statement::allow_unscoped(&["ec2:DescribeSubnets"])
            .expect("listed")
            .on(["arn:x"]);
        assert_eq!(s.resources, Resources::All);
    }
}
