//! Checking a document against its JSON Schema, and turning every violation into a
//! diagnostic at the right line and column.
//!
//! The schema is the one `dpc schema` prints, so editors and dpc agree on what is valid.
//! Plain scalars are typed by YAML's rules first (`4` is a number); where the schema wants
//! text and the user wrote a plain number or boolean, the text as written is used instead,
//! so an unquoted account id keeps its leading zero and `cost-center: 4711` is the text
//! `"4711"`.

use crate::codes;
use crate::model::patterns;
use crate::source::{SourceFile, Target};
use crate::suggest;
use crate::tree::{NodeValue, parse_pointer};
use dpc_core::Diagnostic;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, Validator};
use serde_json::Value;

/// What validation found: the document as JSON, the problems, and for checks that still
/// want to look at a document with problems, a repaired copy (unknown keys and values of
/// the wrong type taken out; `None` when nothing was wrong, i.e. `value` itself) and the
/// places whose checks must be skipped.
pub(crate) struct Validated {
    pub value: Value,
    pub diagnostics: Vec<Diagnostic>,
    pub repaired: Option<Value>,
    pub poisoned: Vec<String>,
}

/// Removes the value at `pointer` when it is a key of a map; `false` when it is not.
pub(crate) fn remove(value: &mut Value, pointer: &str) -> bool {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    let key = key.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => map.shift_remove(&key).is_some(),
        _ => false,
    }
}

/// Reads a document with problems into its typed form as far as possible: each value
/// serde cannot read is taken out (and its place poisoned) until it reads, or until the
/// problem is inside a list, where taking an entry out would shift the positions of the
/// entries after it.
pub(crate) fn read_repaired<T: serde::de::DeserializeOwned>(
    mut value: Value,
    poisoned: &mut Vec<String>,
) -> Option<T> {
    for _ in 0..32 {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(t) => return Some(t),
            Err(e) => e,
        };
        let mut pointer = String::new();
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    pointer.push_str(&format!("/{index}"))
                }
                serde_path_to_error::Segment::Map { key } => {
                    pointer.push('/');
                    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                }
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        // Inside a list, take out the whole list (the nearest value that is a map's key).
        loop {
            if pointer.is_empty() {
                return None;
            }
            if remove(&mut value, &pointer) {
                poisoned.push(pointer);
                break;
            }
            match pointer.rsplit_once('/') {
                Some((parent, _)) => pointer = parent.to_string(),
                None => return None,
            }
        }
    }
    None
}

/// A compiled schema together with its JSON (to look up known keys for suggestions).
pub(crate) struct SchemaValidator {
    schema: Value,
    validator: Validator,
}

impl SchemaValidator {
    /// Compiles a generated schema. The schemas are dpc's own, so failing here is a bug in
    /// dpc, reported as a diagnostic rather than a panic.
    pub fn new(schema: Value) -> Result<SchemaValidator, Diagnostic> {
        let validator = jsonschema::draft7::options()
            .should_validate_formats(false)
            .build(&schema)
            .map_err(|e| {
                Diagnostic::error(
                    codes::SCHEMA,
                    format!("dpc's own schema does not compile: {e}"),
                )
            })?;
        Ok(SchemaValidator { schema, validator })
    }

