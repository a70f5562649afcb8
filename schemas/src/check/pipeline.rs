//! `pipeline.yaml`: its rules, and its resolution against the platform.

use super::platform::unknown_account;
use super::{FileCheck, at, cron, graph};
use crate::codes;
use crate::model::{
    ChannelName, ClusterFile, ConditionEntryFile, ExecutionsFile, MarketName, NotificationTypeName,
    NotificationsFile, OperatorName, PipelineFile, StatusName, StepFile, TargetFile, TriggerFile,
    WeekDayName,
};
use crate::resolved::{
    Access, BootstrapAction, Cluster, EmrConfiguration, HiveMetastore, InstanceGroup, Market,
    NotificationTarget, NotificationType, Notifications, Pipeline, Platform, Schedule, Script,
    SourcePlaces, Step, Target, Trigger, WeekDay,
};
use crate::source::Target as At;
use crate::steps::{StepContext, StepRegistry};
use crate::suggest;
use dpc_core::Diagnostic;
use dpc_model::contract::api::{MAX_CONDITION_DEPTH, MAX_CONDITION_ITEMS};
use dpc_model::{
    Condition, ConditionItem, ConditionNode, Duration, ExecutionsTrigger, Operator, PipelineId,
    Status,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Tags on one stack (CloudFormation's CreateStack takes at most 50), which are also
/// every resource's tags (most services take 50 per resource).
pub const MAX_TAGS: usize = 50;

/// Bytes of a stack description (CloudFormation's template `Description`).
const MAX_STACK_DESCRIPTION_BYTES: usize = 1024;

/// Checks and resolves one `pipeline.yaml` against the platform.
pub(crate) fn resolve(
    file: &PipelineFile,
    platform: &Platform,
    registry: &StepRegistry,
    project_dir: &Path,
    lenient: bool,
    cx: &mut FileCheck<'_>,
) -> Option<Pipeline> {
    let account = platform.account(&file.account).cloned();
    if account.is_none() && !lenient {
        cx.push(
            unknown_account(&file.account, platform),
            "/account",
            At::Value,
        );
    }

    let mut tags = indexmap::IndexMap::new();
    for (key, value) in file.tags.iter().flatten() {
        let pointer = at("/tags", key);
        if key.starts_with("dpc:") {
            cx.push(
                Diagnostic::error(
                    codes::RESERVED_TAG,
                    format!("tag key `{key}` starts with `dpc:`"),
                )
                .with_label("reserved for dpc")
                .with_help(
                    "dpc sets `dpc:pipeline` and `dpc:owner` itself (from `name` and `owner`); \
                     choose another key",
                ),
                &pointer,
                At::Key,
            );
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            cx.push(
                Diagnostic::error(
                    codes::RESERVED_TAG,
                    format!("tag key `{key}` starts with `aws:`"),
                )
                .with_label("reserved for AWS")
                .with_help("AWS reserves the `aws:` prefix; choose another key"),
                &pointer,
                At::Key,
            );
        } else if key.is_empty() || key.chars().count() > 128 {
            cx.push(
                Diagnostic::error(
                    codes::RESERVED_TAG,
                    format!("tag key `{key}` must have 1 to 128 characters"),
                ),
                &pointer,
                At::Key,
            );
        } else if value.chars().count() > 256 {
            cx.push(
                Diagnostic::error(
                    codes::RESERVED_TAG,
                    format!("the value of tag `{key}` is longer than 256 characters"),
                ),
                &pointer,
                At::Value,
            );
        } else if value.is_empty() {
            // Stack tags reach CloudFormation's CreateStack, whose Tag values have at
            // least one character: the deploy would fail, not the synth.
            cx.push(
                Diagnostic::error(
                    codes::RESERVED_TAG,
                    format!("the value of tag `{key}` is empty"),
                )
                .with_label("CloudFormation's stack tags need a value of 1 to 256 characters"),
                &pointer,
                At::Value,
            );
        }
        tags.insert(key.clone(), value.clone());
    }
    // The stack's description is `dpc pipeline NAME: DESCRIPTION`, and CloudFormation
    // takes 1,024 bytes: past that, synth (and the deploy) would fail, unplaced.
    if let Some(description) = &file.description {
        let stack = format!("dpc pipeline {}: {description}", file.name).len();
        if stack > MAX_STACK_DESCRIPTION_BYTES {
            cx.push(
                Diagnostic::error(
                    codes::DESCRIPTION_TOO_LONG,
                    format!(
                        "the description is {} bytes; with dpc's `dpc pipeline {}: ` before it, the stack's is {stack}, and CloudFormation allows {MAX_STACK_DESCRIPTION_BYTES}",
                        description.len(),
                        file.name
                    ),
                )
                .with_label(format!(
                    "at most {} bytes here",
                    MAX_STACK_DESCRIPTION_BYTES.saturating_sub(stack - description.len())
                )),
                "/description",
                At::Value,
            );
        }
    }
    // The stack's tags are every resource's tags too; dpc adds its own.
    let own = 1 + usize::from(file.owner.is_some());
    if tags.len() + own > MAX_TAGS {
        cx.push(
            Diagnostic::error(
                codes::TOO_MANY_TAGS,
                format!(
                    "{} tags, and dpc adds {own} of its own (`dpc:pipeline`{}): {} in all, \
                     and CloudFormation allows {MAX_TAGS} on a stack",
                    tags.len(),
                    if own == 2 { ", `dpc:owner`" } else { "" },
                    tags.len() + own
                ),
            )
            .with_label(format!("at most {} tags here", MAX_TAGS - own))
            .with_note("the stack's tags are set on every resource of the pipeline's stack"),
            "/tags",
            At::Key,
        );
    }

    let timeout = match &file.timeout {
        Some(t) => cx.duration(&t.0, "/timeout", "timeout", Pipeline::MAX_TIMEOUT),
        None => Some(Pipeline::DEFAULT_TIMEOUT),
    };

    let trigger = file
        .trigger
        .as_ref()
        .map_or(Some(Trigger::Manual), |t| trigger(t, platform, lenient, cx));

    let steps = steps(&file.steps, &file.name, timeout, registry, project_dir, cx);
    let cluster = cluster(
        file.cluster.as_ref(),
        platform,
        lenient,
        &file.steps,
        registry,
        project_dir,
        cx,
    );
    let notifications = notifications(file.notifications.as_ref(), cx);

    let access = file.access.clone().unwrap_or_default();
    for (list, locations) in [("read", &access.read), ("write", &access.write)] {
        for (i, location) in locations.iter().flatten().enumerate() {
            if let Some(problem) = access_location_problem(location) {
                cx.push(
                    Diagnostic::error(
                        codes::BAD_ACCESS_LOCATION,
                        format!("`{location}` cannot be granted as written: {problem}"),
                    )
                    .with_label(problem.label())
                    .with_help(problem.help()),
                    &format!("/access/{list}/{i}"),
                    At::Value,
                );
            }
        }
    }
    if let Some(own) = &account {
        other_account_access(file, own, platform, cx);
    }
    let access = Access {
        read: access.read.unwrap_or_default(),
        write: access.write.unwrap_or_default(),
        glue_databases: access.glue_databases.unwrap_or_default(),
        kms_keys: access.kms_keys.unwrap_or_default(),
    };

    if cx.has_errors() {
        return None;
    }
    Some(Pipeline {
        name: file.name.clone(),
        account: account?,
        description: file.description.clone(),
        owner: file.owner.clone(),
        tags,
        enabled: file.enabled.unwrap_or(true),
        timeout: timeout?,
        trigger: trigger?,
        cluster: cluster?,
        access,
        steps: steps?,
        notifications: notifications?,
        source_dir: project_dir.to_path_buf(),
        file: cx.file.path.clone(),
        places: places(cx),
    })
}

/// Where the file's top-level keys are.
fn places(cx: &FileCheck<'_>) -> SourcePlaces {
    let mut places = SourcePlaces::default();
    if let crate::tree::NodeValue::Map(entries) = &cx.file.root.value {
        for entry in entries {
            places.insert(entry.key.clone(), cx.file.location(entry.key_span));
        }
    }
    places
}

// ---------------------------------------------------------------- access across accounts

/// Warns at each S3 location in another account's dpc artifacts bucket and each KMS
/// key of another account: the pipeline's roles are granted, but IAM also asks the
/// resource's own policy in the other account, which dpc does not write (the artifacts
/// bucket and its key admit their own account only), so the run would fail with
/// AccessDenied.
fn other_account_access(
    file: &PipelineFile,
    own: &crate::resolved::Account,
    platform: &Platform,
    cx: &mut FileCheck<'_>,
) {
    let mut found: Vec<(String, String)> = Vec::new();
    for (i, step) in file.steps.iter().enumerate() {
        for (key, value) in &step.fields {
            let here = at(&format!("/steps/{i}"), key);
            match value {
                serde_json::Value::String(text) => found.push((text.clone(), here)),
                serde_json::Value::Array(items) => {
                    for (j, item) in items.iter().enumerate() {
                        if let Some(text) = item.as_str() {
                            found.push((text.to_owned(), format!("{here}/{j}")));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(cluster) = &file.cluster {
        for (i, action) in cluster.bootstrap_actions.iter().flatten().enumerate() {
            found.push((
                action.script.clone(),
                format!("/cluster/bootstrapActions/{i}/script"),
            ));
        }
        configuration_values(
            cluster.configurations.as_deref().unwrap_or_default(),
            "/cluster/configurations",
            &mut found,
        );
    }
    if let Some(access) = &file.access {
        for (list, locations) in [("read", &access.read), ("write", &access.write)] {
            for (i, location) in locations.iter().flatten().enumerate() {
                found.push((location.clone(), format!("/access/{list}/{i}")));
            }
        }
    }
    for (text, pointer) in found {
        for uri in crate::resolved::s3_locations_in(&text) {
            let bucket = uri["s3://".len()..].split('/').next().unwrap_or_default();
            let Some((owner, _)) = artifacts_bucket_owner(bucket) else {
                continue;
            };
            if owner == own.id {
                continue;
            }
            let whose = account_named(platform, owner);
            cx.push(
                Diagnostic::warning(
                    codes::OTHER_ACCOUNT_ACCESS,
                    format!(
                        "`{uri}` is in the artifacts bucket of {whose}: this pipeline runs in account `{}` ({}), and that bucket and its KMS key admit their own account only",
                        own.alias, own.id
                    ),
                )
                .with_label("the run would fail with AccessDenied here")
                .with_help("ship the file with this pipeline (a local path) or copy it to a bucket of this account"),
                &pointer,
                At::Value,
            );
        }
    }
    let keys = file.access.as_ref().and_then(|a| a.kms_keys.as_ref());
    for (i, key) in keys.into_iter().flatten().enumerate() {
        let Some(owner) = key.split(':').nth(4).filter(|o| o.len() == 12) else {
            continue;
        };
        if owner == own.id {
            continue;
        }
        let whose = account_named(platform, owner);
        cx.push(
            Diagnostic::warning(
                codes::OTHER_ACCOUNT_ACCESS,
                format!(
                    "KMS key `{key}` belongs to {whose}: dpc grants this pipeline's roles kms:Decrypt on it, but the key's own policy must allow account {} too",
                    own.id
                ),
            )
            .with_label("dpc cannot write that key policy")
            .with_help(format!(
                "ask the key's owners to allow account {} (kms:Decrypt, kms:GenerateDataKey) in its key policy",
                own.id
            )),
            &format!("/access/kmsKeys/{i}"),
            At::Value,
        );
    }
}

/// "account `alias` (id)" for an account of the platform, "account id" for another.
fn account_named(platform: &Platform, id: &str) -> String {
    platform.account_by_id(id).map_or_else(
        || format!("account {id}"),
        |a| format!("account `{}` ({id})", a.alias),
    )
}

/// Every property value of `configurations` (and their nested ones), with its pointer.
fn configuration_values(
    configurations: &[crate::model::EmrConfigurationFile],
    pointer: &str,
    out: &mut Vec<(String, String)>,
) {
    for (i, c) in configurations.iter().enumerate() {
        let here = format!("{pointer}/{i}");
        for (key, value) in c.properties.iter().flatten() {
            out.push((value.clone(), at(&format!("{here}/properties"), key)));
        }
        configuration_values(
            c.configurations.as_deref().unwrap_or_default(),
            &format!("{here}/configurations"),
            out,
        );
    }
}

/// The account id and region of a dpc artifacts bucket's name
/// (`dpc-artifacts-<account id>-<region>`); `None` for any other bucket.
fn artifacts_bucket_owner(bucket: &str) -> Option<(&str, &str)> {
    let rest = bucket.strip_prefix("dpc-artifacts-")?;
    let (id, region) = rest.split_once('-')?;
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) && !region.is_empty())
        .then_some((id, region))
}

// ---------------------------------------------------------------- trigger

fn trigger(
    t: &TriggerFile,
    platform: &Platform,
    lenient: bool,
    cx: &mut FileCheck<'_>,
) -> Option<Trigger> {
    let short =
        t.hour.is_some() || t.minute.is_some() || t.week_days.is_some() || t.timezone.is_some();
    let mut forms: Vec<&str> = Vec::new();
    if short {
        forms.push(if t.hour.is_some() {
            "hour"
        } else if t.minute.is_some() {
            "minute"
        } else if t.week_days.is_some() {
            "weekDays"
        } else {
            "timezone"
        });
    }
    if t.schedule.is_some() {
        forms.push("schedule");
    }
    if t.cron.is_some() {
        forms.push("cron");
    }
    if t.executions.is_some() {
        forms.push("executions");
    }
    match forms.len() {
        0 => {
            cx.push(
                Diagnostic::error(codes::BAD_TRIGGER, "`trigger` names no trigger")
                    .with_label("expected `schedule`, `hour`, `cron` or `executions`")
                    .with_help("remove `trigger` for a pipeline started only by hand"),
                "/trigger",
                At::Value,
            );
            return None;
        }
        1 => {}
        _ => {
            let shown: Vec<String> = forms.iter().map(|f| format!("`{f}`")).collect();
            cx.push(
                Diagnostic::error(
                    codes::BAD_TRIGGER,
                    format!(
                        "`trigger` has more than one kind of trigger: {}",
                        shown.join(", ")
                    ),
                )
                .with_label("a second trigger")
                .with_help(
                    "a pipeline has exactly one of a schedule, a cron expression and executions",
                ),
                &at("/trigger", forms[1]),
                At::Key,
            );
            return None;
        }
    }
    if short {
        let Some(hour) = t.hour else {
            cx.push_missing(
                Diagnostic::error(codes::MISSING_KEY, "missing key `hour` in `trigger`")
                    .with_label("a schedule needs `hour`")
                    .with_help("add `hour: 3` (0–23), or write `schedule: { hour: 3, … }`"),
                "/trigger",
                "hour",
            );
            return None;
        };
        let timezone = timezone(t.timezone.as_deref(), "/trigger/timezone", cx)?;
        return Some(Trigger::Schedule(Schedule {
            hour,
            minute: t.minute.unwrap_or(0),
            week_days: week_days(t.week_days.as_deref()),
            timezone,
        }));
    }
    if let Some(s) = &t.schedule {
        let timezone = timezone(s.timezone.as_deref(), "/trigger/schedule/timezone", cx)?;
        return Some(Trigger::Schedule(Schedule {
            hour: s.hour,
            minute: s.minute.unwrap_or(0),
            week_days: week_days(s.week_days.as_deref()),
            timezone,
        }));
    }
    if let Some(expression) = &t.cron {
        return match cron::check(expression) {
            Ok(()) => Some(Trigger::Cron(cron::unwrap(expression).to_string())),
            Err(e) => {
                cx.push_within(
                    Diagnostic::error(codes::BAD_CRON, format!("invalid cron expression: {}", e.message))
                        .with_label("EventBridge would reject this")
                        .with_note("the fields are: minutes hours day-of-month month day-of-week year, e.g. `0 3 * * ? *`"),
                    "/trigger/cron",
                    e.offset,
                    e.len,
                );
                None
            }
        };
    }
    let executions = t.executions.as_ref()?;
    executions_trigger(executions, platform, lenient, cx).map(Trigger::Executions)
}

fn week_days(days: Option<&[WeekDayName]>) -> Vec<WeekDay> {
    let mut out: Vec<WeekDay> = days
        .unwrap_or_default()
        .iter()
        .map(|d| match d {
            WeekDayName::Mon => WeekDay::Mon,
            WeekDayName::Tue => WeekDay::Tue,
            WeekDayName::Wed => WeekDay::Wed,
            WeekDayName::Thu => WeekDay::Thu,
            WeekDayName::Fri => WeekDay::Fri,
            WeekDayName::Sat => WeekDay::Sat,
            WeekDayName::Sun => WeekDay::Sun,
        })
        .collect();
    out.sort();
    out.dedup();
    // All seven days is every day.
    if out.len() == 7 {
        out.clear();
    }
    out
}

fn timezone(written: Option<&str>, pointer: &str, cx: &mut FileCheck<'_>) -> Option<String> {
    let Some(name) = written else {
        return Some("UTC".to_string());
    };
    if name.parse::<chrono_tz::Tz>().is_ok() {
        return Some(name.to_string());
    }
    let mut d = Diagnostic::error(
        codes::UNKNOWN_TIMEZONE,
        format!("`{name}` is not a time zone"),
    )
    .with_label("expected an IANA time zone such as `Europe/Berlin`");
    let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
    if let Some(close) = suggest::closest(name, names) {
        d = d.with_help(format!("did you mean `{close}`?"));
    }
    cx.push(d, pointer, At::Value);
    None
}

fn executions_trigger(
    e: &ExecutionsFile,
    platform: &Platform,
    lenient: bool,
    cx: &mut FileCheck<'_>,
) -> Option<ExecutionsTrigger> {
    let pointer = "/trigger/executions";
    let within = match &e.within {
        Some(w) => cx.duration(
            &w.0,
            &at(pointer, "within"),
            "within",
            Pipeline::MAX_TIMEOUT,
        ),
        None => Some(Duration::from_secs(24 * 3600)),
    };
    let mut walk = ConditionWalk::default();
    let mut condition = group(
        e.operator,
        e.all_of.as_deref(),
        e.any_of.as_deref(),
        pointer,
        (platform, lenient),
        &mut walk,
        cx,
    );
    if let Some(first_over) = &walk.first_over {
        cx.push(
            Diagnostic::error(
                codes::CONDITION_TOO_LARGE,
                format!(
                    "the condition has {} items; dpc's central dependency API accepts at most {MAX_CONDITION_ITEMS}",
                    walk.items
                ),
            )
            .with_label(format!("item {} and those after it are over the limit", MAX_CONDITION_ITEMS + 1))
            .with_help("let an intermediate pipeline wait for some of these upstreams, and name it here instead"),
            first_over,
            At::Value,
        );
        condition = None;
    }
    Some(ExecutionsTrigger {
        condition: condition?,
        within: within?,
    })
}

/// What the walk over one condition has seen: how deep it is now, how many items it
/// counted, and where the first item over the central API's limit is.
#[derive(Default)]
struct ConditionWalk {
    depth: usize,
    items: usize,
    first_over: Option<String>,
}

fn group(
    operator: Option<OperatorName>,
    all_of: Option<&[ConditionEntryFile]>,
    any_of: Option<&[ConditionEntryFile]>,
    pointer: &str,
    platform: (&Platform, bool),
    walk: &mut ConditionWalk,
    cx: &mut FileCheck<'_>,
) -> Option<Condition> {
    walk.depth += 1;
    let condition = group_at_depth(operator, all_of, any_of, pointer, platform, walk, cx);
    walk.depth -= 1;
    condition
}

fn group_at_depth(
    operator: Option<OperatorName>,
    all_of: Option<&[ConditionEntryFile]>,
    any_of: Option<&[ConditionEntryFile]>,
    pointer: &str,
    platform: (&Platform, bool),
    walk: &mut ConditionWalk,
    cx: &mut FileCheck<'_>,
) -> Option<Condition> {
    if walk.depth > MAX_CONDITION_DEPTH {
        cx.push(
            Diagnostic::error(
                codes::CONDITION_TOO_LARGE,
                format!(
                    "condition groups nest {} levels deep here; dpc's central dependency API accepts at most {MAX_CONDITION_DEPTH}",
                    walk.depth
                ),
            )
            .with_label("this group is too deep")
            .with_help("move this group's items up a level, or let an intermediate pipeline wait for them"),
            pointer,
            At::Value,
        );
        return None;
    }
    if all_of.is_none() && any_of.is_none() {
        cx.push(
            Diagnostic::error(codes::BAD_CONDITION, "a condition group needs `allOf` or `anyOf`")
                .with_label("no conditions here")
                .with_help("list upstream pipelines under `allOf:` (all must hold) or `anyOf:` (one must hold)"),
            pointer,
            At::Value,
        );
        return None;
    }
    let mut ok = true;
    let mut nodes = |entries: Option<&[ConditionEntryFile]>,
                     key: &str,
                     walk: &mut ConditionWalk,
                     cx: &mut FileCheck<'_>| {
        let mut out = Vec::new();
        for (i, entry) in entries.unwrap_or_default().iter().enumerate() {
            match condition_node(entry, &at(&at(pointer, key), i), platform, walk, cx) {
                Some(n) => out.push(n),
                None => ok = false,
            }
        }
        out
    };
    let all_of = nodes(all_of, "allOf", walk, cx);
    let any_of = nodes(any_of, "anyOf", walk, cx);
    ok.then_some(Condition {
        operator: match operator {
            Some(OperatorName::Or) => Operator::Or,
            _ => Operator::And,
        },
        all_of,
        any_of,
    })
}

fn condition_node(
    entry: &ConditionEntryFile,
    pointer: &str,
    platform: (&Platform, bool),
    walk: &mut ConditionWalk,
    cx: &mut FileCheck<'_>,
) -> Option<ConditionNode> {
    let Some(name) = &entry.name else {
        for (field, present) in [
            ("account", entry.account.is_some()),
            ("status", entry.status.is_some()),
        ] {
            if present {
                cx.push(
                    Diagnostic::error(
                        codes::BAD_CONDITION,
                        format!("`{field}` without `name`: a condition item names its pipeline"),
                    )
                    .with_label("this entry has no `name`")
                    .with_help("an item is `{ name, account, status }`; a group is `{ operator, allOf, anyOf }`"),
                    &at(pointer, field),
                    At::Key,
                );
                return None;
            }
        }
        return group(
            entry.operator,
            entry.all_of.as_deref(),
            entry.any_of.as_deref(),
            pointer,
            platform,
            walk,
            cx,
        )
        .map(ConditionNode::Group);
    };
    walk.items += 1;
    if walk.items == MAX_CONDITION_ITEMS + 1 {
        walk.first_over = Some(pointer.to_owned());
    }
    for (field, present) in [
        ("operator", entry.operator.is_some()),
        ("allOf", entry.all_of.is_some()),
        ("anyOf", entry.any_of.is_some()),
    ] {
        if present {
            cx.push(
                Diagnostic::error(
                    codes::BAD_CONDITION,
                    format!("`{field}` in the condition item `{name}`"),
                )
                .with_label("items have no nested conditions")
                .with_help("an item is `{ name, account, status }`; a group is `{ operator, allOf, anyOf }` without `name`"),
                &at(pointer, field),
                At::Key,
            );
            return None;
        }
    }
    let missing = |field: &str, cx: &mut FileCheck<'_>| {
        cx.push_missing(
            Diagnostic::error(
                codes::BAD_CONDITION,
                format!("missing key `{field}` in the condition item `{name}`"),
            )
            .with_label(format!("`{field}` is required here"))
            .with_help("an item is `{ name, account, status }`, e.g. `{ name: listings, account: core-data, status: [SUCCEEDED] }`"),
            pointer,
            field,
        );
    };
    let Some(account) = &entry.account else {
        missing("account", cx);
        return None;
    };
    let Some(status) = &entry.status else {
        missing("status", cx);
        return None;
    };
    let (platform, lenient) = platform;
    let Some(resolved) = platform.account(account) else {
        if !lenient {
            cx.push(
                unknown_account(account, platform),
                &at(pointer, "account"),
                At::Value,
            );
        }
        return None;
    };
    let mut statuses: Vec<Status> = status.iter().map(|s| status_of(*s)).collect();
    statuses.dedup();
    Some(ConditionNode::Item(ConditionItem {
        pipeline: PipelineId::new(resolved.id.clone(), name.clone()),
        status: statuses,
    }))
}

pub(crate) fn status_of(s: StatusName) -> Status {
    match s {
        StatusName::Running => Status::Running,
        StatusName::Succeeded => Status::Succeeded,
        StatusName::Failed => Status::Failed,
        StatusName::TimedOut => Status::TimedOut,
        StatusName::Aborted => Status::Aborted,
    }
}

// ---------------------------------------------------------------- steps

fn steps(
    written: &[StepFile],
    pipeline: &str,
    run_timeout: Option<Duration>,
    registry: &StepRegistry,
    project_dir: &Path,
    cx: &mut FileCheck<'_>,
) -> Option<Vec<Step>> {
    let mut ok = true;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, step) in written.iter().enumerate() {
        if let Some(first) = seen.get(step.name.as_str()) {
            cx.push(
                Diagnostic::error(
                    codes::DUPLICATE_STEP,
                    format!("two steps are named `{}`", step.name),
                )
                .with_label("the second one")
                .with_note(format!("the first is `steps[{first}]`"))
                .with_help("step names are unique within a pipeline"),
                &format!("/steps/{i}/name"),
                At::Value,
            );
            ok = false;
        } else {
            seen.insert(&step.name, i);
        }
    }
    let names: Vec<&str> = written.iter().map(|s| s.name.as_str()).collect();
    let any_depends = written.iter().any(|s| s.depends_on.is_some());
    let mut resolved = Vec::new();
    for (i, step) in written.iter().enumerate() {
        let pointer = format!("/steps/{i}");
        for (j, dep) in step.depends_on.iter().flatten().enumerate() {
            if !seen.contains_key(dep.as_str()) {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_DEPENDENCY,
                    format!("step `{}` depends on unknown step `{dep}`", step.name),
                )
                .with_label(format!("no step with this name in pipeline `{pipeline}`"));
                if let Some(close) = suggest::closest(dep, names.iter().copied()) {
                    d = d.with_help(format!("did you mean `{close}`?"));
                }
                cx.push(d, &format!("{pointer}/dependsOn/{j}"), At::Value);
                ok = false;
            }
        }
        let timeout = match &step.timeout {
            Some(t) => {
                let parsed = cx.duration(
                    &t.0,
                    &format!("{pointer}/timeout"),
                    "step timeout",
                    Pipeline::MAX_TIMEOUT,
                );
                if let (Some(step_timeout), Some(run)) = (parsed, run_timeout)
                    && step_timeout > run
                {
                    cx.push(
                        Diagnostic::error(
                            codes::STEP_TIMEOUT_EXCEEDS_RUN,
                            format!("step `{}` may run {step_timeout}, longer than the pipeline's timeout of {run}", step.name),
                        )
                        .with_label(format!("longer than the pipeline's {run}"))
                        .with_help("raise the pipeline's `timeout` or shorten the step's"),
                        &format!("{pointer}/timeout"),
                        At::Value,
                    );
                    ok = false;
                }
                if parsed.is_none() {
                    ok = false;
                }
                parsed
            }
            None => None,
        };
        let Some(kind) = registry.get(&step.kind) else {
            // The schema lists the registered kinds, so it has already said so.
            ok = false;
            continue;
        };
        let fields: serde_json::Map<String, serde_json::Value> = step
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut problems = Vec::new();
        let config = kind.resolve(
            &fields,
            &StepContext {
                project_dir,
                pipeline,
                step: &step.name,
            },
            &mut problems,
        );
        for problem in problems {
            let inner = format!("{pointer}{}", problem.pointer);
            let d = problem.diagnostic;
            let at = if let Some(offset) = macro_offset(&d, &inner, cx) {
                cx.file.locate_within(&inner, offset.0, offset.1)
            } else {
                cx.file.locate(&inner, At::Value)
            };
            cx.push_located(d.at(at), &inner);
        }
        let Some(config) = config else {
            ok = false;
            continue;
        };
        let depends_on = if any_depends {
            step.depends_on.clone().unwrap_or_default()
        } else if i > 0 {
            vec![written[i - 1].name.clone()]
        } else {
            Vec::new()
        };
        resolved.push(Step {
            name: step.name.clone(),
            type_name: step.kind.clone(),
            depends_on,
            timeout,
            retries: step.retries.unwrap_or(0),
            config,
        });
    }
    if ok && any_depends {
        let edges: Vec<(usize, usize)> = written
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                let seen = &seen;
                s.depends_on
                    .iter()
                    .flatten()
                    .filter_map(move |d| seen.get(d.as_str()).map(|&j| (i, j)))
            })
            .collect();
        for cycle in graph::cycles(names.len(), &edges) {
            let first = cycle[0];
            let last = cycle[cycle.len() - 1];
            let shown: Vec<String> = cycle
                .iter()
                .chain([&first])
                .map(|&i| format!("`{}`", names[i]))
                .collect();
            // Point at the dependency that closes the loop back to the first step.
            let dep_index = written[last]
                .depends_on
                .iter()
                .flatten()
                .position(|d| d == names[first])
                .unwrap_or(0);
            let message = if cycle.len() == 1 {
                format!("step `{}` depends on itself", names[first])
            } else {
                format!(
                    "steps depend on each other in a cycle: {}",
                    shown.join(" → ")
                )
            };
            cx.push(
                Diagnostic::error(codes::STEP_CYCLE, message)
                    .with_label("this dependency closes the cycle")
                    .with_help(
                        "remove one of these dependencies; steps must form a graph without loops",
                    ),
                &format!("/steps/{last}/dependsOn/{dep_index}"),
                At::Value,
            );
            ok = false;
        }
    }
    ok.then_some(resolved)
}

