//! The cleanup function terminates exactly the EMR clusters of an aborted execution.

use crate::central::{RENT, arn, sfn};
use crate::support::http::FakeServer;
use crate::support::moto::config;
use aws_sdk_emr::types::{ClusterState, JobFlowInstancesConfig, Tag};
use dpc_runtime::cleanup::Cleanup;
use dpc_runtime::ec2::{API_VERSION, Ec2};
use dpc_runtime::http::HttpClient;
use serde_json::json;
use std::collections::BTreeMap;

async fn cluster(emr: &aws_sdk_emr::Client, name: &str, execution: &str) -> String {
    emr.run_job_flow()
        .name(name)
        .release_label("emr-7.5.0")
        .instances(
            JobFlowInstancesConfig::builder()
                .master_instance_type("m5.xlarge")
                .slave_instance_type("m5.xlarge")
                .instance_count(3)
                .keep_job_flow_alive_when_no_steps(true)
                .build(),
        )
        .job_flow_role("dpc-emr-ec2")
        .service_role("dpc-emr-service")
        .tags(Tag::builder().key("dpc:execution").value(execution).build())
        .tags(
            Tag::builder()
                .key("dpc:pipeline")
                .value("pipeline-x")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .job_flow_id
        .unwrap()
}

async fn state(emr: &aws_sdk_emr::Client, id: &str) -> ClusterState {
    emr.describe_cluster()
        .cluster_id(id)
        .send()
        .await
        .unwrap()
        .cluster
        .unwrap()
        .status
        .unwrap()
        .state
        .unwrap()
}

fn cleanup_of(config: &aws_config::SdkConfig) -> Cleanup {
    Cleanup::from_vars(
        config,
        &BTreeMap::<String, String>::new(),
        HttpClient::new().unwrap(),
    )
}

fn ended(state_machine: &str, execution: &str, status: &str) -> serde_json::Value {
    let mut event = sfn(
        RENT,
        state_machine,
        execution,
        status,
        "2026-11-26T09:00:00Z",
        Some("2026-11-26T09:10:00Z"),
    );
    // No startDate filter here: moto stamps clusters with the real time.
    event["detail"].as_object_mut().unwrap().remove("startDate");
    event
}

fn gone(state: &ClusterState) -> bool {
    matches!(state, ClusterState::Terminating | ClusterState::Terminated)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_execution_loses_its_clusters_and_only_those() {
    let config = config().await;
    let emr = aws_sdk_emr::Client::new(&config);
    let aborted = arn(RENT, "pipeline-x", "cleanup-aborted");
    let other = arn(RENT, "pipeline-x", "cleanup-running");
    let mine = cluster(&emr, "mine", &aborted).await;
    let theirs = cluster(&emr, "theirs", &other).await;
    let cleanup = cleanup_of(&config);

    let running = ended("pipeline-x", "cleanup-aborted", "RUNNING");
    assert!(
        cleanup.handle(&running).await.unwrap().clusters.is_empty(),
        "a running execution keeps its cluster"
    );
    assert!(!gone(&state(&emr, &mine).await));

    let event = ended("pipeline-x", "cleanup-aborted", "ABORTED");
    let done = cleanup.handle(&event).await.unwrap();
    assert_eq!(done.clusters, std::slice::from_ref(&mine));
    assert!(gone(&state(&emr, &mine).await));
    assert!(!gone(&state(&emr, &theirs).await));
    // The event again: nothing active is left to terminate.
    assert!(cleanup.handle(&event).await.unwrap().clusters.is_empty());
}

/// `Start cluster` timed out after EMR had created the cluster, so the state machine
/// never learnt its id and ended FAILED with dpc.ClusterStartFailed: the cleanup
/// function still finds it by its execution tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_start_leaves_no_cluster() {
    let config = config().await;
    let emr = aws_sdk_emr::Client::new(&config);
    let execution = arn(RENT, "pipeline-x", "cleanup-start-failed");
    let orphan = cluster(&emr, "orphan", &execution).await;
    let done = cleanup_of(&config)
        .handle(&ended("pipeline-x", "cleanup-start-failed", "FAILED"))
        .await
        .unwrap();
    assert_eq!(done.clusters, std::slice::from_ref(&orphan));
    assert!(gone(&state(&emr, &orphan).await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_way_an_execution_ends_frees_its_clusters() {
    let config = config().await;
    let emr = aws_sdk_emr::Client::new(&config);
    let cleanup = cleanup_of(&config);
    let bystander = cluster(
        &emr,
        "bystander",
        &arn(RENT, "pipeline-x", "cleanup-ends-running"),
    )
    .await;
    for status in ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"] {
        let name = format!("cleanup-ends-{}", status.to_lowercase().replace('_', "-"));
        let left = cluster(&emr, &name, &arn(RENT, "pipeline-x", &name)).await;
        let done = cleanup
            .handle(&ended("pipeline-x", &name, status))
            .await
            .unwrap();
        assert_eq!(done.clusters, std::slice::from_ref(&left), "{status}");
        assert!(gone(&state(&emr, &left).await), "{status}");
    }
    assert!(!gone(&state(&emr, &bystander).await));
}

fn between<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = xml.find(&open).unwrap() + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    &xml[start..end]
}

async fn group(ec2: &Ec2, name: &str) -> String {
    let xml = ec2
        .call(&[
            ("Action", "CreateSecurityGroup".into()),
            ("Version", API_VERSION.into()),
            ("GroupName", name.into()),
            ("GroupDescription", "EMR managed".into()),
        ])
        .await
        .unwrap();
    between(&xml, "groupId").to_string()
}

async fn allow_from(ec2: &Ec2, group: &str, source: &str) {
    ec2.call(&[
        ("Action", "AuthorizeSecurityGroupIngress".into()),
        ("Version", API_VERSION.into()),
        ("GroupId", group.into()),
        ("IpPermissions.1.IpProtocol", "tcp".into()),
        ("IpPermissions.1.FromPort", "0".into()),
        ("IpPermissions.1.ToPort", "65535".into()),
        ("IpPermissions.1.Groups.1.GroupId", source.into()),
    ])
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_account_stack_first_revokes_emr_s_cross_group_rules() {
    let config = config().await;
    let ec2 = Ec2::new(&config, HttpClient::new().unwrap());
    let primary = group(&ec2, "cleanup-primary").await;
    let core = group(&ec2, "cleanup-core").await;
    allow_from(&ec2, &primary, &core).await;
    allow_from(&ec2, &core, &primary).await;
    assert!(ec2.rules(&primary).await.unwrap().iter().any(|r| !r.egress));
    let cloudformation = FakeServer::start(|_| async { (200, json!({})) }).await;
    let cleanup = Cleanup::from_vars(
        &config,
        &BTreeMap::<String, String>::new(),
        HttpClient::new().unwrap(),
    );
    let event = |kind: &str| {
        json!({
            "RequestType": kind, "ResponseURL": format!("{}/response?sig=x", cloudformation.url),
            "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/dpc-account-x/1",
            "RequestId": format!("r-{kind}"), "LogicalResourceId": "EmrSecurityGroupRules",
            "PhysicalResourceId": "emr-security-group-rules/EmrSecurityGroupRules",
            "ResourceType": "Custom::DpcEmrSecurityGroups",
            "ResourceProperties": {"ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:dpc-cleanup",
                                   "SecurityGroupIds": [primary, core]}
        })
    };
    let created = cleanup
        .handle_custom_resource(&event("Create"))
        .await
        .unwrap();
    assert_eq!(created["revokedRules"], 0);
    assert!(
        !ec2.rules(&primary).await.unwrap().is_empty(),
        "create touches nothing"
    );

    let deleted = cleanup
        .handle_custom_resource(&event("Delete"))
        .await
        .unwrap();
    assert!(deleted["revokedRules"].as_u64().unwrap() >= 4, "{deleted}");
    assert!(ec2.rules(&primary).await.unwrap().is_empty());
    assert!(ec2.rules(&core).await.unwrap().is_empty());
    let answer = cloudformation.requests().last().unwrap().json();
    assert_eq!(answer["Status"], "SUCCESS");
    assert_eq!(
        answer["PhysicalResourceId"],
        "emr-security-group-rules/EmrSecurityGroupRules"
    );
    // Nothing refers to the groups any more: CloudFormation can delete them.
    for id in [&primary, &core] {
        ec2.call(&[
            ("Action", "DeleteSecurityGroup".into()),
            ("Version", API_VERSION.into()),
            ("GroupId", id.to_string()),
        ])
        .await
        .unwrap();
    }
}
