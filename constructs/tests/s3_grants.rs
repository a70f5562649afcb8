//! Every S3 location a pipeline's cluster reads or writes for dpc (scripts in S3 and
//! shipped as assets, bootstrap actions, step arguments and commands, its log location)
//! is granted to the cluster's instance role, in every example: the walk is
//! [`s3_walk::ungranted`], run on the synthesized templates.

#[path = "security_fixtures.rs"]
mod fixtures;
#[path = "s3_walk.rs"]
mod s3_walk;

use serde_json::Value;

const EXAMPLES: [&str; 3] = ["case-study", "features", "five-accounts"];

fn pipeline_templates(example: &str) -> Vec<(String, Value)> {
    fixtures::synth(example)
        .stacks()
        .iter()
        .filter(|s| s.artifact_id.starts_with("dpc-pipeline-"))
        .map(|s| (s.artifact_id.clone(), s.template()))
        .collect()
}

#[test]
fn every_location_a_cluster_uses_is_granted_in_every_example() {
    for example in EXAMPLES {
        let templates = pipeline_templates(example);
        assert!(!templates.is_empty(), "{example} has pipelines");
        let mut checked = 0;
        for (id, template) in &templates {
            checked += s3_walk::location_count(template);
            let missing = s3_walk::ungranted(template);
            assert!(missing.is_empty(), "{example}/{id}: {missing:#?}");
        }
        // Each pipeline has at least its log location, and some have scripts too.
        assert!(checked > templates.len(), "{example}: {checked} locations");
    }
}

/// Removes the statement `sid` from the instance role of `template`.
fn without_statement(template: &Value, sid: &str) -> Value {
    let mut template = template.clone();
    let resources = template["Resources"].as_object_mut().expect("resources");
    let mut removed = false;
    for resource in resources.values_mut() {
        if resource["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for policy in resource["Properties"]["Policies"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            if let Some(statements) = policy["PolicyDocument"]["Statement"].as_array_mut() {
                let before = statements.len();
                statements.retain(|s| s["Sid"] != sid);
                removed |= statements.len() < before;
            }
        }
    }
    assert!(removed, "no statement {sid}");
    template
}

#[test]
fn the_walk_fails_when_any_grant_the_case_study_needs_is_removed() {
    let templates = pipeline_templates("case-study");
    let get = |id: &str| {
        templates
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, t)| t.clone())
            .expect("template")
    };
    // (template, statement, a location it alone grants)
    let cases = [
        (
            "dpc-pipeline-search-searches",
            "ScriptsInS3",
            "s3://search-artifacts/jobs/sessions.jar",
        ),
        (
            "dpc-pipeline-search-searches",
            "ClusterLogs",
            "emr-logs/dpc-searches/",
        ),
        ("dpc-pipeline-rent-journey-pipeline-x", "JobScripts", ".py"),
        (
            "dpc-pipeline-rent-journey-pipeline-x",
            "ReadData",
            "s3://lake/metric-x/dt={}/",
        ),
        (
            "dpc-pipeline-core-data-listings",
            "ReadData",
            "s3://lake/listings/_staging/{}/",
        ),
    ];
    for (id, sid, location) in cases {
        let template = get(id);
        assert!(s3_walk::ungranted(&template).is_empty(), "{id} as built");
        let missing = s3_walk::ungranted(&without_statement(&template, sid));
        assert!(
            missing.iter().any(|m| m.location.contains(location)),
            "{id} without {sid}: {missing:#?}"
        );
    }
}