/// Where inside a text a macro problem is: the step kinds report the macro as written in
/// the message (`unknown macro `{{dt}}``), so the underline can cover just that.
fn macro_offset(d: &Diagnostic, pointer: &str, cx: &FileCheck<'_>) -> Option<(usize, usize)> {
    if d.code != codes::UNKNOWN_MACRO {
        return None;
    }
    let text = cx.file.root.find(pointer)?.node.to_json();
    let text = text.as_str()?;
    let start = d.message.find('`')? + 1;
    let end = d.message[start..].find('`')? + start;
    let needle = &d.message[start..end];
    text.find(needle).map(|o| (o, needle.len()))
}

// ---------------------------------------------------------------- cluster

fn cluster(
    written: Option<&ClusterFile>,
    platform: &Platform,
    lenient: bool,
    steps: &[StepFile],
    registry: &StepRegistry,
    project_dir: &Path,
    cx: &mut FileCheck<'_>,
) -> Option<Cluster> {
    let default = ClusterFile::default();
    let c = written.unwrap_or(&default);
    let defaults = &platform.emr_defaults;
    let market = |m: Option<MarketName>| match m {
        Some(MarketName::Spot) => Market::Spot,
        _ => Market::OnDemand,
    };
    let release_label = c
        .release_label
        .clone()
        .or_else(|| defaults.release_label.clone());
    if release_label.is_none() && !lenient {
        cx.push(
            Diagnostic::error(codes::NO_RELEASE_LABEL, "no EMR release for the cluster")
                .with_label("`releaseLabel` is missing")
                .with_help("add `releaseLabel: emr-7.5.0` under `cluster`, or under `defaults.emr` in platform.yaml"),
            if written.is_some() { "/cluster" } else { "" },
            At::Value,
        );
    }
    let master = InstanceGroup {
        instance_type: c
            .master
            .as_ref()
            .and_then(|m| m.instance_type.clone())
            .unwrap_or_else(|| defaults.instance_type.clone()),
        count: 1,
        market: market(c.master.as_ref().and_then(|m| m.market)),
    };
    let core = InstanceGroup {
        instance_type: c
            .core
            .as_ref()
            .and_then(|g| g.instance_type.clone())
            .unwrap_or_else(|| defaults.instance_type.clone()),
        count: c
            .core
            .as_ref()
            .and_then(|g| g.count)
            .unwrap_or(defaults.core_instances),
        market: market(c.core.as_ref().and_then(|g| g.market)),
    };
    let task = c.task.as_ref().map(|g| InstanceGroup {
        instance_type: g
            .instance_type
            .clone()
            .unwrap_or_else(|| defaults.instance_type.clone()),
        count: g.count.unwrap_or(1),
        market: market(g.market),
    });
    let mut bootstrap_actions = Vec::new();
    for (i, action) in c.bootstrap_actions.iter().flatten().enumerate() {
        let script = Script::from_written(&action.script, project_dir);
        if let Script::Local { relative, .. } = &script
            && let Err(problem) = crate::local_file::check_local_file(project_dir, relative)
        {
            cx.push(
                problem.diagnostic(&format!("bootstrap script `{relative}`")),
                &format!("/cluster/bootstrapActions/{i}/script"),
                At::Value,
            );
        }
        bootstrap_actions.push(BootstrapAction {
            name: action.name.clone(),
            script,
            args: action.args.clone().unwrap_or_default(),
        });
    }
    let mut applications = BTreeSet::new();
    for step in steps {
        if let Some(kind) = registry.get(&step.kind) {
            applications.extend(kind.applications());
        }
    }
    if c.hive_metastore.is_some() {
        applications.insert("Hive".to_string());
    }
    Some(Cluster {
        release_label: release_label?,
        master,
        core,
        task,
        ebs_size_gb: c.ebs_size_gb,
        configurations: c
            .configurations
            .iter()
            .flatten()
            .map(configuration)
            .collect(),
        bootstrap_actions,
        hive_metastore: c.hive_metastore.as_ref().map(|h| HiveMetastore {
            secret_name: h.secret_name.clone(),
        }),
        applications: applications.into_iter().collect(),
    })
}

