//! dpc's security rules that are data: the IAM actions that cannot be scoped to a resource.
//!
//! Every statement dpc writes names the resources it applies to, except for the actions
//! below: IAM defines no resource type for them (the AWS Service Authorization Reference
//! lists them with an empty "Resource types" column), so `"Resource": "*"` is the only
//! value IAM accepts. [`Statement::allow_unscoped`](crate::aws::iam::Statement::allow_unscoped)
//! refuses any other action, and `tests/security.rs` checks every synthesized template
//! against this list.
//!
//! Two places write `"*"` with another meaning and are not IAM grants on every resource:
//! a KMS key policy (`*` is the key the policy is attached to), and the principal `"*"` of
//! a resource policy, which dpc only writes together with `aws:PrincipalOrgID`.

/// An action granted on `"*"` and why that is the only way to grant it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnscopedAction {
    /// The action, `service:Action`.
    pub action: &'static str,
    /// Why it cannot be scoped, for a reviewer.
    pub reason: &'static str,
}

const EC2_DESCRIBE: &str = "EC2 Describe* actions support no resource-level permissions";
const VENDED_LOGS: &str = "CloudWatch Logs log-delivery and resource-policy actions used by \
     Step Functions logging have no resource type (AWS documents `*` for them)";
const XRAY: &str = "X-Ray trace and sampling actions have no resource type";

/// The actions dpc may grant on `"*"`, each with its reason.
pub const UNSCOPED_ACTIONS: &[UnscopedAction] = &[
    // Step Functions logging to CloudWatch Logs (the pipeline state machines' roles).
    UnscopedAction {
        action: "logs:CreateLogDelivery",
        reason: VENDED_LOGS,
    },
    UnscopedAction {
        action: "logs:GetLogDelivery",
        reason: VENDED_LOGS,
    },
    UnscopedAction {
        action: "logs:UpdateLogDelivery",
        reason: VENDED_LOGS,
    },
    UnscopedAction {
        action: "logs:DeleteLogDelivery",
        reason: VENDED_LOGS,
    },
    UnscopedAction {
        action: "logs:ListLogDeliveries",
        reason: VENDED_LOGS,
    },
    UnscopedAction {
        action: "logs:PutResourcePolicy",
        reason: VENDED_LOGS,
    },
    UnscopedAction {
        action: "logs:DescribeResourcePolicies",
        reason: VENDED_LOGS,
    },
    UnscopedAction {
        action: "logs:DescribeLogGroups",
        reason: VENDED_LOGS,
    },
    // Tracing (state machines and Lambdas with X-Ray on).
    UnscopedAction {
        action: "xray:PutTraceSegments",
        reason: XRAY,
    },
    UnscopedAction {
        action: "xray:PutTelemetryRecords",
        reason: XRAY,
    },
    UnscopedAction {
        action: "xray:GetSamplingRules",
        reason: XRAY,
    },
    UnscopedAction {
        action: "xray:GetSamplingTargets",
        reason: XRAY,
    },
    // EMR: creating a cluster and listing clusters.
    UnscopedAction {
        action: "elasticmapreduce:RunJobFlow",
        reason: "RunJobFlow creates the cluster, so there is no cluster ARN to scope it to; \
                 dpc narrows it with iam:PassRole on the named EMR roles instead",
    },
    UnscopedAction {
        action: "elasticmapreduce:ListClusters",
        reason: "EMR list actions have no resource type; the cleanup Lambda lists clusters \
                 to find the ones tagged with an ended execution",
    },
    // EC2 lookups (EMR on private subnets, cleanup).
    UnscopedAction {
        action: "ec2:DescribeSubnets",
        reason: EC2_DESCRIBE,
    },
    UnscopedAction {
        action: "ec2:DescribeSecurityGroups",
        reason: EC2_DESCRIBE,
    },
    UnscopedAction {
        action: "ec2:DescribeVpcs",
        reason: EC2_DESCRIBE,
    },
    UnscopedAction {
        action: "ec2:DescribeNetworkInterfaces",
        reason: EC2_DESCRIBE,
    },
    UnscopedAction {
        action: "ec2:DescribeInstances",
        reason: EC2_DESCRIBE,
    },
    // Metrics.
    UnscopedAction {
        action: "cloudwatch:PutMetricData",
        reason: "PutMetricData has no resource type; it can only be narrowed by the \
                 cloudwatch:namespace condition, which dpc sets",
    },
];

/// The entry for `action`, when dpc may grant it on `"*"`.
pub fn unscoped(action: &str) -> Option<&'static UnscopedAction> {
    UNSCOPED_ACTIONS.iter().find(|u| u.action == action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_no_wildcards_no_duplicates_and_a_reason_for_each() {
        for (i, entry) in UNSCOPED_ACTIONS.iter().enumerate() {
            assert!(!entry.action.contains('*'), "{}", entry.action);
            assert!(entry.action.split_once(':').is_some(), "{}", entry.action);
            assert!(
                entry.reason.len() > 20,
                "{} needs a real reason",
                entry.action
            );
            assert!(
                UNSCOPED_ACTIONS[..i]
                    .iter()
                    .all(|e| e.action != entry.action),
                "{} is listed twice",
                entry.action
            );
        }
        assert!(unscoped("ec2:DescribeSubnets").is_some());
        assert!(unscoped("s3:GetObject").is_none());
    }
}
