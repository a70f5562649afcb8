//! The difference of two JSON values, down to the leaves: what `dpc diff` shows under a
//! changed resource.
//!
//! Objects are compared key by key; arrays of equal length element by element; arrays
//! whose length changed by a longest common subsequence, so an inserted step shows as
//! one added element rather than every later element changed.

use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// One step of a path into a JSON value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PathSegment {
    /// An object key.
    Key(String),
    /// An array index (in the old array for removed elements, the new one otherwise).
    Index(usize),
}

/// Where in a resource (or template entry) a value changed: `["Properties", "Tags", 0]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Path(pub Vec<PathSegment>);

impl Path {
    fn child(&self, segment: PathSegment) -> Path {
        let mut segments = self.0.clone();
        segments.push(segment);
        Path(segments)
    }
}

impl fmt::Display for Path {
    /// `Properties.Definition.States.aggregate.Parameters["spark.executor.memory"]`,
    /// `Properties.Tags[0].Value`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Index(n) => write!(f, "[{n}]")?,
                PathSegment::Key(key) if is_plain(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                PathSegment::Key(key) => write!(f, "[{}]", Value::String(key.clone()))?,
            }
        }
        Ok(())
    }
}

fn is_plain(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ':')
}

/// A value added, removed or changed at `path`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PropertyChange {
    /// Where, relative to the resource or entry.
    pub path: Path,
    /// The value before; absent when it was added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The value after; absent when it was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// Above this many cells an array is compared as a whole rather than element by element,
/// to keep the subsequence table small.
const LCS_LIMIT: usize = 250_000;

/// Every leaf-level difference between `old` and `new`, in document order.
pub fn diff_values(old: &Value, new: &Value) -> Vec<PropertyChange> {
    let mut out = Vec::new();
    walk(&Path::default(), Some(old), Some(new), &mut out);
    out
}

fn walk(path: &Path, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<PropertyChange>) {
    match (old, new) {
        (Some(a), Some(b)) if a == b => {}
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            for (key, value) in a {
                walk(
                    &path.child(PathSegment::Key(key.clone())),
                    Some(value),
                    b.get(key),
                    out,
                );
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    walk(
                        &path.child(PathSegment::Key(key.clone())),
                        None,
                        Some(value),
                        out,
                    );
                }
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(&path.child(PathSegment::Index(i)), Some(x), Some(y), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() * b.len() <= LCS_LIMIT => {
            diff_arrays(path, a, b, out);
        }
        (old, new) => out.push(PropertyChange {
            path: path.clone(),
            old: old.cloned(),
            new: new.cloned(),
        }),
    }
}

/// Elements only in `a` are removed (at their old index), elements only in `b` added (at
/// their new index); a removal directly followed by an addition at the same place is a
/// change of that element, diffed further.
fn diff_arrays(path: &Path, a: &[Value], b: &[Value], out: &mut Vec<PropertyChange>) {
    let (n, m) = (a.len(), b.len());
    // lengths[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lengths = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lengths[i][j] = if a[i] == b[j] {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < n && j < m && lengths[i + 1][j + 1] == lengths[i][j] {
            // Neither side's element is kept: the element at this place changed.
            walk(
                &path.child(PathSegment::Index(j)),
                Some(&a[i]),
                Some(&b[j]),
                out,
            );
            i += 1;
            j += 1;
        } else if j < m && (i == n || lengths[i][j + 1] >= lengths[i + 1][j]) {
            walk(&path.child(PathSegment::Index(j)), None, Some(&b[j]), out);
            j += 1;
        } else {
            walk(&path.child(PathSegment::Index(i)), Some(&a[i]), None, out);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(changes: &[PropertyChange]) -> Vec<String> {
        changes.iter().map(|c| c.path.to_string()).collect()
    }

    #[test]
    fn equal_values_have_no_changes() {
        let v = json!({"a": [1, {"b": 2}]});
        assert!(diff_values(&v, &v).is_empty());
    }

    #[test]
    fn objects_report_leaf_paths_added_removed_and_changed() {
        let old = json!({"Properties": {"Name": "a", "Gone": 1, "Nested": {"X": 1}}});
        let new = json!({"Properties": {"Name": "b", "Nested": {"X": 2}, "New": true}});
        let changes = diff_values(&old, &new);
        assert_eq!(
            paths(&changes),
            [
                "Properties.Name",
                "Properties.Gone",
                "Properties.Nested.X",
                "Properties.New"
            ]
        );
        assert_eq!(changes[1].new, None);
        assert_eq!(changes[1].old, Some(json!(1)));
        assert_eq!(changes[3].old, None);
    }

    #[test]
    fn an_inserted_array_element_is_one_addition() {
        let old = json!(["a", "b", "c"]);
        let new = json!(["a", "x", "b", "c"]);
        let changes = diff_values(&old, &new);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path.to_string(), "[1]");
        assert_eq!(changes[0].new, Some(json!("x")));
        assert_eq!(changes[0].old, None);
    }

    #[test]
    fn a_removed_array_element_is_one_removal_at_its_old_index() {
        let changes = diff_values(&json!([1, 2, 3]), &json!([1, 3]));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path.to_string(), "[1]");
        assert_eq!(changes[0].old, Some(json!(2)));
    }

    #[test]
    fn a_changed_element_among_insertions_is_diffed_inside() {
        let old = json!([{"Name": "a", "V": 1}]);
        let new = json!([{"Name": "a", "V": 2}, {"Name": "b"}]);
        let changes = diff_values(&old, &new);
        assert_eq!(paths(&changes), ["[0].V", "[1]"]);
    }

    #[test]
    fn keys_that_are_not_identifiers_are_quoted() {
        let changes = diff_values(
            &json!({"Conf": {"spark.executor.memory": "4g"}}),
            &json!({"Conf": {"spark.executor.memory": "8g"}}),
        );
        assert_eq!(paths(&changes), [r#"Conf["spark.executor.memory"]"#]);
    }

    #[test]
    fn a_change_of_kind_is_reported_at_its_path() {
        let changes = diff_values(&json!({"A": "x"}), &json!({"A": {"Ref": "B"}}));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].new, Some(json!({"Ref": "B"})));
    }
}