fn configuration(c: &crate::model::EmrConfigurationFile) -> EmrConfiguration {
    EmrConfiguration {
        classification: c.classification.clone(),
        properties: c.properties.clone().unwrap_or_default(),
        configurations: c
            .configurations
            .iter()
            .flatten()
            .map(configuration)
            .collect(),
    }
}

// ---------------------------------------------------------------- notifications

fn notifications(
    written: Option<&NotificationsFile>,
    cx: &mut FileCheck<'_>,
) -> Option<Notifications> {
    let Some(n) = written else {
        return Some(Notifications {
            kind: NotificationType::PipelineStatus,
            on_status: Notifications::DEFAULT_ON_STATUS.to_vec(),
            targets: Vec::new(),
        });
    };
    let kind = match n.kind {
        Some(NotificationTypeName::FullExecution) => NotificationType::FullExecution,
        _ => NotificationType::PipelineStatus,
    };
    let mut ok = true;
    if kind == NotificationType::FullExecution && n.on_status.is_some() {
        cx.push(
            Diagnostic::error(
                codes::ON_STATUS_WITH_FULL_EXECUTION,
                "`onStatus` only applies to `type: PIPELINE_STATUS`",
            )
            .with_label("FULL_EXECUTION notifies every event")
            .with_help("remove `onStatus`, or use `type: PIPELINE_STATUS`"),
            "/notifications/onStatus",
            At::Key,
        );
        ok = false;
    }
    let on_status = match &n.on_status {
        Some(list) => {
            let mut s: Vec<Status> = list.iter().map(|s| status_of(*s)).collect();
            s.dedup();
            s
        }
        None => Notifications::DEFAULT_ON_STATUS.to_vec(),
    };
    let targets = targets(&n.targets, "/notifications/targets", cx)
        .and_then(|resolved| routes(kind, &n.targets, resolved, cx));
    (ok && targets.is_some()).then(|| Notifications {
        kind,
        on_status,
        targets: targets.unwrap_or_default(),
    })
}

