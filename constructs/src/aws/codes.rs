//! Every diagnostic code `dpc-constructs` reports, in one place. Codes are stable once
//! released: a user's CI may match on them.
//!
//! The crate owns `DM0301`–`DM0389` (dpc-core keeps `DM039x` for the construct tree,
//! `DM04xx` for synthesis and lint and `DM050x` for writing the assembly; dpc-schema has
//! `DM01xx` and `DM02xx`; the CLI `DM056x` and `DM057x`):
//!
//! | codes | what reports them |
//! |---|---|
//! | `DM0301`–`DM0309` | the AWS constructs (IAM, EventBridge, Logs, EC2, Lambda, names) |
//! | `DM0310`–`DM0319` | state machines and the pipeline stack |
//! | `DM0320`–`DM0329` | the APIs, tables and the central and account stacks |
//! | `DM0330`–`DM0339` | the app that assembles every stack |
//!
//! The modules that report a code may re-export it under a local name (e.g.
//! [`crate::pipeline::triggers::PATTERN_WITHOUT_STATUSES`]); the value is defined here.

// ---- AWS constructs: DM0301-DM0309 ----------------------------------------------------

/// An IAM action would be granted on every resource (`*`) without being unscopable.
pub const UNSCOPED_ACTION: &str = "DM0301";
/// An IAM statement is not least-privilege (wildcard action, no resource) or a policy
/// cannot be edited.
pub const INVALID_POLICY: &str = "DM0302";
/// A resource policy is larger than the service allows.
pub const POLICY_TOO_LARGE: &str = "DM0303";
/// An event rule is invalid: no pattern or schedule, too many targets, a pattern over
/// EventBridge's size limit, a schedule on a custom bus.
pub const INVALID_RULE: &str = "DM0304";
/// More rules on one event bus than EventBridge's default quota: counted by the engine's
/// lint over every rendered stack of an environment, so it carries the engine's code.
pub const TOO_MANY_RULES: &str = dpc_core::codes::TOO_MANY_RULES_PER_BUS;
/// A log retention CloudWatch Logs does not accept.
pub const INVALID_RETENTION: &str = "DM0306";
/// A security group rule open to the whole internet.
pub const OPEN_SECURITY_GROUP: &str = "DM0307";
/// A Lambda permission for a service without a source ARN or account.
pub const UNSCOPED_PERMISSION: &str = "DM0308";
/// A name longer than AWS allows.
pub const NAME_TOO_LONG: &str = "DM0309";

// ---- state machines and the pipeline stack: DM0310-DM0319 -----------------------------

/// A state machine definition is malformed (a transition to no state, an unreachable
/// state, a placeholder without substitution). Reported as
/// `stepfunctions::state_machine::INVALID_DEFINITION`.
pub const INVALID_DEFINITION: &str = "DM0310";
/// A state machine definition is larger than Step Functions' 1 MB. Reported as
/// `stepfunctions::state_machine::DEFINITION_TOO_LARGE`.
pub const DEFINITION_TOO_LARGE: &str = "DM0311";
/// A step the pipeline stack cannot turn into an EMR step (a step kind no renderer
/// handles, a setting Step Functions cannot pass on). Reported as
/// `pipeline::emr::UNRENDERABLE`.
pub const UNRENDERABLE_STEP: &str = "DM0312";
/// A warning: the trigger rule of a pipeline matches its name and account only (its
/// statuses do not fit EventBridge's pattern limits); the trigger manager still decides.
pub const PATTERN_WITHOUT_STATUSES: &str = "DM0313";
/// The steps do not form a DAG dpc can run (a dependency on no step, a cycle); the
/// loader checks this first, so it means the model was built by hand.
pub const INVALID_STEPS: &str = "DM0314";

// ---- APIs, tables, the central and account stacks: DM0320-DM0329 ----------------------

/// An API definition is invalid (duplicate method, bad path).
pub const INVALID_API: &str = "DM0320";
/// A DynamoDB table definition is invalid (keys, indexes).
pub const INVALID_TABLE: &str = "DM0321";
/// The platform has no user account, or the central stack cannot be built from it.
pub const INVALID_PLATFORM: &str = "DM0322";

// ---- the app: DM0330-DM0339 ------------------------------------------------------------

/// `lineage.json` could not be rendered.
pub const LINEAGE_UNRENDERABLE: &str = "DM0330";

/// Every code above, in order.
pub const ALL: [&str; 17] = [
    UNSCOPED_ACTION,
    INVALID_POLICY,
    POLICY_TOO_LARGE,
    INVALID_RULE,
    INVALID_RETENTION,
    OPEN_SECURITY_GROUP,
    UNSCOPED_PERMISSION,
    NAME_TOO_LONG,
    INVALID_DEFINITION,
    DEFINITION_TOO_LARGE,
    UNRENDERABLE_STEP,
    PATTERN_WITHOUT_STATUSES,
    INVALID_STEPS,
    INVALID_API,
    INVALID_TABLE,
    INVALID_PLATFORM,
    LINEAGE_UNRENDERABLE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use dpc_core::codes as core;

    #[test]
    fn codes_are_distinct_ordered_and_in_this_crates_range() {
        let numbers: Vec<u32> = ALL
            .iter()
            .map(|code| {
                let digits = code.strip_prefix("DM").expect("DM prefix");
                assert_eq!(digits.len(), 4, "{code}");
                digits.parse().expect("four digits")
            })
            .collect();
        for pair in numbers.windows(2) {
            assert!(pair[0] < pair[1], "{:?} out of order or twice", pair);
        }
        for n in numbers {
            assert!(
                (301..=389).contains(&n),
                "DM{n:04} is outside DM0301-DM0389"
            );
        }
    }

    #[test]
    fn no_code_is_also_one_of_the_engines() {
        let engine = [
            core::INVALID_CONSTRUCT_ID,
            core::DUPLICATE_CONSTRUCT_ID,
            core::LOGICAL_ID_COLLISION,
            core::INVALID_STACK,
            core::INVALID_STACK_DEPENDENCY,
            core::UNKNOWN_RESOURCE,
            core::INVALID_PROPERTIES,
            core::INVALID_ASSET,
            core::INVALID_ELEMENT,
            core::TOO_MANY_RESOURCES,
            core::TEMPLATE_TOO_LARGE,
            core::TOO_MANY_OUTPUTS,
            core::TOO_MANY_PARAMETERS,
            core::INVALID_LOGICAL_ID,
            core::TOO_MANY_DYNAMIC_REFERENCES,
            core::DANGLING_REFERENCE,
            core::DANGLING_DEPENDS_ON,
            core::DANGLING_CONDITION,
            core::DESCRIPTION_TOO_LONG,
            core::FOREIGN_OUTPUT_DIR,
            core::IO_ERROR,
            core::INVALID_ASSEMBLY_FILE,
        ];
        for code in ALL {
            assert!(!engine.contains(&code), "{code} is also dpc-core's");
        }
    }

    #[test]
    fn the_modules_report_the_codes_defined_here() {
        use crate::pipeline;
        use crate::stepfunctions::state_machine;
        assert_eq!(state_machine::INVALID_DEFINITION, INVALID_DEFINITION);
        assert_eq!(state_machine::DEFINITION_TOO_LARGE, DEFINITION_TOO_LARGE);
        assert_eq!(pipeline::emr::UNRENDERABLE, UNRENDERABLE_STEP);
        assert_eq!(
            pipeline::triggers::PATTERN_WITHOUT_STATUSES,
            PATTERN_WITHOUT_STATUSES
        );
        assert_eq!(pipeline::INVALID_STEPS, INVALID_STEPS);
    }
}