    /// Validates the document of `file`, returning it as JSON (with text kept where the
    /// schema wants text) and every violation.
    pub fn check(&self, file: &SourceFile) -> Validated {
        let mut value = file.root.to_json();
        // Most files are valid: one validation without error reports decides it, and
        // nothing needs repairing.
        if self.validator.is_valid(&value) {
            return Validated {
                value,
                diagnostics: Vec::new(),
                repaired: None,
                poisoned: Vec::new(),
            };
        }
        // Each round turns plain scalars into their written text where the schema wants
        // text; a change can expose another branch (`if`/`then`), hence a few rounds.
        for _ in 0..4 {
            let pointers: Vec<String> = self
                .validator
                .iter_errors(&value)
                .filter(|e| matches!(e.kind(), ValidationErrorKind::Type { kind } if wants_string(kind)))
                .map(|e| e.instance_path().as_str().to_string())
                .collect();
            let mut changed = false;
            for pointer in pointers {
                if let Some(found) = file.root.find(&pointer)
                    && let NodeValue::Scalar { text, plain: true } = &found.node.value
                    && !found.node.is_null()
                    && let Some(slot) = value.pointer_mut(&pointer)
                    && !slot.is_string()
                {
                    *slot = Value::String(text.clone());
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut diagnostics = Vec::new();
        let mut removed = Vec::new();
        let mut poisoned = Vec::new();
        // One mistake, one message: a misspelt key (`acount`) is reported as unknown, and
        // the key it stands for (`account`) is not then reported missing, here or by the
        // checks after the schema (its place is poisoned); a value of the wrong type is
        // not also reported as not one of the allowed values.
        let errors: Vec<_> = self.validator.iter_errors(&value).collect();
        let mut meant: Vec<String> = Vec::new();
        let mut mistyped: Vec<String> = Vec::new();
        for error in &errors {
            let pointer = error.instance_path().as_str().to_string();
            match error.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    let known = self.known_keys(error);
                    for key in unexpected {
                        if let Some(close) = suggest::closest(key, known.iter().map(String::as_str))
                        {
                            meant.push(join(&pointer, close));
                        }
                    }
                }
                ValidationErrorKind::Type { .. } => mistyped.push(pointer),
                _ => {}
            }
        }
        for error in &errors {
            let pointer = error.instance_path().as_str().to_string();
            match error.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    removed.extend(unexpected.iter().map(|k| join(&pointer, k)));
                }
                ValidationErrorKind::Required { property }
                    if property
                        .as_str()
                        .is_some_and(|k| meant.contains(&join(&pointer, k))) =>
                {
                    continue;
                }
                ValidationErrorKind::Enum { .. } if mistyped.contains(&pointer) => continue,
                _ => poisoned.push(pointer),
            }
            diagnostics.extend(self.describe(file, error));
        }
        poisoned.extend(meant);
        diagnostics.dedup();
        let mut repaired = value.clone();
        for pointer in &removed {
            remove(&mut repaired, pointer);
        }
        Validated {
            value,
            diagnostics,
            repaired: Some(repaired),
            poisoned,
        }
    }

    /// The keys the schema knows where `error` (an additional-properties error) is.
    fn known_keys(&self, error: &jsonschema::ValidationError<'_>) -> Vec<String> {
        schema_parent(&self.schema, error.schema_path().as_str())
            .and_then(|p| p.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn describe(
        &self,
        file: &SourceFile,
        error: &jsonschema::ValidationError<'_>,
    ) -> Vec<Diagnostic> {
        let pointer = error.instance_path().as_str().to_string();
        let here = human_path(&pointer);
        let instance = error.instance();
        let schema_path = error.schema_path().as_str().to_string();
        let parent = schema_parent(&self.schema, &schema_path);
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known = self.known_keys(error);
                unexpected
                    .iter()
                    .map(|key| {
                        let at = file.locate(&join(&pointer, key), Target::Key);
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_KEY,
                            format!("unknown key `{key}`{}", in_place(&here)),
                        )
                        .at(at);
                        match suggest::closest(key, known.iter().map(String::as_str)) {
                            Some(close) => {
                                d = d
                                    .with_label(format!("did you mean `{close}`?"))
                                    .with_help(format!("did you mean `{close}`?"));
                            }
                            None => d = d.with_label("not a key here"),
                        }
                        if !known.is_empty() {
                            d = d.with_note(format!("expected one of {}", quoted_list(&known)));
                        }
                        d
                    })
                    .collect()
            }
            ValidationErrorKind::Required { property } => {
                let key = property.as_str().unwrap_or_default();
                let place = if here.is_empty() {
                    "the file".to_string()
                } else {
                    format!("`{here}`")
                };
                let mut d = Diagnostic::error(
                    codes::MISSING_KEY,
                    format!("missing key `{key}` in {place}"),
                )
                .at(file.locate(&pointer, Target::Value))
                .with_label(format!("`{key}` is required here"));
                if let Some(description) = parent
                    .and_then(|p| p.get("properties"))
                    .and_then(|p| p.get(key))
                    .and_then(|p| p.get("description"))
                    .and_then(Value::as_str)
                {
                    d = d.with_note(format!("`{key}`: {}", first_sentence(description)));
                }
                vec![d]
            }
            ValidationErrorKind::Type { kind } => {
                let expected = type_names(kind);
                let found = value_kind(instance);
                let mut d = Diagnostic::error(
                    codes::WRONG_TYPE,
                    format!("expected {expected}, found {found}{}", in_place(&here)),
                )
                .at(file.locate(&pointer, Target::Value))
                .with_label(format!("expected {expected}"));
                // `status: [SUCCEEDED]` where one value goes: say how to write it.
                if let Some([one]) = instance.as_array().map(Vec::as_slice)
                    && !one.is_array()
                    && !one.is_object()
                {
                    d = d.with_help(format!(
                        "one value goes here: write `{}` without the brackets",
                        scalar_text(one)
                    ));
                }
                vec![d]
            }
            ValidationErrorKind::Enum { options } => {
                let options: Vec<String> = options
                    .as_array()
                    .map(|o| o.iter().map(scalar_text).collect())
                    .unwrap_or_default();
                let written = scalar_text(instance);
                let mut d = Diagnostic::error(
                    codes::NOT_ALLOWED,
                    format!(
                        "unknown {} `{written}`{}",
                        field_of(&pointer),
                        in_place(&here)
                    ),
                )
                .at(file.locate(&pointer, Target::Value))
                .with_label(format!("expected one of {}", quoted_list(&options)));
                if let Some(close) = suggest::closest(&written, options.iter().map(String::as_str))
                {
                    d = d.with_help(format!("did you mean `{close}`?"));
                }
                vec![d]
            }
            ValidationErrorKind::Pattern { pattern } => {
                let written = scalar_text(instance);
                let what = pattern_meaning(pattern);
                let mut d = Diagnostic::error(
                    codes::BAD_FORMAT,
                    format!("`{written}` is not {what}{}", in_place(&here)),
                )
                .at(file.locate(&pointer, Target::Value))
                .with_label(format!("expected {what}"));
                if pattern == patterns::NAME || pattern == patterns::ALIAS {
                    let fixed = fix_name(&written);
                    if !fixed.is_empty() && fixed != written {
                        d = d.with_help(format!("try `{fixed}`"));
                    }
                } else if (pattern == patterns::ACCOUNT_ID || pattern == patterns::ACCOUNT_REF)
                    && written.bytes().all(|b| b.is_ascii_digit())
                {
                    d = d.with_help(format!(
                        "an account id has exactly 12 digits; `{written}` has {}",
                        written.len()
                    ));
                } else if pattern == patterns::DURATION {
                    d = d.with_help("write a number and a unit (d, h, m, s), largest unit first, e.g. `30m`, `6h`, `1h30m`");
                } else if let Some(help) = id_help(pattern, &written) {
                    d = d.with_help(help);
                }
                vec![d.with_note(format!("the pattern is `{pattern}`"))]
            }
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => {
                vec![range(
                    file,
                    &pointer,
                    &here,
                    instance,
                    format!("at least {limit}"),
                )]
            }
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => {
                vec![range(
                    file,
                    &pointer,
                    &here,
                    instance,
                    format!("at most {limit}"),
                )]
            }
            ValidationErrorKind::MinItems { limit } => vec![
                Diagnostic::error(
                    codes::OUT_OF_RANGE,
                    format!(
                        "`{here}` needs at least {limit} {}",
                        plural(*limit, "entry", "entries")
                    ),
                )
                .at(file.locate(&pointer, Target::Value))
                .with_label("this list is empty"),
            ],
            ValidationErrorKind::MaxItems { limit } => vec![
                Diagnostic::error(
                    codes::OUT_OF_RANGE,
                    format!(
                        "`{here}` has more than {limit} {}",
                        plural(*limit, "entry", "entries")
                    ),
                )
                .at(file.locate(&pointer, Target::Value)),
            ],
            ValidationErrorKind::MinLength { limit } => vec![
                Diagnostic::error(
                    codes::OUT_OF_RANGE,
                    format!(
                        "`{here}` must have at least {limit} {}",
                        plural(*limit, "character", "characters")
                    ),
                )
                .at(file.locate(&pointer, Target::Value))
                .with_label("too short"),
            ],
            ValidationErrorKind::MaxLength { limit } => vec![
                Diagnostic::error(
                    codes::OUT_OF_RANGE,
                    format!(
                        "`{here}` must have at most {limit} {}",
                        plural(*limit, "character", "characters")
                    ),
                )
                .at(file.locate(&pointer, Target::Value))
                .with_label("too long"),
            ],
            _ => vec![
                Diagnostic::error(codes::SCHEMA, format!("{error}{}", in_place(&here)))
                    .at(file.locate(&pointer, Target::Value)),
            ],
        }
    }
}