/// Pairs each resolved target with the messages it gets (`events`, else its channel's
/// default). All Slack targets of a pipeline are one SNS subscription (the Slack caller
/// posts to every registered channel), so they must agree; and `FULL_EXECUTION` on a
/// target of a `PIPELINE_STATUS` pipeline asks for messages that are never sent.
fn routes(
    kind: NotificationType,
    written: &[TargetFile],
    resolved: Vec<Target>,
    cx: &mut FileCheck<'_>,
) -> Option<Vec<NotificationTarget>> {
    let mut ok = true;
    let mut slack: Option<(NotificationType, usize)> = None;
    let mut out = Vec::new();
    for (i, (file, target)) in written.iter().zip(resolved).enumerate() {
        let pointer = format!("/notifications/targets/{i}/events");
        let events = match &file.events {
            Some(list) if list.contains(&NotificationTypeName::FullExecution) => {
                NotificationType::FullExecution
            }
            Some(_) => NotificationType::PipelineStatus,
            None => NotificationTarget::default_events(&target),
        };
        if kind == NotificationType::PipelineStatus
            && file.events.is_some()
            && events == NotificationType::FullExecution
        {
            cx.push(
                Diagnostic::warning(
                    codes::BAD_TARGET_EVENTS,
                    "`events: [FULL_EXECUTION]` has no effect: this pipeline sends its run's statuses only",
                )
                .with_label("no step events to send")
                .with_help("set `type: FULL_EXECUTION` under `notifications` for step events, or remove `events`"),
                &pointer,
                At::Key,
            );
        }
        if matches!(target, Target::Slack { .. }) {
            match slack {
                None => slack = Some((events, i)),
                Some((first, j)) if first != events => {
                    let name = |e: NotificationType| match e {
                        NotificationType::PipelineStatus => "PIPELINE_STATUS",
                        NotificationType::FullExecution => "FULL_EXECUTION",
                    };
                    let place = if file.events.is_some() {
                        pointer.clone()
                    } else {
                        format!("/notifications/targets/{i}/channel")
                    };
                    cx.push(
                        Diagnostic::error(
                            codes::BAD_TARGET_EVENTS,
                            format!(
                                "this Slack target gets {} but Slack target {} gets {}",
                                name(events),
                                j + 1,
                                name(first)
                            ),
                        )
                        .with_label("the Slack targets of a pipeline get the same messages")
                        .with_note("every Slack channel of a pipeline is reached through one subscription of its topic")
                        .with_help("write the same `events` on every SLACK target, or list the channels in one target"),
                        &place,
                        if file.events.is_some() { At::Key } else { At::Value },
                    );
                    ok = false;
                }
                Some(_) => {}
            }
        }
        out.push(NotificationTarget { target, events });
    }
    ok.then_some(out)
}

