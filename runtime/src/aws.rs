//! The AWS SDK set up once per process: one HTTPS client (rustls with ring, the
//! system's root certificates), the region and credentials from the environment as
//! Lambda sets them, and — for tests — an endpoint override (moto).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// Where the SDK sends its requests and as whom.
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    /// Every service at this URL instead of AWS (moto in tests).
    pub endpoint_url: Option<String>,
    /// Fixed credentials instead of the default chain (tests).
    pub static_credentials: Option<(String, String)>,
    /// The region instead of `AWS_REGION`.
    pub region: Option<String>,
}

/// The SDK configuration every client of a handler is built from.
pub async fn load(settings: &AwsSettings) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some((id, secret)) = &settings.static_credentials {
        loader = loader.credentials_provider(Credentials::new(id, secret, None, None, "static"));
    }
    loader.load().await
}

/// The current credentials of `config`, for signing requests the SDK does not make
/// (the central API).
///
/// # Errors
/// When the config has no credentials provider or it fails.
pub async fn credentials(config: &SdkConfig) -> Result<Credentials, String> {
    let provider = config
        .credentials_provider()
        .ok_or("no AWS credentials provider is configured")?;
    provider
        .provide_credentials()
        .await
        .map_err(|e| format!("cannot get AWS credentials: {e}"))
}

/// The DynamoDB client.
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// The EventBridge client.
pub fn eventbridge(config: &SdkConfig) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(config)
}

/// The SNS client.
pub fn sns(config: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}

/// The Secrets Manager client.
pub fn secretsmanager(config: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(config)
}

/// The EMR client.
pub fn emr(config: &SdkConfig) -> aws_sdk_emr::Client {
    aws_sdk_emr::Client::new(config)
}

/// The text of an SDK error with its service error's message, not just "service error".
pub fn error_text<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use std::error::Error as _;
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
