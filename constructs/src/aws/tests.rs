//! The L2 constructs refuse what would be insecure or what AWS would reject, before
//! anything is rendered.

use super::apigateway::{RestApi, RestApiProps, Route};
use super::codes;
use super::ec2::{IngressRule, SecurityGroup, SecurityGroupProps};
use super::events::{CfnRuleTarget, EventPattern, Rule, RuleProps};
use super::iam::{PolicyDocument, Principal, Role, RoleProps, Statement};
use super::lambda::{Permission, PermissionProps};
use super::logs::{LogGroup, LogGroupProps};
use dpc_core::{App, Diagnostic, Expr, Scope, StackProps};

fn with_scope<T>(f: impl FnOnce(&mut Scope<'_>) -> T) -> T {
    let mut app = App::new();
    let stack = app
        .add_stack(
            "test",
            StackProps {
                account: "111111111111".into(),
                region: "eu-west-1".into(),
                ..StackProps::default()
            },
        )
        .expect("stack");
    let mut scope = app.scope(stack).expect("scope");
    f(&mut scope)
}

fn code<T: std::fmt::Debug>(result: Result<T, Diagnostic>) -> String {
    result.expect_err("refused").code
}

#[test]
fn roles_refuse_wildcard_actions_and_statements_without_resources() {
    let role = |statement: Statement| {
        with_scope(|scope| {
            Role::new(
                scope,
                "R",
                RoleProps {
                    policy: PolicyDocument::with([statement]),
                    ..RoleProps::assumed_by(Principal::service("lambda.amazonaws.com"))
                },
            )
            .map(|_| ())
        })
    };
    assert_eq!(
        code(role(Statement::allow(["s3:*"]).on(["arn:aws:s3:::b"]))),
        codes::INVALID_POLICY
    );
    assert_eq!(
        code(role(Statement::allow(["s3:Get*"]).on(["arn:aws:s3:::b"]))),
        codes::INVALID_POLICY
    );
    assert_eq!(
        code(role(Statement::allow(["s3:GetObject"]))),
        codes::INVALID_POLICY
    );
    assert!(role(Statement::allow(["s3:GetObject"]).on(["arn:aws:s3:::b/*"])).is_ok());
}

#[test]
fn grants_added_later_are_checked_and_land_in_the_default_policy() {
    with_scope(|scope| {
        let role = Role::new(
            scope,
            "R",
            RoleProps::assumed_by(Principal::service("lambda.amazonaws.com")),
        )
        .expect("role");
        assert_eq!(
            code(role.add_to_policy(scope, Statement::allow(["*"]).on(["x"]))),
            codes::INVALID_POLICY
        );
        role.add_to_policy(scope, Statement::allow(["sqs:SendMessage"]).on(["arn:q"]))
            .expect("grant");
        let resource = scope.tree().resource(role.resource()).expect("resource");
        assert_eq!(
            resource.properties["Policies"],
            serde_json::json!([{"PolicyName": "default", "PolicyDocument": {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:q"}]}}])
        );
    });
}

#[test]
fn rules_need_exactly_one_of_pattern_and_schedule_and_at_most_five_targets() {
    let rule = |props: RuleProps| with_scope(|scope| Rule::new(scope, "R", props).map(|_| ()));
    let pattern = || Some(EventPattern::new().source(["x"]));
    assert_eq!(code(rule(RuleProps::default())), codes::INVALID_RULE);
    assert_eq!(
        code(rule(RuleProps {
            pattern: pattern(),
            schedule: Some("rate(1 day)".into()),
            ..RuleProps::default()
        })),
        codes::INVALID_RULE
    );
    assert_eq!(
        code(rule(RuleProps {
            schedule: Some("rate(1 day)".into()),
            bus: Some("custom".into()),
            ..RuleProps::default()
        })),
        codes::INVALID_RULE
    );
    let targets = (0..6)
        .map(|i| CfnRuleTarget::new(&format!("T{i}"), Expr::from("arn:x")))
        .collect();
    assert_eq!(
        code(rule(RuleProps {
            pattern: pattern(),
            targets,
            ..RuleProps::default()
        })),
        codes::INVALID_RULE
    );
    let huge = EventPattern::new().exact(&["detail", "id"], (0..300).map(|i| format!("value-{i}")));
    let err = rule(RuleProps {
        pattern: Some(huge),
        ..RuleProps::default()
    })
    .expect_err("too large");
    assert!(err.message.contains("2048"), "{}", err.message);
}

#[test]
fn security_groups_refuse_the_whole_internet_inbound() {
    let group = |cidr: &str| {
        with_scope(|scope| {
            SecurityGroup::new(
                scope,
                "G",
                SecurityGroupProps {
                    description: "test".into(),
                    vpc_id: "vpc-0a1b2c3d".into(),
                    ingress: vec![IngressRule {
                        ip_protocol: "tcp".into(),
                        from_port: Some(443.into()),
                        to_port: Some(443.into()),
                        cidr_ip: Some(cidr.into()),
                        ..IngressRule::default()
                    }],
                    ..SecurityGroupProps::default()
                },
            )
            .map(|_| ())
        })
    };
    assert_eq!(code(group("0.0.0.0/0")), codes::OPEN_SECURITY_GROUP);
    assert!(group("10.0.0.0/8").is_ok());
}

#[test]
fn log_groups_take_only_retentions_cloudwatch_accepts() {
    let group = |days: u32| {
        with_scope(|scope| {
            LogGroup::new(
                scope,
                "L",
                LogGroupProps {
                    name: None,
                    retention_days: days,
                    key_arn: Expr::from("arn:key"),
                },
            )
            .map(|_| ())
        })
    };
    assert_eq!(code(group(31)), codes::INVALID_RETENTION);
    assert!(group(30).is_ok());
}

#[test]
fn permissions_are_for_aws_services_and_apis_reject_duplicate_methods() {
    let permission = with_scope(|scope| {
        Permission::new(
            scope,
            "P",
            PermissionProps {
                function: Expr::from("f"),
                service: "123456789012".into(),
                source_arn: Expr::from("arn:x"),
                source_account: None,
            },
        )
        .map(|_| ())
    });
    assert_eq!(code(permission), codes::UNSCOPED_PERMISSION);

    let route = |method: &str| Route {
        path: "/things/{id}".into(),
        method: method.into(),
        function_arn: Expr::from("arn:f"),
        function_id: "F".into(),
    };
    let api = |routes: Vec<Route>| {
        with_scope(|scope| {
            RestApi::new(
                scope,
                "Api",
                RestApiProps {
                    name: "test".into(),
                    description: "test".into(),
                    policy: PolicyDocument::new(),
                    stage_name: "v1".into(),
                    routes,
                    rate_limit: 1.0,
                    burst_limit: 1,
                    log_retention_days: 30,
                    key_arn: Expr::from("arn:key"),
                    stage_depends_on: Vec::new(),
                },
            )
            .map(|_| ())
        })
    };
    assert_eq!(
        code(api(vec![route("GET"), route("get")])),
        codes::INVALID_API
    );
    assert!(api(vec![route("GET"), route("PUT")]).is_ok());
}
