//! Logical ids, computed from construct paths exactly as the AWS CDK does
//! (`makeUniqueId` in `aws-cdk-lib/core/lib/private/uniqueid.ts`), so a dpc template
//! names its resources the way a CDK user would expect and ids stay stable as long
//! as construct paths do.

use md5::{Digest, Md5};

/// Construct id that vanishes from logical ids, so structure can be added without
/// renaming (and so replacing) resources.
pub const HIDDEN_ID: &str = "Default";

/// Construct id kept in the hash but hidden from the human-readable part, the
/// conventional id of an L2 construct's primary L1 resource.
pub const HIDDEN_FROM_HUMAN_ID: &str = "Resource";

/// CloudFormation's maximum logical-id length.
pub const MAX_LOGICAL_ID_LEN: usize = 255;

const HASH_LEN: usize = 8;
const MAX_HUMAN_LEN: usize = 240;

/// The logical id of the element whose construct path below its stack is `components`.
///
/// A single component (after dropping `Default`) is used as is, minus non-alphanumerics;
/// otherwise the human part (de-duplicated components without `Resource`, alphanumerics
/// only, at most 240 characters) is followed by the first 8 hex digits, uppercase, of the
/// MD5 of the components joined by `/`.
///
/// ```
/// use dpc_core::logical_id::make_unique_id;
/// assert_eq!(make_unique_id(&["MyRule", "Resource"]), "MyRuleA44AB831");
/// assert_eq!(make_unique_id(&["MyAwesomeness"]), "MyAwesomeness");
/// ```
pub fn make_unique_id<S: AsRef<str>>(components: &[S]) -> String {
    let components: Vec<&str> = components
        .iter()
        .map(AsRef::as_ref)
        .filter(|c| *c != HIDDEN_ID)
        .collect();

    if let [only] = components.as_slice() {
        let candidate = remove_non_alphanumeric(only);
        if candidate.len() <= MAX_LOGICAL_ID_LEN {
            return candidate;
        }
    }

    let hash = path_hash(&components);
    let human: String = remove_dupes(&components)
        .into_iter()
        .filter(|c| *c != HIDDEN_FROM_HUMAN_ID)
        .map(remove_non_alphanumeric)
        .collect::<String>()
        .chars()
        .take(MAX_HUMAN_LEN)
        .collect();
    human + &hash
}

/// Whether `id` is a valid CloudFormation logical id (`^[A-Za-z0-9]{1,255}$`).
pub fn is_valid_logical_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LOGICAL_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn path_hash(components: &[&str]) -> String {
    let digest = Md5::digest(components.join("/").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    hex[..HASH_LEN].to_owned()
}

/// Drops a component that the one before it ends with, so `L1/L2/Pipeline/Pipeline`
/// does not say `PipelinePipeline` (CDK's `removeDupes`).
fn remove_dupes<'a>(components: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&'a str> = Vec::with_capacity(components.len());
    for &c in components {
        if out.last().is_none_or(|prev| !prev.ends_with(c)) {
            out.push(c);
        }
    }
    out
}

fn remove_non_alphanumeric(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values pinned in the CDK's own tests (aesthetics-anchors §8.1).
    #[test]
    fn cdk_vectors() {
        let cases: &[(&[&str], &str)] = &[
            (&["MyRule", "Resource"], "MyRuleA44AB831"),
            (&["EventRule", "Resource"], "EventRule5A491D2C"),
            (&["SomeRole", "Resource"], "SomeRole6DDC54DD"),
            (
                &["Parent", "Child", "Resource", "HeyThere"],
                "ParentChildHeyThere35220347",
            ),
            (
                &["Foo-bar", "B00m", "Hello_World", "&&Horray Horray."],
                "FoobarB00mHelloWorldHorrayHorray640E99FB",
            ),
            (
                &["Foobar", "B00m", "HelloWorld", "HorrayHorray"],
                "FoobarB00mHelloWorldHorrayHorray744334FD",
            ),
            (&["MyAwesomeness"], "MyAwesomeness"),
        ];
        for (path, expected) in cases {
            assert_eq!(make_unique_id(path), *expected, "path {path:?}");
        }
    }

    #[test]
    fn default_vanishes_entirely() {
        assert_eq!(make_unique_id(&["Bucket", "Default"]), "Bucket");
        assert_eq!(
            make_unique_id(&["Default", "MyRule", "Resource"]),
            make_unique_id(&["MyRule", "Resource"])
        );
    }

    #[test]
    fn repeated_components_are_said_once() {
        let id = make_unique_id(&["Pipeline", "Pipeline", "Resource"]);
        assert!(
            id.starts_with("Pipeline") && !id.starts_with("PipelinePipeline"),
            "{id}"
        );
        assert_eq!(id.len(), "Pipeline".len() + 8);
    }

    #[test]
    fn long_paths_stay_within_cloudformation_limits() {
        let long = "a".repeat(300);
        let id = make_unique_id(&[long.as_str(), "b"]);
        assert_eq!(id.len(), 248);
        assert!(is_valid_logical_id(&id));
        // A single over-long component gets a hash rather than being cut silently.
        let id = make_unique_id(&[long.as_str()]);
        assert_eq!(id.len(), 248);
    }

    #[test]
    fn logical_id_rule() {
        assert!(is_valid_logical_id("Bucket83908E77"));
        assert!(!is_valid_logical_id(""));
        assert!(!is_valid_logical_id("my-bucket"));
        assert!(!is_valid_logical_id(&"a".repeat(256)));
    }
}
