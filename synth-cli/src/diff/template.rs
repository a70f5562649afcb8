//! The difference of two templates of one stack: resources added, removed and changed
//! (property by property, replacements flagged), the other template sections, and the
//! security section.

use serde::Serialize;
use serde_json::{Map, Value};

use super::Change;
use super::replacement;
use super::security::{SecurityChange, diff_security};
use super::value::{PropertyChange, diff_values};

/// What happened to one resource.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDiff {
    /// Its logical id.
    pub logical_id: String,
    /// Its type (the new one when it changed).
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Added, removed or changed.
    pub change: Change,
    /// Set when CloudFormation will (or, for a renamed logical id, effectively does)
    /// delete the resource and create a new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Replacement>,
    /// Property-level differences of a changed resource, relative to the resource
    /// (`Properties.…`, `DependsOn`, `DeletionPolicy`, `Metadata.…`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<PropertyChange>,
}

/// Why a resource is replaced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    tag = "reason",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Replacement {
    /// Properties CloudFormation cannot update in place changed (`createOnlyProperties`).
    Properties {
        /// Their paths below `Properties`.
        properties: Vec<String>,
    },
    /// The logical id now holds another resource type.
    TypeChanged {
        /// The type before.
        from: String,
    },
    /// This removed resource's logical id disappeared while a resource of the same type
    /// appeared under `logical_id`: CloudFormation deletes one and creates the other.
    ReplacedBy {
        /// The new resource's logical id.
        logical_id: String,
    },
    /// This added resource takes the place of the removed `logical_id`.
    Replaces {
        /// The old resource's logical id.
        logical_id: String,
    },
}

/// A change to a template entry outside `Resources`: a parameter, output, condition,
/// mapping, rule, or a top-level value such as `Description`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryDiff {
    /// The section: `Parameters`, `Outputs`, `Conditions`, `Mappings`, `Rules`,
    /// `Description`, `Metadata`, `Transform`, `AWSTemplateFormatVersion` ...
    pub section: String,
    /// The entry's name within a named section; absent for top-level values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Added, removed or changed.
    pub change: Change,
    /// The differences of a changed entry.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<PropertyChange>,
}

/// Everything that differs between two templates.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDiff {
    /// Resources, changed and added in the new template's order, then removed ones.
    pub resources: Vec<ResourceDiff>,
    /// Other sections.
    pub entries: Vec<EntryDiff>,
    /// IAM, resource-policy and security-group changes.
    pub security: Vec<SecurityChange>,
}

impl TemplateDiff {
    /// Whether the templates are the same.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.entries.is_empty() && self.security.is_empty()
    }
}

/// Sections whose value is a map of named entries.
const NAMED_SECTIONS: [&str; 5] = ["Parameters", "Conditions", "Mappings", "Outputs", "Rules"];