/// Checks and resolves notification targets written at `pointer` (a JSON pointer to the
/// list): pipelines' `notifications.targets` and platform.yaml's `alerts.targets`.
pub(crate) fn targets(
    written: &[TargetFile],
    pointer: &str,
    cx: &mut FileCheck<'_>,
) -> Option<Vec<Target>> {
    let mut ok = true;
    let mut targets = Vec::new();
    for (i, t) in written.iter().enumerate() {
        let pointer = format!("{pointer}/{i}");
        let (needs_addresses, channel) = match t.channel {
            ChannelName::Slack => (true, "SLACK"),
            ChannelName::Email => (true, "EMAIL"),
            ChannelName::Opsgenie => (false, "OPSGENIE"),
        };
        if needs_addresses {
            if t.secret_name.is_some() {
                cx.push(
                    Diagnostic::error(
                        codes::BAD_TARGET,
                        format!("a {channel} target takes `addresses`, not `secretName`"),
                    )
                    .with_label("not used by this channel"),
                    &at(&pointer, "secretName"),
                    At::Key,
                );
                ok = false;
            }
            let Some(addresses) = &t.addresses else {
                cx.push(
                    Diagnostic::error(
                        codes::BAD_TARGET,
                        format!("a {channel} target needs `addresses`"),
                    )
                    .with_label("`addresses` is missing"),
                    &pointer,
                    At::Value,
                );
                ok = false;
                continue;
            };
            for (j, address) in addresses.iter().enumerate() {
                let p = format!("{pointer}/addresses/{j}");
                if t.channel == ChannelName::Email && !valid_email(address) {
                    cx.push(
                        Diagnostic::error(
                            codes::BAD_EMAIL,
                            format!("`{address}` is not an email address"),
                        )
                        .with_label("expected `name@example.com`"),
                        &p,
                        At::Value,
                    );
                    ok = false;
                }
                if t.channel == ChannelName::Slack && !valid_slack_channel(address) {
                    cx.push(
                        Diagnostic::error(
                            codes::BAD_SLACK_CHANNEL,
                            format!("`{address}` is not a Slack channel"),
                        )
                        .with_label("expected `#name`, `name` or a channel id `C…`")
                        .with_note(
                            "channel names have at most 80 lowercase letters, digits, `-` and `_`",
                        ),
                        &p,
                        At::Value,
                    );
                    ok = false;
                }
            }
            targets.push(if t.channel == ChannelName::Slack {
                Target::Slack {
                    channels: addresses.clone(),
                }
            } else {
                Target::Email {
                    addresses: addresses.clone(),
                }
            });
        } else {
            if t.addresses.is_some() {
                cx.push(
                    Diagnostic::error(codes::BAD_TARGET, "OpsGenie is reached only through `secretName`")
                        .with_label("an OpsGenie endpoint carries its key, so it belongs in a secret")
                        .with_help("store the endpoint URL in Secrets Manager and write `secretName: <its name>`"),
                    &at(&pointer, "addresses"),
                    At::Key,
                );
                ok = false;
            }
            match &t.secret_name {
                Some(secret_name) => targets.push(Target::OpsGenie {
                    secret_name: secret_name.clone(),
                }),
                None => {
                    if t.addresses.is_none() {
                        cx.push(
                            Diagnostic::error(codes::BAD_TARGET, "an OPSGENIE target needs `secretName`")
                                .with_label("`secretName` is missing")
                                .with_help("store the endpoint URL in Secrets Manager and write `secretName: <its name>`"),
                            &pointer,
                            At::Value,
                        );
                    }
                    ok = false;
                }
            }
        }
    }
    ok.then_some(targets)
}

