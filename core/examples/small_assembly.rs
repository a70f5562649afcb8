//! Writes a small two-stack cloud assembly (with a file asset) into the directory given as
//! the first argument, e.g. to check it with the AWS CDK CLI:
//! `cargo run -p dpc-core --example small_assembly -- /tmp/asm && cdk ls --app /tmp/asm`.

use dpc_core::{App, Expr, FileAsset, Output, Pseudo, RawResource, StackProps};
use serde_json::json;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: small_assembly <output dir>");
        return ExitCode::FAILURE;
    };
    match build().map(|app| app.synth()) {
        Ok(Ok(assembly)) => match assembly.write(std::path::Path::new(&dir)) {
            Ok(report) => {
                println!(
                    "written {:?}\nunchanged {:?}\nremoved {:?}",
                    report.written, report.unchanged, report.removed
                );
                ExitCode::SUCCESS
            }
            Err(d) => {
                eprintln!("{d}");
                ExitCode::FAILURE
            }
        },
        Ok(Err(diagnostics)) | Err(diagnostics) => {
            diagnostics.iter().for_each(|d| eprintln!("{d}"));
            ExitCode::FAILURE
        }
    }
}

fn build() -> Result<App, Vec<dpc_core::Diagnostic>> {
    let mut app = App::new();
    let env = |account: &str| StackProps {
        account: account.into(),
        region: "eu-west-1".into(),
        ..StackProps::default()
    };
    let central = app
        .add_stack("dpc-central", env("111111111111"))
        .map_err(|d| vec![d])?;
    let mut pipeline_props = env("222222222222");
    pipeline_props.stack_name = Some("dpc-pipeline-listings".into());
    pipeline_props
        .tags
        .insert("dpc:pipeline".into(), "listings".into());
    let pipeline = app
        .add_stack("dpc-pipeline-core-data-listings", pipeline_props)
        .map_err(|d| vec![d])?;
    app.add_dependency(pipeline, central).map_err(|d| vec![d])?;

    let mut scope = app.scope(central).map_err(|d| vec![d])?;
    let bus = {
        let mut bus = scope.child("Bus").map_err(|d| vec![d])?;
        let resource = RawResource::new("AWS::Events::EventBus", json!({"Name": "dpc-central"}));
        bus.add_resource("Resource", resource)
            .map_err(|d| vec![d])?
    };
    scope
        .add_output("BusArn", Output::new(bus.attr("Arn")))
        .map_err(|d| vec![d])?;

    let mut scope = app.scope(pipeline).map_err(|d| vec![d])?;
    let script = scope
        .add_file_asset(FileAsset::bytes(b"print('hello')\n".to_vec(), "py"))
        .map_err(|d| vec![d])?;
    // A bundle built later (`dpc synth --bundle`): listed in the asset manifest, not copied.
    let bundle = scope
        .add_file_asset(FileAsset::file("not-built-yet/bundle.zip").with_id("runtime-0001"))
        .map_err(|d| vec![d])?;
    scope
        .add_resource(
            "Fn",
            RawResource::new(
                "AWS::Lambda::Function",
                json!({
                    "Code": {"S3Bucket": bundle.bucket_name, "S3Key": bundle.object_key},
                    "Handler": "bootstrap",
                    "Runtime": "provided.al2023",
                    "Role": Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/dpc-runtime"),
                }),
            ),
        )
        .map_err(|d| vec![d])?;
    scope
        .add_resource(
            "Logs",
            RawResource::new(
                "AWS::Logs::LogGroup",
                json!({
                    "LogGroupName": Expr::sub("/dpc/${AWS::Region}/listings"),
                    "RetentionInDays": 30,
                    "Tags": [{"Key": "script", "Value": script.s3_url}, {"Key": "account", "Value": Expr::Pseudo(Pseudo::AccountId)}],
                }),
            ),
        )
        .map_err(|d| vec![d])?;
    Ok(app)
}
