//! `platform.yaml`: accounts, defaults and their rules.

use super::{FileCheck, at};
use crate::codes;
use crate::model::{ChannelName, PlatformFile};
use crate::resolved::{Account, Central, EmrDefaults, Network, Platform, Target as ResolvedTarget};
use crate::source::Target;
use crate::suggest;
use dpc_core::Diagnostic;
use std::collections::BTreeMap;

/// Checks and resolves `platform.yaml`.
pub(crate) fn resolve(file: &PlatformFile, cx: &mut FileCheck<'_>) -> Option<Platform> {
    let mut accounts = Vec::new();
    let mut ids: BTreeMap<&str, &str> = BTreeMap::new();
    for (alias, account) in &file.accounts {
        let pointer = at("/accounts", alias);
        if !valid_alias(alias) {
            cx.push(
                Diagnostic::error(
                    codes::BAD_NAME,
                    format!("`{alias}` is not a valid account alias"),
                )
                .with_label("lowercase letters, digits and `-`, starting with a letter, at most 40 characters"),
                &pointer,
                Target::Key,
            );
        }
        if let Some(first) = ids.get(account.id.as_str()) {
            cx.push(
                Diagnostic::error(
                    codes::DUPLICATE_ACCOUNT_ID,
                    format!(
                        "account id `{}` is listed under two aliases, `{first}` and `{alias}`",
                        account.id
                    ),
                )
                .with_label(format!("already the id of `{first}`"))
                .with_help("an account has one alias; remove one of them"),
                &at(&pointer, "id"),
                Target::Value,
            );
        } else {
            ids.insert(&account.id, alias);
        }
        accounts.push(Account {
            alias: alias.clone(),
            id: account.id.clone(),
            region: account.region.clone(),
            network: Network {
                vpc_id: account.network.vpc_id.clone(),
                subnet_ids: account.network.subnet_ids.clone(),
                private: account.network.private.unwrap_or(true),
            },
        });
    }

    let defaults = file.defaults.as_ref();
    let log_retention_days = defaults
        .and_then(|d| d.log_retention_days)
        .unwrap_or(Platform::DEFAULT_LOG_RETENTION_DAYS);
    if !Platform::LOG_RETENTION_VALUES.contains(&log_retention_days) {
        let nearest = Platform::LOG_RETENTION_VALUES
            .iter()
            .min_by_key(|v| v.abs_diff(log_retention_days))
            .copied()
            .unwrap_or(Platform::DEFAULT_LOG_RETENTION_DAYS);
        let values: Vec<String> = Platform::LOG_RETENTION_VALUES
            .iter()
            .map(u32::to_string)
            .collect();
        cx.push(
            Diagnostic::error(
                codes::BAD_LOG_RETENTION,
                format!("CloudWatch Logs cannot keep logs for {log_retention_days} days"),
            )
            .with_label(format!("the nearest allowed value is {nearest}"))
            .with_note(format!("allowed values: {}", values.join(", ")))
            .with_help(format!("use `logRetentionDays: {nearest}`")),
            "/defaults/logRetentionDays",
            Target::Value,
        );
    }

    let emr = defaults.and_then(|d| d.emr.as_ref());
    let emr_defaults = EmrDefaults {
        release_label: emr.and_then(|e| e.release_label.clone()),
        instance_type: emr
            .and_then(|e| e.instance_type.clone())
            .unwrap_or_else(|| EmrDefaults::INSTANCE_TYPE.to_string()),
        core_instances: emr
            .and_then(|e| e.core_instances)
            .unwrap_or(EmrDefaults::CORE_INSTANCES),
    };

    let central = Central {
        account: file.central.account.clone(),
        region: file.central.region.clone(),
        bus_name: file
            .central
            .bus_name
            .clone()
            .unwrap_or_else(|| Central::DEFAULT_BUS_NAME.to_string()),
        organization_id: file.central.organization_id.clone(),
        slack_token_secret_name: file
            .central
            .slack
            .as_ref()
            .and_then(|s| s.token_secret_name.clone())
            .unwrap_or_else(|| Central::DEFAULT_SLACK_TOKEN_SECRET.to_string()),
        alias: accounts
            .iter()
            .find(|a| a.id == file.central.account)
            .map(|a| a.alias.clone()),
    };

    let alert_targets = alert_targets(file, cx);

    if cx.has_errors() {
        return None;
    }
    Some(Platform {
        central,
        accounts,
        emr_defaults,
        log_retention_days,
        permissions_boundary: file
            .iam
            .as_ref()
            .and_then(|i| i.permissions_boundary.clone()),
        cdk_qualifier: file
            .cdk
            .as_ref()
            .and_then(|c| c.qualifier.clone())
            .unwrap_or_else(|| Platform::DEFAULT_CDK_QUALIFIER.to_string()),
        alert_targets,
        file: cx.file.path.clone(),
    })
}

/// `alerts.targets`: pipelines' targets, except Slack. A CloudWatch alarm publishes to an
/// SNS topic of its own account, and the central Slack API posts only the run messages of
/// registered pipelines, so an alarm has no way to Slack that dpc could vouch for.
fn alert_targets(file: &PlatformFile, cx: &mut FileCheck<'_>) -> Vec<ResolvedTarget> {
    let Some(alerts) = &file.alerts else {
        return Vec::new();
    };
    for (i, t) in alerts.targets.iter().enumerate() {
        if t.channel == ChannelName::Slack {
            cx.push(
                Diagnostic::error(
                    codes::BAD_TARGET,
                    "the platform's alarms cannot go to Slack",
                )
                .with_label("alarms notify `EMAIL` or `OPSGENIE` targets")
                .with_note("a CloudWatch alarm publishes to an SNS topic of its own account; dpc's Slack API posts pipelines' run messages only")
                .with_help("use `channel: EMAIL` with the channel's email address (Slack: channel details, Integrations, Send emails to this channel)"),
                &format!("/alerts/targets/{i}/channel"),
                Target::Value,
            );
        }
        if t.events.is_some() {
            cx.push(
                Diagnostic::error(
                    codes::BAD_TARGET_EVENTS,
                    "`events` does not apply to the platform's alert targets",
                )
                .with_label("alarms are not pipeline messages")
                .with_note("every alarm of the platform goes to every target of `alerts`; `events` chooses which of a pipeline's run messages a pipeline's target gets")
                .with_help("remove `events`"),
                &format!("/alerts/targets/{i}/events"),
                Target::Key,
            );
        }
    }
    super::pipeline::targets(&alerts.targets, "/alerts/targets", cx).unwrap_or_default()
}

/// `[a-z][a-z0-9-]{0,39}`.
pub(crate) fn valid_alias(alias: &str) -> bool {
    let mut chars = alias.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && alias.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// An unknown-account diagnostic, with a suggestion among the known aliases.
pub(crate) fn unknown_account(written: &str, platform: &Platform) -> Diagnostic {
    let aliases: Vec<&str> = platform.accounts.iter().map(|a| a.alias.as_str()).collect();
    let mut d = Diagnostic::error(
        codes::UNKNOWN_ACCOUNT,
        format!("account `{written}` is not in platform.yaml"),
    )
    .with_label("no account with this alias or id");
    if let Some(close) = suggest::closest(written, aliases.iter().copied()) {
        d = d.with_help(format!("did you mean `{close}`?"));
    } else {
        d = d.with_help("add the account under `accounts:` in platform.yaml");
    }
    if !aliases.is_empty() {
        let list: Vec<String> = aliases.iter().map(|a| format!("`{a}`")).collect();
        d = d.with_note(format!("accounts: {}", list.join(", ")));
    }
    d
}
