//! Stack properties and their validation.

use crate::codes;
use crate::diagnostic::Diagnostic;
use indexmap::IndexMap;

/// How a stack is deployed. `account` and `region` are required: every dpc stack has a
/// concrete environment (they name its bootstrap roles and asset bucket).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackProps {
    /// The CloudFormation stack name; defaults to the stack's construct id (its artifact id).
    pub stack_name: Option<String>,
    /// The 12-digit AWS account id.
    pub account: String,
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// The template's `Description`.
    pub description: Option<String>,
    /// Stack tags; CloudFormation propagates them to the resources that support tags.
    pub tags: IndexMap<String, String>,
    /// Whether CloudFormation refuses to delete the stack.
    pub termination_protection: bool,
}

// CloudFormation figures (AWS CloudFormation User Guide, "Understand CloudFormation quotas"
// and the CreateStack API reference).
const MAX_STACK_NAME_LEN: usize = 128;
const MAX_DESCRIPTION_BYTES: usize = 1024;
const MAX_STACK_TAGS: usize = 50;
const MAX_TAG_KEY_LEN: usize = 128;
const MAX_TAG_VALUE_LEN: usize = 256;

/// Checks `props` for the stack `artifact_id`; returns every problem found.
pub(crate) fn validate(artifact_id: &str, props: &StackProps) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut bad = |message: String, help: &str| {
        problems.push(
            Diagnostic::error(codes::INVALID_STACK, message)
                .in_construct(artifact_id)
                .with_help(help),
        );
    };
    if !is_artifact_id(artifact_id) {
        bad(
            format!("stack id `{artifact_id}` cannot name files in the cloud assembly"),
            "use letters, digits, `-`, `_` and `.`, starting with a letter or digit",
        );
    }
    let name = props.stack_name.as_deref().unwrap_or(artifact_id);
    if !is_stack_name(name) {
        bad(
            format!("`{name}` is not a valid CloudFormation stack name"),
            "a stack name starts with a letter, has only letters, digits and `-`, and is at most 128 characters",
        );
    }
    if !(props.account.len() == 12 && props.account.bytes().all(|b| b.is_ascii_digit())) {
        bad(
            format!(
                "account `{}` is not a 12-digit AWS account id",
                props.account
            ),
            "write the account id, e.g. `111111111111`",
        );
    }
    if !is_region(&props.region) {
        bad(
            format!("`{}` is not an AWS region", props.region),
            "write a region code such as `eu-west-1`",
        );
    }
    if let Some(description) = &props.description
        && description.len() > MAX_DESCRIPTION_BYTES
    {
        bad(
            format!(
                "the stack description is {} bytes; CloudFormation allows {MAX_DESCRIPTION_BYTES}",
                description.len()
            ),
            "shorten the description",
        );
    }
    if props.tags.len() > MAX_STACK_TAGS {
        bad(
            format!(
                "{} stack tags; CloudFormation allows {MAX_STACK_TAGS}",
                props.tags.len()
            ),
            "drop some tags",
        );
    }
    for (key, value) in &props.tags {
        if key.is_empty() || key.chars().count() > MAX_TAG_KEY_LEN || key.starts_with("aws:") {
            bad(
                format!("tag key `{key}` is not allowed"),
                "tag keys have 1 to 128 characters and must not start with `aws:`",
            );
        }
        if value.chars().count() > MAX_TAG_VALUE_LEN {
            bad(
                format!("the value of tag `{key}` is longer than {MAX_TAG_VALUE_LEN} characters"),
                "shorten it",
            );
        }
    }
    problems
}

fn is_artifact_id(id: &str) -> bool {
    id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// CloudFormation's stack-name rule: `[a-zA-Z][-a-zA-Z0-9]*`, at most 128 characters.
pub(crate) fn is_stack_name(name: &str) -> bool {
    name.len() <= MAX_STACK_NAME_LEN
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `eu-west-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-4`: lowercase words joined
/// by `-`, ending in a number.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props() -> StackProps {
        StackProps {
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            ..StackProps::default()
        }
    }

    #[test]
    fn valid_props_pass() {
        assert!(validate("dpc-central", &props()).is_empty());
        let p = StackProps {
            region: "us-gov-west-1".into(),
            stack_name: Some("dpc-pipeline-listings".into()),
            ..props()
        };
        assert!(validate("dpc-pipeline-core-data.listings", &p).is_empty());
    }

    #[test]
    fn every_problem_is_reported() {
        let mut p = StackProps {
            stack_name: Some("1bad_name".into()),
            account: "123".into(),
            region: "Europe".into(),
            ..props()
        };
        p.tags.insert("aws:owner".into(), "x".into());
        let problems = validate("bad/id", &p);
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems.iter().all(|d| d.code == codes::INVALID_STACK));
    }
}
