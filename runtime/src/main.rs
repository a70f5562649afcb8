//! `bootstrap`: the Lambda custom runtime for every dpc function (`DPC_HANDLER`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    dpc_runtime::handler::run().await
}
