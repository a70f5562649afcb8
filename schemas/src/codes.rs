//! The diagnostic codes of the pipeline language. Codes are stable: each has a fixture
//! under `snapshots/fixtures/invalid/` and a snapshot of its rendered message.
//!
//! `DM01xx`: reading the files, YAML and types (what the JSON Schema says).
//! `DM02xx`: the rules no schema can say, inside a file and across the organisation.

/// The YAML is not well-formed.
pub const YAML_SYNTAX: &str = "DM0101";
/// A file cannot be read.
pub const READ_FAILED: &str = "DM0102";
/// A key the language does not have (with a did-you-mean).
pub const UNKNOWN_KEY: &str = "DM0103";
/// A required key is missing.
pub const MISSING_KEY: &str = "DM0104";
/// A value of the wrong type (a list where a map belongs, text where a number belongs).
pub const WRONG_TYPE: &str = "DM0105";
/// A value that is not one of the allowed ones (with a did-you-mean).
pub const NOT_ALLOWED: &str = "DM0106";
/// A text that does not have the required form (names, ids, regions, ARNs).
pub const BAD_FORMAT: &str = "DM0107";
/// A number out of range, or a list or text too short or too long.
pub const OUT_OF_RANGE: &str = "DM0108";
/// The same key twice in one map.
pub const DUPLICATE_KEY: &str = "DM0109";
/// A file larger than dpc reads.
pub const FILE_TOO_LARGE: &str = "DM0110";
/// Nesting deeper than dpc reads.
pub const TOO_DEEP: &str = "DM0111";
/// Aliases that expand to more nodes than dpc reads (an "alias bomb").
pub const ALIAS_BOMB: &str = "DM0112";
/// A file that is empty or holds only comments.
pub const EMPTY_FILE: &str = "DM0113";
/// A file that is not UTF-8.
pub const NOT_UTF8: &str = "DM0114";
/// YAML the language does not use: tags, non-text keys, several documents, merge keys.
pub const UNSUPPORTED_YAML: &str = "DM0115";
/// No `platform.yaml` in PATH or above it.
pub const NO_PLATFORM: &str = "DM0116";
/// Any other schema violation.
pub const SCHEMA: &str = "DM0117";
/// A control character (C0 other than tab and line ends, DEL, C1) or a bidirectional
/// control (which can make text read differently from what it is) in a file.
pub const CONTROL_CHARACTER: &str = "DM0118";

