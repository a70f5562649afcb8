//! How pipelines and conditions are written into the central tables' keys and items.

use crate::dynamo::{Item, get_n, get_s};
use crate::env::dependencies;
use dpc_model::{Condition, Duration, ExecutionsTrigger, PipelineId};

/// A pipeline as a table key: `<account>#<name>`.
pub fn pipeline_key(pipeline: &PipelineId) -> String {
    format!("{}#{}", pipeline.account, pipeline.name)
}

/// Reads a `<account>#<name>` key back.
pub fn parse_pipeline_key(key: &str) -> Option<PipelineId> {
    let (account, name) = key.split_once('#')?;
    (!account.is_empty() && !name.is_empty()).then(|| PipelineId::new(account, name))
}

/// The child and its trigger from one dependencies edge item
/// (`parent`, `child`, `condition` (JSON text), `within` (seconds)).
///
/// # Errors
/// A description of what is wrong with the item.
pub fn trigger_from_edge(item: &Item) -> Result<(PipelineId, ExecutionsTrigger), String> {
    let child_key = get_s(item, dependencies::SORT).ok_or("the edge has no child")?;
    let child = parse_pipeline_key(child_key)
        .ok_or_else(|| format!("child key `{child_key}` is not `<account>#<name>`"))?;
    let condition_text =
        get_s(item, "condition").ok_or_else(|| format!("the edge to {child} has no condition"))?;
    let condition: Condition = serde_json::from_str(condition_text)
        .map_err(|e| format!("the condition of {child} is unreadable: {e}"))?;
    let within = get_n(item, "within")
        .and_then(|s| u64::try_from(s).ok())
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("the edge to {child} has no positive `within`"))?;
    Ok((
        child,
        ExecutionsTrigger {
            condition,
            within: Duration::from_secs(within),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let p = PipelineId::new("444444444444", "pipeline-x");
        assert_eq!(pipeline_key(&p), "444444444444#pipeline-x");
        assert_eq!(parse_pipeline_key("444444444444#pipeline-x"), Some(p));
        assert_eq!(parse_pipeline_key("nohash"), None);
        assert_eq!(parse_pipeline_key("#x"), None);
    }
}