/// Compares two templates (`Value::Null` for a stack that does not exist on one side).
pub fn diff_templates(old: &Value, new: &Value) -> TemplateDiff {
    let empty = Map::new();
    let section = |t: &'_ Value, name: &str| -> Map<String, Value> {
        t.get(name)
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone()
    };
    let old_resources = section(old, "Resources");
    let new_resources = section(new, "Resources");
    let mut resources = Vec::new();
    for (id, after) in &new_resources {
        let after_type = type_of(after);
        match old_resources.get(id) {
            None => resources.push(ResourceDiff {
                logical_id: id.clone(),
                resource_type: after_type.to_owned(),
                change: Change::Added,
                replacement: None,
                changes: Vec::new(),
            }),
            Some(before) if before == after => {}
            Some(before) => {
                let before_type = type_of(before);
                let replacement = if before_type != after_type {
                    Some(Replacement::TypeChanged {
                        from: before_type.to_owned(),
                    })
                } else {
                    let properties = replacement::replacing_properties(
                        after_type,
                        before.get("Properties").unwrap_or(&Value::Null),
                        after.get("Properties").unwrap_or(&Value::Null),
                    );
                    (!properties.is_empty()).then_some(Replacement::Properties { properties })
                };
                resources.push(ResourceDiff {
                    logical_id: id.clone(),
                    resource_type: after_type.to_owned(),
                    change: Change::Changed,
                    replacement,
                    changes: diff_values(before, after),
                });
            }
        }
    }
    for (id, before) in &old_resources {
        if !new_resources.contains_key(id) {
            resources.push(ResourceDiff {
                logical_id: id.clone(),
                resource_type: type_of(before).to_owned(),
                change: Change::Removed,
                replacement: None,
                changes: Vec::new(),
            });
        }
    }
    pair_renamed(&mut resources);

    let mut entries = Vec::new();
    let keys = top_level_keys(old, new);
    for key in keys {
        if key == "Resources" {
            continue;
        }
        let (a, b) = (old.get(&key), new.get(&key));
        if NAMED_SECTIONS.contains(&key.as_str()) {
            let (a, b) = (section(old, &key), section(new, &key));
            for (name, after) in &b {
                match a.get(name) {
                    None => entries.push(entry(&key, Some(name), Change::Added, Vec::new())),
                    Some(before) if before != after => entries.push(entry(
                        &key,
                        Some(name),
                        Change::Changed,
                        diff_values(before, after),
                    )),
                    Some(_) => {}
                }
            }
            for name in a.keys() {
                if !b.contains_key(name) {
                    entries.push(entry(&key, Some(name), Change::Removed, Vec::new()));
                }
            }
        } else {
            match (a, b) {
                (Some(x), Some(y)) if x == y => {}
                (Some(x), Some(y)) => {
                    entries.push(entry(&key, None, Change::Changed, diff_values(x, y)));
                }
                (None, Some(_)) => entries.push(entry(&key, None, Change::Added, Vec::new())),
                (Some(_), None) => entries.push(entry(&key, None, Change::Removed, Vec::new())),
                (None, None) => {}
            }
        }
    }

    TemplateDiff {
        resources,
        entries,
        security: diff_security(old, new),
    }
}

fn entry(
    section: &str,
    name: Option<&String>,
    change: Change,
    changes: Vec<PropertyChange>,
) -> EntryDiff {
    EntryDiff {
        section: section.to_owned(),
        name: name.cloned(),
        change,
        changes,
    }
}

fn type_of(resource: &Value) -> &str {
    resource.get("Type").and_then(Value::as_str).unwrap_or("")
}

fn top_level_keys(old: &Value, new: &Value) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for t in [old, new] {
        for key in t.as_object().into_iter().flat_map(|m| m.keys()) {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
    }
    keys
}