/// `dependsOn` names a step the pipeline does not have.
pub const UNKNOWN_DEPENDENCY: &str = "DM0201";
/// Two steps with one name.
pub const DUPLICATE_STEP: &str = "DM0202";
/// Steps that depend on each other in a cycle.
pub const STEP_CYCLE: &str = "DM0203";
/// A cron expression EventBridge would reject.
pub const BAD_CRON: &str = "DM0204";
/// A time zone that is not in the IANA database.
pub const UNKNOWN_TIMEZONE: &str = "DM0205";
/// A duration that cannot be read, or is zero.
pub const BAD_DURATION: &str = "DM0206";
/// A duration beyond what AWS allows.
pub const DURATION_TOO_LONG: &str = "DM0207";
/// A step timeout longer than the pipeline's.
pub const STEP_TIMEOUT_EXCEEDS_RUN: &str = "DM0208";
/// A log retention CloudWatch Logs does not offer.
pub const BAD_LOG_RETENTION: &str = "DM0209";
/// An email address that is not one.
pub const BAD_EMAIL: &str = "DM0210";
/// A notification target with the wrong fields for its channel (OpsGenie only through
/// `secretName`).
pub const BAD_TARGET: &str = "DM0211";
/// A `{{…}}` macro dpc does not fill in.
pub const UNKNOWN_MACRO: &str = "DM0212";
/// A local script that does not exist, or is not a regular file dpc reads (a FIFO, a
/// folder, a file over the size limit).
pub const SCRIPT_NOT_FOUND: &str = "DM0213";
/// A jar without `mainClass`.
pub const JAR_WITHOUT_MAIN_CLASS: &str = "DM0214";
/// `onStatus` with `FULL_EXECUTION`.
pub const ON_STATUS_WITH_FULL_EXECUTION: &str = "DM0215";
/// A tag key starting with `aws:` or `dpc:`, or a tag key or value of the wrong length.
pub const RESERVED_TAG: &str = "DM0216";
/// A name that does not match its pattern (account aliases).
pub const BAD_NAME: &str = "DM0217";
/// One account id under two aliases.
pub const DUPLICATE_ACCOUNT_ID: &str = "DM0218";
/// An account not listed in platform.yaml.
pub const UNKNOWN_ACCOUNT: &str = "DM0219";
/// A condition entry that is neither a complete item nor a group with `allOf`/`anyOf`.
pub const BAD_CONDITION: &str = "DM0220";
/// No `releaseLabel` in the pipeline or in platform.yaml's defaults.
pub const NO_RELEASE_LABEL: &str = "DM0221";
/// A trigger with none or several of schedule, cron and executions.
pub const BAD_TRIGGER: &str = "DM0222";
/// A Slack channel that is not `#name`, `name` or a channel id.
pub const BAD_SLACK_CHANNEL: &str = "DM0223";
/// An `access` S3 location the cluster role cannot be granted as written: `*`, `?` or
/// `${` in the key prefix (IAM would read a wildcard or a variable), or a bucket name S3
/// does not allow.
pub const BAD_ACCESS_LOCATION: &str = "DM0224";
/// A local script (or any local file a pipeline ships) outside the project folder:
/// through `..`, an absolute path elsewhere, or a link pointing out.
pub const SCRIPT_OUTSIDE_PROJECT: &str = "DM0225";
/// More tags than CloudFormation allows on a stack (with dpc's own).
pub const TOO_MANY_TAGS: &str = "DM0226";
/// A description longer than the stack description CloudFormation takes allows.
pub const DESCRIPTION_TOO_LONG: &str = "DM0227";
/// A condition with more items, or groups nested deeper, than the central dependency
/// API accepts ([`dpc_model::contract::api::MAX_CONDITION_ITEMS`],
/// [`dpc_model::contract::api::MAX_CONDITION_DEPTH`]).
pub const CONDITION_TOO_LARGE: &str = "DM0228";
/// A target's `events` that cannot apply: Slack targets of one pipeline that disagree
/// (they share one subscription), `FULL_EXECUTION` on a target of a `PIPELINE_STATUS`
/// pipeline (a warning: nothing more is sent), or `events` on platform.yaml's
/// `alerts.targets` (alarms are not pipeline messages).
pub const BAD_TARGET_EVENTS: &str = "DM0229";
/// A condition on a pipeline that does not exist (an error for the whole organisation,
/// a warning for one project).
pub const UNKNOWN_UPSTREAM: &str = "DM0230";
/// Two pipelines with one name in one account.
pub const DUPLICATE_PIPELINE: &str = "DM0231";
/// Pipelines that trigger each other in a cycle.
pub const PIPELINE_CYCLE: &str = "DM0232";
/// A pipeline whose condition names itself.
pub const SELF_DEPENDENCY: &str = "DM0233";
/// No `pipeline.yaml` under PATH.
pub const NO_PIPELINES: &str = "DM0234";
/// An S3 location or KMS key of another account (a warning): dpc grants the pipeline's
/// roles, but the other account's bucket policy or key policy must allow them too, and
/// dpc writes nothing there.
pub const OTHER_ACCOUNT_ACCESS: &str = "DM0235";
/// A scenario event naming a pipeline the organisation does not have.
pub const SCENARIO_UNKNOWN_PIPELINE: &str = "DM0240";
/// A scenario event time that is not RFC 3339 with an offset.
pub const SCENARIO_BAD_TIME: &str = "DM0241";
