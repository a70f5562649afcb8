//! Structural checks of a definition, run before it is rendered into a template.
//!
//! They catch what the type system cannot: a `Next` or `Catch` that names a state that
//! is not in its scope (the top level, or one `Parallel` branch), a state nothing leads
//! to, a scope that cannot end, names used twice anywhere in the machine. dpc builds
//! definitions from the pipeline model, so a finding here is a bug in dpc rather than
//! in the user's file; asl-validator re-checks every definition in the tests.

use super::asl::{Definition, State, Transition};
use super::chain::MAX_STATE_NAME;
use indexmap::IndexMap;
use std::collections::BTreeSet;

/// Step Functions' limit on a state machine definition: 1 MB (a hard quota; "Maximum
/// size of a state machine definition", Step Functions service quotas).
pub const MAX_DEFINITION_BYTES: usize = 1024 * 1024;

/// The prefix of the error names Step Functions raises itself, which a `Fail` state
/// may not use.
pub const RESERVED_ERROR_PREFIX: &str = "States.";

/// Every structural problem of `definition`, as sentences naming the states.
pub fn problems(definition: &Definition) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    check_scope(
        "the state machine",
        &definition.start_at,
        &definition.states,
        &mut seen,
        &mut out,
    );
    out
}

fn check_scope(
    scope: &str,
    start_at: &str,
    states: &IndexMap<String, State>,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<String>,
) {
    if !states.contains_key(start_at) {
        out.push(format!(
            "{scope} starts at `{start_at}`, which is not one of its states"
        ));
    }
    for (name, state) in states {
        if !seen.insert(name.clone()) {
            out.push(format!("state name `{name}` is used more than once"));
        }
        if name.chars().count() > MAX_STATE_NAME {
            out.push(format!(
                "state name `{name}` is longer than {MAX_STATE_NAME} characters"
            ));
        }
        for target in state.targets() {
            if !states.contains_key(target) {
                out.push(format!(
                    "state `{name}` leads to `{target}`, which is not in {scope}"
                ));
            }
        }
        // Step Functions reserves error names starting with `States.` for its own
        // errors (ASL spec, "Errors"); a Fail state that raises one is refused by
        // emulators and misleads every catcher and alert that matches on the name.
        if let State::Fail(fail) = state
            && let Some(error) = fail.error.as_deref()
            && error.starts_with(RESERVED_ERROR_PREFIX)
        {
            out.push(format!(
                "state `{name}` fails with `{error}`: names starting with `{RESERVED_ERROR_PREFIX}` are reserved for Step Functions"
            ));
        }
        if let State::Parallel(p) = state {
            for (i, branch) in p.branches.iter().enumerate() {
                let label = format!("branch {} of `{name}`", i + 1);
                check_scope(&label, &branch.start_at, &branch.states, seen, out);
            }
        }
    }
    // Reachability from the start, and whether some reachable state ends the scope.
    let mut reached = BTreeSet::new();
    let mut pending = vec![start_at.to_owned()];
    let mut ends = false;
    while let Some(name) = pending.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        let Some(state) = states.get(&name) else {
            continue;
        };
        ends |= matches!(state, State::Succeed(_) | State::Fail(_))
            || state.transition() == Some(&Transition::End);
        pending.extend(state.targets().into_iter().map(str::to_owned));
    }
    for name in states.keys() {
        if !reached.contains(name) {
            out.push(format!("state `{name}` in {scope} is never reached"));
        }
    }
    if !ends {
        out.push(format!("{scope} has no state that ends it"));
    }
}

/// The definition's size as Step Functions counts it: the bytes of its JSON.
pub fn size_bytes(definition: &Definition) -> usize {
    definition.to_json().to_string().len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stepfunctions::asl::{Pass, ResultPath, Succeed};
    use crate::stepfunctions::chain::Chain;
    use serde_json::json;

    #[test]
    fn finds_dangling_unreached_and_endless() {
        let chain = Chain::state("a", Pass::result(json!(1), ResultPath::Discard))
            .unwrap()
            .then_state("b", Succeed::default())
            .unwrap();
        let mut def = chain.into_definition(None, None);
        assert!(problems(&def).is_empty(), "{:?}", problems(&def));
        let mut lost = Pass::result(json!(1), ResultPath::Discard);
        lost.transition = Transition::Next("nowhere".into());
        def.states.insert("lost".into(), State::Pass(lost));
        let found = problems(&def);
        assert!(found.iter().any(|p| p.contains("`nowhere`")), "{found:?}");
        assert!(
            found
                .iter()
                .any(|p| p.contains("`lost`") && p.contains("never reached"))
        );
        assert!(size_bytes(&def) > 50);
    }

    #[test]
    fn a_fail_state_may_not_raise_a_reserved_error_name() {
        let fail = |error: &str| {
            let chain = Chain::state(
                "a",
                crate::stepfunctions::asl::Fail {
                    error: Some(error.into()),
                    ..Default::default()
                },
            )
            .unwrap();
            problems(&chain.into_definition(None, None))
        };
        assert!(fail("dpc.StepFailed").is_empty());
        let found = fail("States.TaskFailed");
        assert!(found.iter().any(|p| p.contains("reserved")), "{found:?}");
    }
}