/// What the value at `pointer` is, for a message: its key (`status` for
/// `/trigger/executions/allOf/0/status/0`), or `value` at the top.
fn field_of(pointer: &str) -> String {
    pointer
        .rsplit('/')
        .find(|s| !s.is_empty() && !s.bytes().all(|b| b.is_ascii_digit()))
        .map_or_else(
            || "value".to_string(),
            |s| s.replace("~1", "/").replace("~0", "~"),
        )
}

fn range(
    file: &SourceFile,
    pointer: &str,
    here: &str,
    instance: &Value,
    bound: String,
) -> Diagnostic {
    Diagnostic::error(
        codes::OUT_OF_RANGE,
        format!(
            "`{}` is out of range{}",
            scalar_text(instance),
            in_place(here)
        ),
    )
    .at(file.locate(pointer, Target::Value))
    .with_label(format!("expected {bound}"))
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

fn wants_string(kind: &TypeKind) -> bool {
    match kind {
        TypeKind::Single(t) => *t == JsonType::String,
        TypeKind::Multiple(set) => set.contains(JsonType::String),
    }
}

fn type_names(kind: &TypeKind) -> String {
    let names: Vec<&str> = match kind {
        TypeKind::Single(t) => vec![type_name(*t)],
        TypeKind::Multiple(set) => set.iter().map(type_name).collect(),
    };
    names.join(" or ")
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "`true` or `false`",
        JsonType::Integer => "a whole number",
        JsonType::Null => "nothing",
        JsonType::Number => "a number",
        JsonType::Object => "a map of keys and values",
        JsonType::String => "text",
    }
}