/// A logical id that disappeared while another of the same type appeared: pair them in
/// order, per type, and mark both as one replacement.
fn pair_renamed(resources: &mut [ResourceDiff]) {
    let removed: Vec<usize> = (0..resources.len())
        .filter(|&i| resources[i].change == Change::Removed)
        .collect();
    let mut taken: Vec<usize> = Vec::new();
    for r in removed {
        let Some(a) = (0..resources.len()).find(|&a| {
            resources[a].change == Change::Added
                && resources[a].replacement.is_none()
                && !taken.contains(&a)
                && resources[a].resource_type == resources[r].resource_type
        }) else {
            continue;
        };
        taken.push(a);
        resources[r].replacement = Some(Replacement::ReplacedBy {
            logical_id: resources[a].logical_id.clone(),
        });
        resources[a].replacement = Some(Replacement::Replaces {
            logical_id: resources[r].logical_id.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(resources: Value) -> Value {
        json!({"Resources": resources})
    }

    #[test]
    fn an_unchanged_template_has_no_diff() {
        let a = t(json!({"Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "x"}}}));
        assert!(diff_templates(&a, &a).is_empty());
    }

    #[test]
    fn added_removed_and_changed_resources_in_order() {
        let old = t(json!({
            "Keep": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "a"}},
            "Gone": {"Type": "AWS::SQS::Queue"},
        }));
        let new = t(json!({
            "New": {"Type": "AWS::Logs::LogGroup"},
            "Keep": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "b"}},
        }));
        let diff = diff_templates(&old, &new);
        let summary: Vec<(&str, Change)> = diff
            .resources
            .iter()
            .map(|r| (r.logical_id.as_str(), r.change))
            .collect();
        assert_eq!(
            summary,
            [
                ("New", Change::Added),
                ("Keep", Change::Changed),
                ("Gone", Change::Removed)
            ]
        );
        assert_eq!(
            diff.resources[1].changes[0].path.to_string(),
            "Properties.DisplayName"
        );
        assert!(diff.resources.iter().all(|r| r.replacement.is_none()));
    }

    #[test]
    fn a_create_only_property_change_is_a_replacement() {
        let old = t(
            json!({"Rule": {"Type": "AWS::Events::Rule", "Properties": {"Name": "dpc-a", "State": "ENABLED"}}}),
        );
        let new = t(
            json!({"Rule": {"Type": "AWS::Events::Rule", "Properties": {"Name": "dpc-b", "State": "DISABLED"}}}),
        );
        let diff = diff_templates(&old, &new);
        assert_eq!(
            diff.resources[0].replacement,
            Some(Replacement::Properties {
                properties: vec!["Name".to_owned()]
            })
        );
        assert_eq!(diff.resources[0].changes.len(), 2);
    }

    #[test]
    fn a_renamed_logical_id_of_the_same_type_is_a_replacement_pair() {
        let old = t(json!({
            "StepsAggregateA1B2C3D4": {"Type": "AWS::Events::Rule"},
            "Other": {"Type": "AWS::SNS::Topic"},
        }));
        let new = t(json!({
            "StepsCompute9F8E7D6C": {"Type": "AWS::Events::Rule"},
            "Other": {"Type": "AWS::SNS::Topic"},
            "Fresh": {"Type": "AWS::SQS::Queue"},
        }));
        let diff = diff_templates(&old, &new);
        let find = |id: &str| {
            diff.resources
                .iter()
                .find(|r| r.logical_id == id)
                .expect("listed")
        };
        assert_eq!(
            find("StepsCompute9F8E7D6C").replacement,
            Some(Replacement::Replaces {
                logical_id: "StepsAggregateA1B2C3D4".to_owned()
            })
        );
        assert_eq!(
            find("StepsAggregateA1B2C3D4").replacement,
            Some(Replacement::ReplacedBy {
                logical_id: "StepsCompute9F8E7D6C".to_owned()
            })
        );
        assert_eq!(find("Fresh").replacement, None);
    }

    #[test]
    fn a_type_change_under_one_logical_id_is_a_replacement() {
        let old = t(json!({"X": {"Type": "AWS::SNS::Topic"}}));
        let new = t(json!({"X": {"Type": "AWS::SQS::Queue"}}));
        assert_eq!(
            diff_templates(&old, &new).resources[0].replacement,
            Some(Replacement::TypeChanged {
                from: "AWS::SNS::Topic".to_owned()
            })
        );
    }

    #[test]
    fn parameters_outputs_and_description_are_entries() {
        let old =
            json!({"Description": "a", "Parameters": {"Url": {"Type": "String"}}, "Resources": {}});
        let new = json!({"Description": "b", "Outputs": {"Arn": {"Value": "x"}},
            "Parameters": {"Url": {"Type": "String", "Default": "u"}}, "Resources": {}});
        let diff = diff_templates(&old, &new);
        let summary: Vec<(&str, Option<&str>, Change)> = diff
            .entries
            .iter()
            .map(|e| (e.section.as_str(), e.name.as_deref(), e.change))
            .collect();
        assert_eq!(
            summary,
            [
                ("Description", None, Change::Changed),
                ("Parameters", Some("Url"), Change::Changed),
                ("Outputs", Some("Arn"), Change::Added),
            ]
        );
    }
}