/// Why an `access` S3 location cannot become the cluster role's grant as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccessProblem {
    /// `*` or `?` in the key prefix: IAM would read them as wildcards.
    Wildcard(char),
    /// `${` in the key prefix: IAM and CloudFormation would read a variable.
    Variable,
    /// A bucket name S3 does not allow (beyond what the schema's pattern says).
    BucketName(&'static str),
}

impl AccessProblem {
    fn label(self) -> &'static str {
        match self {
            AccessProblem::Wildcard(_) => "a wildcard in the role's policy",
            AccessProblem::Variable => "a variable in the role's policy",
            AccessProblem::BucketName(_) => "not a bucket name S3 allows",
        }
    }

    fn help(self) -> &'static str {
        match self {
            AccessProblem::Wildcard(_) | AccessProblem::Variable => {
                "access lists exact key prefixes (the role gets `<prefix>*`); name each prefix the jobs use"
            }
            AccessProblem::BucketName(_) => {
                "bucket names have 3 to 63 lowercase letters, digits, `.` and `-`, with no `..`, `.-` or `-.`, and are not IP addresses"
            }
        }
    }
}

impl std::fmt::Display for AccessProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessProblem::Wildcard(c) => write!(
                f,
                "`{c}` in the key prefix would be a wildcard in the cluster role's policy"
            ),
            AccessProblem::Variable => f.write_str(
                "`${` in the key prefix would be read as a policy variable (or a CloudFormation substitution)",
            ),
            AccessProblem::BucketName(why) => write!(f, "the bucket name {why}"),
        }
    }
}

