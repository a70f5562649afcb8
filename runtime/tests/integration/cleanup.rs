//! The cleanup function terminates exactly the EMR clusters of an aborted execution.

use crate::central::{RENT, arn, sfn};
use crate::support::moto::config;
use aws_sdk_emr::types::{ClusterState, JobFlowInstancesConfig, Tag};
use dpc_runtime::cleanup::Cleanup;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_execution_loses_its_clusters_and_only_those() {
    let config = config().await;
    let emr = aws_sdk_emr::Client::new(&config);
    let aborted = arn(RENT, "pipeline-x", "cleanup-aborted");
    let other = arn(RENT, "pipeline-x", "cleanup-running");
    let mine = cluster(&emr, "mine", &aborted).await;
    let theirs = cluster(&emr, "theirs", &other).await;
    let cleanup = Cleanup::from_vars(&config, &BTreeMap::<String, String>::new());

    let succeeded = sfn(
        RENT,
        "pipeline-x",
        "cleanup-aborted",
        "SUCCEEDED",
        "2026-11-26T09:00:00Z",
        Some("2026-11-26T09:10:00Z"),
    );
    assert!(
        cleanup
            .handle(&succeeded)
            .await
            .unwrap()
            .clusters
            .is_empty(),
        "a success cleans up after itself"
    );

    // No startDate filter here: moto stamps clusters with the real time.
    let mut event = sfn(
        RENT,
        "pipeline-x",
        "cleanup-aborted",
        "ABORTED",
        "2026-11-26T09:00:00Z",
        Some("2026-11-26T09:10:00Z"),
    );
    event["detail"].as_object_mut().unwrap().remove("startDate");
    let done = cleanup.handle(&event).await.unwrap();
    assert_eq!(done.clusters, std::slice::from_ref(&mine));
    assert!(matches!(
        state(&emr, &mine).await,
        ClusterState::Terminating | ClusterState::Terminated
    ));
    assert!(!matches!(
        state(&emr, &theirs).await,
        ClusterState::Terminating | ClusterState::Terminated
    ));
    // The event again: nothing active is left to terminate.
    assert!(cleanup.handle(&event).await.unwrap().clusters.is_empty());
}