fn value_kind(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the text `{}`", shorten(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => shorten(s),
        other => shorten(&other.to_string()),
    }
}

fn shorten(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    if first.chars().count() > 60 || first.len() != s.len() {
        let cut: String = first.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s.to_string()
    }
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}

fn in_place(here: &str) -> String {
    if here.is_empty() {
        String::new()
    } else {
        format!(" in `{here}`")
    }
}

fn first_sentence(text: &str) -> String {
    let end = text.find(". ").map_or(text.len(), |i| i + 1);
    text[..end].trim_end_matches('.').to_string()
}

fn join(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// A JSON pointer as people read it: `/steps/1/dependsOn/0` → `steps[1].dependsOn[0]`.
pub(crate) fn human_path(pointer: &str) -> String {
    let mut out = String::new();
    for segment in parse_pointer(pointer) {
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// The schema object that holds the keyword at `keyword_path`, following `$ref`s.
fn schema_parent<'a>(schema: &'a Value, keyword_path: &str) -> Option<&'a Value> {
    let mut segments = parse_pointer(keyword_path);
    segments.pop();
    let mut node = schema;
    for segment in segments {
        node = if segment == "$ref" {
            let target = node.get("$ref")?.as_str()?.strip_prefix('#')?;
            schema.pointer(target)?
        } else {
            match node {
                Value::Object(map) => map.get(&segment)?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            }
        };
    }
    // A `$ref` at the end resolves to its target, whose keys are what was checked.
    if let Some(target) = node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        return schema.pointer(target);
    }
    Some(node)
}