/// What is wrong with an `access` location `s3://bucket/prefix`, if anything the schema's
/// pattern cannot say; `None` also for text that is no S3 location (the schema reports it).
pub(crate) fn access_location_problem(location: &str) -> Option<AccessProblem> {
    let rest = location.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.contains("..") {
        return Some(AccessProblem::BucketName("has `..`"));
    }
    if bucket.contains(".-") || bucket.contains("-.") {
        return Some(AccessProblem::BucketName("has `.` next to `-`"));
    }
    let parts: Vec<&str> = bucket.split('.').collect();
    if parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(AccessProblem::BucketName("is an IP address"));
    }
    if let Some(c) = prefix.chars().find(|c| matches!(c, '*' | '?')) {
        return Some(AccessProblem::Wildcard(c));
    }
    if prefix.contains("${") {
        return Some(AccessProblem::Variable);
    }
    None
}

/// A plain check of an address's shape: `local@domain.tld`, no spaces, one `@`.
pub(crate) fn valid_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && local.len() <= 64
        && address.len() <= 254
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

/// `#name`, `name` (lowercase letters, digits, `-`, `_`, at most 80) or an id `C…`/`G…`.
pub(crate) fn valid_slack_channel(channel: &str) -> bool {
    let is_id = (channel.starts_with('C') || channel.starts_with('G'))
        && channel.len() >= 9
        && channel
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let name = channel.strip_prefix('#').unwrap_or(channel);
    let is_name = !name.is_empty()
        && name.chars().count() <= 80
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    is_id || is_name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_channels() {
        assert!(valid_email("team-x@example.com"));
        assert!(!valid_email("team-x@example"));
        assert!(!valid_email("team x@example.com"));
        assert!(!valid_email("@example.com"));
        assert!(valid_slack_channel("#core-data-alerts"));
        assert!(valid_slack_channel("data-pipeline-alerts"));
        assert!(valid_slack_channel("C0123ABCD45"));
        assert!(!valid_slack_channel("#Alerts Channel"));
    }

    #[test]
    fn access_locations_are_exact_prefixes_of_real_buckets() {
        for fine in [
            "s3://lake/listings/",
            "s3://lake",
            "s3://my.lake-1/a/b/",
            "s3://lake/cost$/",
        ] {
            assert_eq!(access_location_problem(fine), None, "{fine}");
        }
        assert_eq!(
            access_location_problem("s3://lake/*/2024/"),
            Some(AccessProblem::Wildcard('*'))
        );
        assert_eq!(
            access_location_problem("s3://lake/day-?/"),
            Some(AccessProblem::Wildcard('?'))
        );
        assert_eq!(
            access_location_problem("s3://lake/${aws:username}/"),
            Some(AccessProblem::Variable)
        );
        for bad in ["s3://my..lake/", "s3://my.-lake/x/", "s3://192.168.1.10/x/"] {
            assert!(
                matches!(
                    access_location_problem(bad),
                    Some(AccessProblem::BucketName(_))
                ),
                "{bad}"
            );
        }
    }
}