/// What a pattern asks for, in words.
fn pattern_meaning(pattern: &str) -> String {
    let known = [
        (
            patterns::NAME,
            "a valid name (lowercase letters, digits and `-`, starting with a letter, at most 63 characters)",
        ),
        (
            patterns::ALIAS,
            "a valid account alias (lowercase letters, digits and `-`, starting with a letter, at most 40 characters)",
        ),
        (patterns::ACCOUNT_ID, "a 12-digit account id"),
        (
            patterns::ACCOUNT_REF,
            "an account alias or a 12-digit account id",
        ),
        (patterns::REGION, "an AWS region such as `eu-west-1`"),
        (
            patterns::DURATION,
            "a duration such as `30m`, `6h` or `1h30m`",
        ),
        (
            patterns::S3_URI,
            "an S3 location such as `s3://bucket/prefix/` (bucket names have 3 to 63 lowercase letters, digits, `.` and `-`)",
        ),
        (
            patterns::ORGANIZATION_ID,
            "an AWS Organizations id (`o-` and 10 to 32 lowercase letters or digits, e.g. `o-a1b2c3d4e5`)",
        ),
        (
            patterns::CDK_QUALIFIER,
            "a CDK qualifier (at most 10 letters, digits, `_` or `-`)",
        ),
        (
            patterns::RELEASE_LABEL,
            "an EMR release label such as `emr-7.5.0`",
        ),
        (patterns::SECRET_NAME, "a Secrets Manager secret name"),
        (
            patterns::INSTANCE_TYPE,
            "an instance type such as `m5.xlarge`",
        ),
        (
            patterns::VPC_ID,
            "a VPC id (`vpc-` and 8 or 17 lowercase hex digits, e.g. `vpc-0a1b2c3d`)",
        ),
        (
            patterns::SUBNET_ID,
            "a subnet id (`subnet-` and 8 or 17 lowercase hex digits, e.g. `subnet-0a1b2c3d`)",
        ),
        (
            patterns::KMS_KEY_ARN,
            "a KMS key ARN (`arn:aws:kms:<region>:<account id>:key/<key id>`)",
        ),
        (
            patterns::POLICY_ARN,
            "an IAM managed policy ARN (`arn:aws:iam::<account id or aws>:policy/<path/name>`)",
        ),
        (
            patterns::JAVA_CLASS,
            "a Java class name such as `com.example.Job`",
        ),
        (patterns::BUS_NAME, "an event bus name"),
    ];
    known.iter().find(|(p, _)| *p == pattern).map_or_else(
        || "of the expected form".to_string(),
        |(_, m)| m.to_string(),
    )
}

/// Why an AWS id or ARN does not match, where a common slip explains it.
fn id_help(pattern: &str, written: &str) -> Option<String> {
    let hex_id = |prefix: &str, what: &str| {
        let digits = written.strip_prefix(prefix)?;
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_hexdigit()) {
            if digits.chars().any(|c| c.is_ascii_uppercase()) {
                return Some(format!(
                    "AWS writes {what} ids in lowercase: `{prefix}{}`",
                    digits.to_ascii_lowercase()
                ));
            }
            return Some(format!(
                "`{written}` has {} hex digits after `{prefix}`; {what} ids have 8 or 17",
                digits.len()
            ));
        }
        None
    };
    if pattern == patterns::VPC_ID {
        hex_id("vpc-", "VPC")
    } else if pattern == patterns::SUBNET_ID {
        hex_id("subnet-", "subnet")
    } else if pattern == patterns::KMS_KEY_ARN && written.contains(":alias/") {
        Some(
            "IAM grants the use of a key by the key's ARN, never by an alias ARN: use the ARN of the key the alias points to".to_string(),
        )
    } else if pattern == patterns::ORGANIZATION_ID
        && written.starts_with("o-")
        && written.chars().any(|c| c.is_ascii_uppercase())
    {
        Some(format!(
            "AWS writes organization ids in lowercase: `{}`",
            written.to_ascii_lowercase()
        ))
    } else if pattern == patterns::ORGANIZATION_ID && written.starts_with("r-") {
        Some(
            "`r-…` is the id of the organization's root; use the organization's id `o-…`"
                .to_string(),
        )
    } else {
        None
    }
}

/// A name made valid: lowercase, `_` and spaces to `-`, other characters dropped.
fn fix_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .filter_map(|c| match c {
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'a'..='z' | '0'..='9' | '-' => Some(c),
            '_' | ' ' | '.' => Some('-'),
            _ => None,
        })
        .collect();
    while out.starts_with(|c: char| !c.is_ascii_lowercase()) && !out.is_empty() {
        out.remove(0);
    }
    out.chars().take(63).collect()
}
