//! The state machine of a pipeline, state by state.
//!
//! ```text
//! Read input ─▶ Trigger event? ─▶ Claim trigger event ─┬─▶ Report running ─▶ Run date ─▶ … ─▶ Start cluster
//!                              └▶ Claim execution ─────┘   (claim taken ─▶ Mark as duplicate ─▶ Succeed)
//! Start cluster (createCluster, keeps the id) ─▶ Run steps ══ Parallel ══╗
//!     ╔══ steps: Check the cluster ⟲ Wait ─▶ [Wait for the Hive metastore] ─▶ the DAG ─▶ All steps succeeded (Fail: ends the race)
//!     ╚══ Wait for the run's deadline ─▶ Run timed out (Fail)
//!   caught dpc.StepsSucceeded ─▶ Stop cluster ─▶ Report success ─▶ Pipeline succeeded
//!                                 (terminate failed 6×: Cluster not terminated ─▶ dpc.ClusterNotTerminated ─▶ failure path)
//!   caught dpc.RunTimedOut    ─▶ Stop cluster (run timed out) ─▶ Report timeout ─▶ wait for TIMED_OUT
//!   caught anything else      ─▶ Stop cluster (run failed) ─▶ Error name allowed? ─▶ [Name the error dpc.StepFailed]
//!                                 ─▶ Report failure ─▶ Pipeline failed
//!   Start cluster refused     ─▶ Cluster start failed (dpc.ClusterStartFailed) ─▶ Error name allowed? ─▶ …
//! ```
//!
//! Why it looks like this:
//! - **Claim.** A trigger event delivered twice starts two executions; the first to
//!   write the trigger's key to the claim table runs, the other ends at once in a
//!   `Succeed` state with output `{"dpcDuplicate": true}`. The key is the pipeline and
//!   the event's `time` (the firing time, [`dpc_model::contract::tables::claims::trigger_key`]),
//!   not EventBridge's `id`: the trigger manager's re-put of one firing gets a new id
//!   but keeps its time. Manual and scheduled starts claim their own execution, which
//!   always succeeds, so every run takes the same path.
//! - **RUNNING is reported after the claim.** Step Functions reports `RUNNING` (and
//!   `SUCCEEDED`) for a duplicate execution too, and its `RUNNING` event cannot say
//!   what the execution will turn out to be; so the machine reports `RUNNING` itself
//!   once its claim holds, with the execution's start time as the status's time, and
//!   the trigger manager ignores Step Functions' `RUNNING` of first runs and every
//!   event of an execution whose output marks it a duplicate.
//! - **Run date.** `ds`, `ds_nodash` and `ts` are computed once into variables from
//!   the input's `time` (the trigger event's time; the scheduled time for a schedule),
//!   else from the execution's start time (a manual run). A person may pass
//!   `{"time": "2026-01-01T00:00:00Z"}` to run for another date.
//! - **The cluster is always freed.** ASL has no timeout on `Parallel` states, so the
//!   run's timeout is a race: the steps run in one branch, a `Wait` until start time +
//!   timeout in the other; whichever ends first fails the `Parallel` with its own error
//!   (`dpc.StepsSucceeded` or `dpc.RunTimedOut`), which stops the other branch, and the
//!   catchers route every outcome through `terminateCluster`. A run that hits its
//!   timeout then waits for the state machine's own timeout (a little longer), so the
//!   execution really ends `TIMED_OUT`, as users and downstream conditions expect.
//!   `createCluster` is called without `.sync`: with `.sync`, a cluster that EMR
//!   creates and then loses while starting fails the task without its id, and
//!   nothing would terminate it. The steps branch polls `describeCluster` instead,
//!   inside the catchers. `terminateCluster` is retried six times with full jitter;
//!   after a successful run that still fails the run with `dpc.ClusterNotTerminated`
//!   (its cause names the cluster and the command that frees it), while a run that
//!   failed keeps its own error. Whatever remains, the account's cleanup Lambda
//!   terminates on every final status (by the `dpc:execution` tag), and EMR's idle
//!   auto-termination is the last line.
//! - **Legal error names.** Step Functions reserves error names that start with
//!   `States.`; the execution ends with a `dpc.*` name, any other error renamed
//!   `dpc.StepFailed` with the original error and cause as JSON in the cause.
//! - **The Hive metastore.** Its set-up runs in the background of a bootstrap action
//!   and can only finish once EMR installed Hive; the first step waits for its marker
//!   file (`dpc.MetastoreNotReady` after a bound) so no step meets the default one.
//! - **Steps** run as `addStep.sync` tasks, in series and `Parallel` states planned from
//!   the DAG ([`crate::stepfunctions::dag`]). A step with a `timeout` that runs over is
//!   cancelled on the cluster (its id is looked up by name with `ListSteps`, then
//!   `cancelStep`) before it is retried or the run fails; a step with `retries` loops
//!   back after a minute, counting attempts in the state data.
//! - **Own status report.** Step Functions' status events are best effort, so the
//!   machine puts its final status on the account's default bus itself; the account's
//!   forwarding rule sends it on to the central bus.

use super::macros;
use super::setup::{self, AccountSetup};
use crate::stepfunctions::asl::{
    Catcher, Choice, ChoiceRule, Comparison, Condition, Definition, Fail, Parallel, Pass,
    QueryLanguage, ResultPath, Retrier, Succeed, Task, Transition, Wait, WaitFor, errors,
};
use crate::stepfunctions::chain::{Chain, ChainError};
use crate::stepfunctions::dag::{self, Plan};
use crate::stepfunctions::intrinsic::Intrinsic;
use dpc_model::Duration;
use dpc_schema::{Pipeline, Step};
use serde_json::{Map, Value, json};

pub use dpc_model::contract::events::DUPLICATE_OUTPUT_KEY;

/// How much longer than the run's timeout the state machine's own timeout is: time to
/// stop the cluster and report after the in-flow deadline.
pub const TIMEOUT_GRACE_SECONDS: u64 = 600;

/// The longest a standard execution may run (one year).
pub const MAX_EXECUTION_SECONDS: u64 = 365 * 24 * 3600;

/// How often `terminateCluster` is retried before giving up (a successful run then
/// fails with [`error_names::CLUSTER_NOT_TERMINATED`]).
pub const TERMINATE_ATTEMPTS: u32 = 6;

/// Seconds between two checks of a starting cluster.
pub const CLUSTER_POLL_SECONDS: u64 = 30;

/// How long the first step waits for the Hive metastore set-up, at most.
pub const METASTORE_WAIT_SECONDS: u64 = 900;

/// Seconds between a failed attempt of a step and its retry.
pub const RETRY_INTERVAL_SECONDS: u64 = 60;

/// Error names the machine raises itself.
pub mod error_names {
    /// Every step succeeded: ends the race against the run's deadline.
    pub const STEPS_SUCCEEDED: &str = "dpc.StepsSucceeded";
    /// The run's deadline passed before the steps finished.
    pub const RUN_TIMED_OUT: &str = "dpc.RunTimedOut";
    /// A step failed on every attempt.
    pub const STEP_FAILED: &str = "dpc.StepFailed";
    /// A step ran over its timeout on its only attempt.
    pub const STEP_TIMED_OUT: &str = "dpc.StepTimedOut";
    /// EMR refused to create the cluster, or it ended before it was ready.
    pub const CLUSTER_START_FAILED: &str = "dpc.ClusterStartFailed";
    /// Terminating the cluster failed on every attempt: it may still be running.
    pub const CLUSTER_NOT_TERMINATED: &str = "dpc.ClusterNotTerminated";
    /// The Hive metastore set-up did not finish in time, so no step ran.
    pub const METASTORE_NOT_READY: &str = "dpc.MetastoreNotReady";
    /// The prefix of every name the execution may end with: Step Functions reserves
    /// `States.` for its own errors, so anything else is renamed [`STEP_FAILED`].
    pub const PREFIX: &str = "dpc.";
    /// DynamoDB's answer when the claim already exists.
    pub const CLAIM_TAKEN: &str = "DynamoDB.ConditionalCheckFailedException";
}

/// Names of the fixed states, for tests and readers of execution histories.
pub mod states {
    /// Moves the input to `$.input`.
    pub const READ_INPUT: &str = "Read input";
    /// Decides what to claim.
    pub const TRIGGER_EVENT: &str = "Trigger event?";
    /// Claims the trigger event (by pipeline and firing time).
    pub const CLAIM_EVENT: &str = "Claim trigger event";
    /// Claims the execution.
    pub const CLAIM_EXECUTION: &str = "Claim execution";
    /// Marks a duplicate execution's output.
    pub const MARK_DUPLICATE: &str = "Mark as duplicate";
    /// Where a duplicate delivery ends.
    pub const DUPLICATE: &str = "Duplicate trigger: already started";
    /// Reports RUNNING once the claim holds.
    pub const REPORT_RUNNING: &str = "Report running";
    /// Decides where the run's date comes from.
    pub const RUN_DATE: &str = "Run date";
    /// Takes the run's date from the input's `time`.
    pub const RUN_DATE_FROM_EVENT: &str = "Run date from the event";
    /// Takes the run's date from the execution's start.
    pub const RUN_DATE_FROM_START: &str = "Run date from the start time";
    /// Computes `ds_nodash`.
    pub const RUN_DATE_NODASH: &str = "Run date without dashes";
    /// `createCluster` (not `.sync`): the cluster's id is kept as soon as EMR has one.
    pub const START_CLUSTER: &str = "Start cluster";
    /// Turns a refused `createCluster` into [`super::error_names::CLUSTER_START_FAILED`].
    pub const CLUSTER_START_FAILED: &str = "Cluster start failed";
    /// Reads the cluster's state while it starts.
    pub const CHECK_CLUSTER: &str = "Check the cluster";
    /// Whether the cluster is ready, starting, or gone.
    pub const CLUSTER_READY: &str = "Cluster ready?";
    /// Waits between two checks of a starting cluster.
    pub const AWAIT_CLUSTER: &str = "Wait for the cluster";
    /// Fails the run: the cluster ended while it started.
    pub const CLUSTER_DID_NOT_START: &str = "Cluster did not start";
    /// Waits on the cluster for the Hive metastore set-up's marker.
    pub const AWAIT_METASTORE: &str = "Wait for the Hive metastore";
    /// Fails the run: the metastore was not ready in time.
    pub const METASTORE_NOT_READY: &str = "Hive metastore not ready";
    /// Turns a failed termination into [`super::error_names::CLUSTER_NOT_TERMINATED`].
    pub const CLUSTER_NOT_TERMINATED: &str = "Cluster not terminated";
    /// Keeps `dpc.*` errors, renames any other.
    pub const ERROR_NAME: &str = "Error name allowed?";
    /// Renames an error to [`super::error_names::STEP_FAILED`], the original in `Cause`.
    pub const RENAME_ERROR: &str = "Name the error dpc.StepFailed";
    /// The race of the steps against the deadline.
    pub const RUN_STEPS: &str = "Run steps";
    /// The end of the steps branch.
    pub const STEPS_SUCCEEDED: &str = "All steps succeeded";
    /// The watchdog's wait.
    pub const DEADLINE: &str = "Wait for the run's deadline";
    /// The watchdog's failure.
    pub const RUN_TIMED_OUT: &str = "Run timed out";
    /// Terminates the cluster after success.
    pub const STOP_CLUSTER: &str = "Stop cluster";
    /// Terminates the cluster after a failure.
    pub const STOP_CLUSTER_FAILED: &str = "Stop cluster (run failed)";
    /// Terminates the cluster after the deadline.
    pub const STOP_CLUSTER_TIMED_OUT: &str = "Stop cluster (run timed out)";
    /// Reports SUCCEEDED.
    pub const REPORT_SUCCESS: &str = "Report success";
    /// Reports FAILED.
    pub const REPORT_FAILURE: &str = "Report failure";
    /// Reports TIMED_OUT.
    pub const REPORT_TIMEOUT: &str = "Report timeout";
    /// Waits for the state machine's own timeout.
    pub const AWAIT_TIMEOUT: &str = "Wait for the execution to time out";
    /// Ends a successful run.
    pub const SUCCEEDED: &str = "Pipeline succeeded";
    /// Ends a failed run.
    pub const FAILED: &str = "Pipeline failed";
    /// Ends a timed-out run if the state machine's timeout did not.
    pub const TIMED_OUT: &str = "Pipeline timed out";
}

/// Everything the definition is built from.
pub struct DefinitionInput<'a> {
    /// The pipeline.
    pub pipeline: &'a Pipeline,
    /// Its account's shared resources.
    pub setup: &'a AccountSetup,
    /// How its steps run.
    pub plan: &'a Plan,
    /// The `createCluster.sync` request.
    pub cluster_request: Value,
    /// The `Step` request of each step, by index.
    pub step_requests: Vec<Value>,
}

/// The ARN of a Step Functions service integration, e.g. `elasticmapreduce:addStep.sync`.
pub fn integration(partition: &str, api: &str) -> String {
    format!("arn:{partition}:states:::{api}")
}

/// The state machine's own timeout: the run's timeout plus the grace, at most a year.
pub fn state_machine_timeout(timeout: Duration) -> u64 {
    (timeout.as_secs() + TIMEOUT_GRACE_SECONDS).min(MAX_EXECUTION_SECONDS)
}

/// Builds the definition.
///
/// # Errors
/// Only when names collide or exceed Step Functions' limit (step names are short and
/// unique, so this is a bug).
pub fn build(input: &DefinitionInput<'_>) -> Result<Definition, ChainError> {
    let p = input.setup.env.partition.as_str();
    let pipeline = input.pipeline;

    let mut chain = Chain::state(
        states::READ_INPUT,
        Pass {
            comment: Some(
                "The execution's input (a trigger event, a scheduled event, or what a person passed) moves to $.input, so the run's own data never collides with it".into(),
            ),
            result: None,
            parameters: Some(json!({"input.$": "$"})),
            result_path: None,
            assign: None,
            transition: Transition::End,
        },
    )?;
    chain = chain.then(claim(p, pipeline)?)?;
    chain = chain.then(run_date()?)?;
    // Not `.sync`: with `.sync`, a cluster that EMR creates and then loses while it
    // starts (capacity, a bad subnet) fails the task without its id, so nothing could
    // terminate it. The plain call returns the id at once; the steps branch waits for
    // the cluster, inside the run's catchers. No retry: a call that timed out may have
    // created a cluster, and a retry would create a second one (the cleanup function
    // finds the first by its execution tag).
    let mut start = Task::new(
        integration(p, "elasticmapreduce:createCluster"),
        input.cluster_request.clone(),
    );
    start.comment = Some(
        "Asks EMR for the pipeline's cluster and keeps its id; the steps branch waits until it is ready"
            .into(),
    );
    start.result_selector = Some(json!({"ClusterId.$": "$.ClusterId"}));
    start.result_path = Some(ResultPath::At("$.cluster".into()));
    start.catch.push(Catcher::new(
        [errors::ALL],
        ResultPath::At("$.error".into()),
        states::CLUSTER_START_FAILED,
    ));
    chain = chain.then_state(states::START_CLUSTER, start)?;
    let start_failed = Pass {
        comment: Some(
            "EMR refused the cluster, so there is none to terminate: names the failure, EMR's error in the cause".into(),
        ),
        result: None,
        parameters: Some(json!({
            "Error": error_names::CLUSTER_START_FAILED,
            "Cause.$": Intrinsic::Format {
                parts: vec!["EMR did not create the cluster: ".into(), String::new()],
                args: vec![json_to_string("$.error")],
            }
            .render(),
        })),
        result_path: Some(ResultPath::At("$.error".into())),
        assign: None,
        transition: Transition::Next(states::ERROR_NAME.into()),
    };
    chain.add(states::CLUSTER_START_FAILED, start_failed, false)?;

    let steps = steps_branch(input)?;
    let watchdog = watchdog_branch(pipeline.timeout)?;
    let mut run = Parallel::new(vec![
        steps.into_branch(Some(
            "The steps, in the order their dependencies require".into(),
        )),
        watchdog.into_branch(Some("The run's deadline".into())),
    ]);
    run.comment = Some(format!(
        "Races the steps against the run's timeout of {}; the first branch to end fails the state with its own error, and the catchers free the cluster in every case",
        pipeline.timeout
    ));
    run.catch = vec![
        Catcher::new(
            [error_names::STEPS_SUCCEEDED],
            ResultPath::Discard,
            states::STOP_CLUSTER,
        ),
        Catcher::new(
            [error_names::RUN_TIMED_OUT],
            ResultPath::At("$.error".into()),
            states::STOP_CLUSTER_TIMED_OUT,
        ),
        Catcher::new(
            [errors::ALL],
            ResultPath::At("$.error".into()),
            states::STOP_CLUSTER_FAILED,
        ),
    ];
    chain = chain.then_state(states::RUN_STEPS, run)?;

    // Success.
    chain = chain.then_state(
        states::STOP_CLUSTER,
        terminate(
            p,
            true,
            states::REPORT_SUCCESS,
            states::CLUSTER_NOT_TERMINATED,
        ),
    )?;
    chain.add(states::CLUSTER_NOT_TERMINATED, not_terminated(), false)?;
    chain = chain.then_state(
        states::REPORT_SUCCESS,
        report(p, pipeline, "SUCCEEDED", false, states::SUCCEEDED),
    )?;
    chain = chain.then_state(
        states::SUCCEEDED,
        Succeed {
            comment: Some("Every step succeeded and the cluster is terminated".into()),
        },
    )?;

    // Failure.
    let mut rename = Pass {
        comment: Some("Step Functions reserves error names starting with `States.`: the execution ends with dpc.StepFailed, the original error and cause as JSON in its cause".into()),
        result: None,
        parameters: Some(json!({
            "Error": error_names::STEP_FAILED,
            "Cause.$": json_to_string("$.error").render(),
        })),
        result_path: Some(ResultPath::At("$.error".into())),
        assign: None,
        transition: Transition::End,
    };
    rename.transition = Transition::Next(states::REPORT_FAILURE.into());
    let mut failure_names = Chain::state(
        states::STOP_CLUSTER_FAILED,
        // The run failed already: its own error is what the report and the alert must
        // name, so a failed termination keeps it; the cleanup function, run on every
        // final status, terminates the cluster by its execution tag.
        terminate(p, true, states::ERROR_NAME, states::ERROR_NAME),
    )?
    .then_state(
        states::ERROR_NAME,
        Choice {
            comment: Some("Keeps the names dpc raises itself; any other is renamed, so the execution never ends with a name Step Functions reserves".into()),
            choices: vec![ChoiceRule {
                condition: Condition::compare(
                    "$.error.Error",
                    Comparison::StringMatches(format!("{}*", error_names::PREFIX)),
                ),
                next: states::REPORT_FAILURE.into(),
            }],
            default: Some(states::RENAME_ERROR.into()),
        },
    )?;
    failure_names.add(states::RENAME_ERROR, rename, false)?;
    let failure = Chain::state(
        states::REPORT_FAILURE,
        report(p, pipeline, "FAILED", true, states::FAILED),
    )?
    .then_state(
        states::FAILED,
        Fail {
            comment: Some("Fails the execution with the error that ended the run, always a dpc.* name (see the state before the report)".into()),
            error_path: Some("$.error.Error".into()),
            cause_path: Some("$.error.Cause".into()),
            ..Fail::default()
        },
    )?;
    chain.absorb(failure)?;
    chain.absorb(failure_names)?;

    // The run's deadline passed.
    let mut await_timeout = Wait::new(WaitFor::Seconds(2 * TIMEOUT_GRACE_SECONDS));
    await_timeout.comment = Some(
        "Lets the state machine's own timeout end the execution, so its status is TIMED_OUT".into(),
    );
    let timed_out = Chain::state(
        states::STOP_CLUSTER_TIMED_OUT,
        terminate(p, false, states::REPORT_TIMEOUT, states::REPORT_TIMEOUT),
    )?
    .then_state(
        states::REPORT_TIMEOUT,
        report(p, pipeline, "TIMED_OUT", true, states::AWAIT_TIMEOUT),
    )?
    .then_state(states::AWAIT_TIMEOUT, await_timeout)?
    .then_state(
        states::TIMED_OUT,
        Fail {
            comment: Some(
                "Only reached if the state machine's timeout did not end the execution first"
                    .into(),
            ),
            error: Some(error_names::RUN_TIMED_OUT.into()),
            cause: Some(format!(
                "the run did not finish within its timeout of {}",
                pipeline.timeout
            )),
            ..Fail::default()
        },
    )?;
    chain.absorb(timed_out)?;

    let mut definition = chain.into_definition(
        Some(format!(
            "dpc pipeline `{}` in account {}: claim the trigger, start an EMR cluster, run the steps, always terminate the cluster, report the status",
            pipeline.name, pipeline.account.id
        )),
        Some(state_machine_timeout(pipeline.timeout)),
    );
    definition.query_language = None;
    Ok(definition)
}

// The claims are JSONata states: only JSONata can compute the item's expiry time (epoch
// seconds) from the state's entry time. Pipeline names are `[a-z0-9-]`, so they need
// no escaping inside the JSONata string literals.
fn claim(partition: &str, pipeline_def: &Pipeline) -> Result<Chain, ChainError> {
    let pipeline = pipeline_def.name.as_str();
    let put = |key: String, comment: &str| {
        let mut item = Map::new();
        item.insert(setup::CLAIM_TABLE_KEY.into(), json!({"S": key}));
        item.insert("pipeline".into(), json!({"S": pipeline}));
        item.insert(
            "execution".into(),
            json!({"S": "{% $states.context.Execution.Id %}"}),
        );
        item.insert(
            "claimedAt".into(),
            json!({"S": "{% $states.context.State.EnteredTime %}"}),
        );
        item.insert(
            setup::CLAIM_TABLE_TTL.into(),
            json!({"N": format!(
                "{{% $string($floor($toMillis($states.context.State.EnteredTime) / 1000) + {}) %}}",
                setup::CLAIM_TTL_SECONDS
            )}),
        );
        let mut task = Task::jsonata(
            integration(partition, "dynamodb:putItem"),
            json!({
                "TableName": setup::CLAIM_TABLE_NAME,
                "Item": Value::Object(item),
                "ConditionExpression": format!("attribute_not_exists({})", setup::CLAIM_TABLE_KEY)
            }),
        );
        task.comment = Some(comment.to_owned());
        task.output = Some(Value::String("{% $states.input %}".into()));
        task.retry = vec![
            // The claim being taken is the answer, not a fault: never retried.
            Retrier {
                max_attempts: Some(0),
                ..Retrier::on([error_names::CLAIM_TAKEN])
            },
            service_retry(),
        ];
        task.catch = vec![Catcher {
            error_equals: vec![error_names::CLAIM_TAKEN.into()],
            result_path: None,
            next: states::MARK_DUPLICATE.into(),
        }];
        task
    };
    let event_key = claim_key_expression(pipeline);
    let execution_key = format!("{{% '{pipeline}#execution#' & $states.context.Execution.Id %}}");
    let choice = Choice {
        comment: Some("A trigger event (from the central bus) is claimed by its firing time, the same in every delivery and re-put of one firing; any other start by its execution".into()),
        choices: vec![ChoiceRule {
            condition: Condition::And(vec![
                Condition::compare("$.input.source", Comparison::IsPresent(true)),
                Condition::compare(
                    "$.input.source",
                    Comparison::StringEquals(dpc_model::TRIGGER_SOURCE.into()),
                ),
                Condition::compare("$.input.time", Comparison::IsPresent(true)),
                Condition::compare("$.input.time", Comparison::IsTimestamp(true)),
            ]),
            next: states::CLAIM_EVENT.into(),
        }],
        default: Some(states::CLAIM_EXECUTION.into()),
    };
    let mut chain = Chain::state(states::TRIGGER_EVENT, choice)?;
    chain.add(
        states::CLAIM_EVENT,
        put(event_key, "Writes the trigger's key (pipeline and firing time) to the claim table unless it is there: EventBridge may deliver an event twice and the trigger manager may put it twice, and only the first execution to claim it runs"),
        true,
    )?;
    chain.add(
        states::CLAIM_EXECUTION,
        put(execution_key, "Manual and scheduled starts claim their own execution, so every run takes the same path"),
        true,
    )?;
    // The duplicate's own status events (RUNNING, SUCCEEDED) still reach the central
    // bus; its output says what it was, so the trigger manager can tell it from a run.
    let mark = Pass {
        comment: Some("The execution's output says it was a duplicate and ran nothing".into()),
        result: Some(json!({ DUPLICATE_OUTPUT_KEY: true })),
        parameters: None,
        result_path: None,
        assign: None,
        transition: Transition::Next(states::DUPLICATE.into()),
    };
    chain.add(states::MARK_DUPLICATE, mark, false)?;
    chain.add(
        states::DUPLICATE,
        Succeed {
            comment: Some("This trigger event was delivered twice; the execution that claimed it first runs the pipeline, this one does nothing".into()),
        },
        false,
    )?;
    chain.then_state(
        states::REPORT_RUNNING,
        report_running(partition, pipeline_def),
    )
}

/// The JSONata expression of a trigger event's claim key: what
/// [`dpc_model::contract::tables::claims::trigger_key`] gives for the event's `time`.
pub fn claim_key_expression(pipeline: &str) -> String {
    format!(
        "{{% '{pipeline}{}' & $states.input.input.time %}}",
        dpc_model::contract::tables::claims::TRIGGER_INFIX
    )
}

// The status's time is `startDate`, the execution's start (the put's own time is a
// little later); the trigger manager reads it as Step Functions' RUNNING event's.
fn report_running(partition: &str, pipeline: &Pipeline) -> Task {
    let mut task = report(partition, pipeline, "RUNNING", false, states::RUN_DATE);
    if let Some(detail) = task
        .parameters
        .as_mut()
        .and_then(|p| p.pointer_mut("/Entries/0/Detail"))
        .and_then(Value::as_object_mut)
    {
        detail.insert(
            "startDate.$".into(),
            Value::String("$$.Execution.StartTime".into()),
        );
    }
    task.comment = Some("Reports RUNNING, with the execution's start as its time, once the claim holds: Step Functions also reports RUNNING for a duplicate execution, so the trigger manager takes RUNNING from here. Best effort: the run goes on without it".into());
    task
}

fn run_date() -> Result<Chain, ChainError> {
    let date_of = |time: &str| {
        Intrinsic::array_get_item(
            Intrinsic::string_split(Intrinsic::Path(time.into()), "T"),
            0,
        )
        .render()
    };
    let assign = |time: &str| {
        let mut vars = Map::new();
        vars.insert("ts.$".into(), Value::String(time.into()));
        vars.insert("ds.$".into(), Value::String(date_of(time)));
        vars
    };
    let choice = Choice {
        comment: Some("The run's date: the input's `time` (trigger or scheduled time) when it has one, else the execution's start".into()),
        choices: vec![ChoiceRule {
            condition: Condition::And(vec![
                Condition::compare("$.input.time", Comparison::IsPresent(true)),
                Condition::compare("$.input.time", Comparison::IsTimestamp(true)),
            ]),
            next: states::RUN_DATE_FROM_EVENT.into(),
        }],
        default: Some(states::RUN_DATE_FROM_START.into()),
    };
    let mut chain = Chain::state(states::RUN_DATE, choice)?;
    let mut from_event = Pass::assign(assign("$.input.time"));
    from_event.transition = Transition::Next(states::RUN_DATE_NODASH.into());
    chain.add(states::RUN_DATE_FROM_EVENT, from_event, false)?;
    let mut from_start = Pass::assign(assign("$$.Execution.StartTime"));
    from_start.transition = Transition::Next(states::RUN_DATE_NODASH.into());
    chain.add(states::RUN_DATE_FROM_START, from_start, false)?;
    let part = |i: i64| {
        Intrinsic::array_get_item(
            Intrinsic::string_split(Intrinsic::Path(macros::DS.into()), "-"),
            i,
        )
    };
    let nodash = Intrinsic::Format {
        parts: vec![String::new(), String::new(), String::new(), String::new()],
        args: vec![part(0), part(1), part(2)],
    };
    let mut vars = Map::new();
    vars.insert("ds_nodash.$".into(), Value::String(nodash.render()));
    chain.add(states::RUN_DATE_NODASH, Pass::assign(vars), true)?;
    Ok(chain)
}

fn steps_branch(input: &DefinitionInput<'_>) -> Result<Chain, ChainError> {
    let p = input.setup.env.partition.clone();
    let steps = &input.pipeline.steps;
    let names: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
    let mut render_step = |i: usize| -> Result<Chain, ChainError> {
        let request = input.step_requests.get(i).cloned().unwrap_or(Value::Null);
        match steps.get(i) {
            Some(step) => step_chain(&p, i, step, request),
            None => Err(ChainError::NoOpenEnd(format!("step #{i}"))),
        }
    };
    let body = dag::render(input.plan, &names, &mut render_step)?;
    let body = if input.pipeline.cluster.hive_metastore.is_some() {
        Chain::state(states::AWAIT_METASTORE, await_metastore(&p))?.then(body)?
    } else {
        body
    };
    let mut chain = cluster_ready(&p, body.start())?;
    if input.pipeline.cluster.hive_metastore.is_some() {
        chain.add(
            states::METASTORE_NOT_READY,
            Fail {
                comment: None,
                error: Some(error_names::METASTORE_NOT_READY.into()),
                cause: Some(format!(
                    "the Hive metastore set-up did not finish within {METASTORE_WAIT_SECONDS} seconds, so no step ran; its log is /tmp/dpc-hive-metastore.log on the primary node"
                )),
                ..Fail::default()
            },
            false,
        )?;
    }
    chain.absorb(body)?;
    chain.then_state(
        states::STEPS_SUCCEEDED,
        Fail {
            comment: Some("Not a failure: ends the race with the run's deadline, and the catcher goes on to stop the cluster".into()),
            error: Some(error_names::STEPS_SUCCEEDED.into()),
            cause: Some("every step succeeded".into()),
            ..Fail::default()
        },
    )
}

/// The file the Hive metastore bootstrap action writes on the primary node once the
/// metastore runs with its connection (`hive-metastore.sh`).
pub const METASTORE_READY_MARKER: &str = "/tmp/dpc-hive-metastore.done";

/// The file it writes when the set-up failed, so the wait ends at once.
pub const METASTORE_FAILED_MARKER: &str = "/tmp/dpc-hive-metastore.failed";

/// The name of the internal EMR step that waits for the metastore.
pub const METASTORE_STEP_NAME: &str = "dpc: wait for the Hive metastore";

// The steps branch starts here: `createCluster` returned at once, so the cluster is
// polled until it is ready. A cluster that ends while starting fails the branch with
// its id known, and the run's catchers terminate it (a no-op if EMR already did).
fn cluster_ready(partition: &str, ready: &str) -> Result<Chain, ChainError> {
    let mut check = Task::new(
        integration(partition, "aws-sdk:emr:describeCluster"),
        json!({"ClusterId.$": "$.cluster.ClusterId"}),
    );
    check.comment = Some("Reads the state of the starting cluster".into());
    check.result_selector = Some(json!({"Status.$": "$.Cluster.Status"}));
    check.result_path = Some(ResultPath::At("$.clusterState".into()));
    check.retry = vec![service_retry()];
    let mut chain = Chain::state(states::CHECK_CLUSTER, check)?;
    let state_is = |s: &str| {
        Condition::compare(
            "$.clusterState.Status.State",
            Comparison::StringEquals(s.into()),
        )
    };
    chain = chain.then_state(
        states::CLUSTER_READY,
        Choice {
            comment: Some("Steps start once the cluster waits for work; a cluster that ends instead fails the run".into()),
            choices: vec![
                ChoiceRule {
                    condition: Condition::Or(vec![state_is("WAITING"), state_is("RUNNING")]),
                    next: ready.into(),
                },
                ChoiceRule {
                    condition: Condition::Or(vec![state_is("STARTING"), state_is("BOOTSTRAPPING")]),
                    next: states::AWAIT_CLUSTER.into(),
                },
            ],
            default: Some(states::CLUSTER_DID_NOT_START.into()),
        },
    )?;
    let mut pause = Wait::new(WaitFor::Seconds(CLUSTER_POLL_SECONDS));
    pause.transition = Transition::Next(states::CHECK_CLUSTER.into());
    chain.add(states::AWAIT_CLUSTER, pause, false)?;
    chain.add(
        states::CLUSTER_DID_NOT_START,
        Fail {
            comment: Some("EMR ended the cluster while it started (capacity, subnet, bootstrap action): the catchers still terminate it".into()),
            error: Some(error_names::CLUSTER_START_FAILED.into()),
            cause_path: Some(
                Intrinsic::Format {
                    parts: vec![
                        "EMR cluster ".into(),
                        " ended while it started: ".into(),
                        String::new(),
                    ],
                    args: vec![
                        Intrinsic::Path("$.cluster.ClusterId".into()),
                        json_to_string("$.clusterState.Status"),
                    ],
                }
                .render(),
            ),
            ..Fail::default()
        },
        false,
    )?;
    Ok(chain)
}

// Hive's metastore is configured by a background job of the bootstrap action, which
// can only run once EMR installed Hive, i.e. after the cluster is WAITING. Without
// this step the first step may meet the default metastore. The step runs on the
// primary node, where the job writes its marker; it gives up after a bound.
fn await_metastore(partition: &str) -> Task {
    let tries = METASTORE_WAIT_SECONDS / 5;
    let script = format!(
        "for i in $(seq 1 {tries}); do if [ -f {METASTORE_READY_MARKER} ]; then exit 0; fi; if [ -f {METASTORE_FAILED_MARKER} ]; then cat /tmp/dpc-hive-metastore.log; exit 1; fi; sleep 5; done; echo 'the Hive metastore set-up did not finish'; exit 1"
    );
    let mut task = Task::new(
        integration(partition, "elasticmapreduce:addStep.sync"),
        json!({"ClusterId.$": "$.cluster.ClusterId", "Step": {
            "Name": METASTORE_STEP_NAME,
            "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["bash", "-c", script]},
        }}),
    );
    task.comment = Some(
        "Waits on the cluster until the Hive metastore set-up has finished, so no step meets the default metastore"
            .into(),
    );
    task.result_path = Some(ResultPath::Discard);
    task.timeout_seconds = Some(METASTORE_WAIT_SECONDS + 300);
    task.catch = vec![Catcher::new(
        [errors::ALL],
        ResultPath::At("$.stepError".into()),
        states::METASTORE_NOT_READY,
    )];
    task
}

fn watchdog_branch(timeout: Duration) -> Result<Chain, ChainError> {
    let millis = timeout.as_secs().saturating_mul(1000);
    let mut wait = Wait::new(WaitFor::Timestamp(format!(
        "{{% $fromMillis($toMillis($states.context.Execution.StartTime) + {millis}) %}}"
    )));
    wait.query_language = Some(QueryLanguage::Jsonata);
    wait.comment = Some(format!(
        "Waits until the execution's start time plus the run's timeout ({timeout}); JSONata because JSONPath cannot add to a time"
    ));
    Chain::state(states::DEADLINE, wait)?.then_state(
        states::RUN_TIMED_OUT,
        Fail {
            comment: Some("Stops the steps branch: the run is over its timeout".into()),
            error: Some(error_names::RUN_TIMED_OUT.into()),
            cause: Some(format!(
                "the run did not finish within its timeout of {timeout}"
            )),
            ..Fail::default()
        },
    )
}

/// The states of one step: the `addStep.sync` task, and, with a timeout or retries, the
/// cancel and retry states around it. The chain's only open end is the task itself.
fn step_chain(
    partition: &str,
    index: usize,
    step: &Step,
    request: Value,
) -> Result<Chain, ChainError> {
    let name = step.name.as_str();
    // Step names may be 63 characters; a state name at most 80 (shortened with a hash
    // of the whole name, so it stays unique).
    let derived = |suffix: &str| {
        dpc_model::naming::fit_name(
            &format!("{name}: {suffix}"),
            crate::stepfunctions::chain::MAX_STATE_NAME,
        )
    };
    let find = derived("find timed-out step");
    let running = derived("still running?");
    let cancel = derived("cancel timed-out step");
    let retry = derived("retry?");
    let first_retry = derived("first retry");
    let next_retry = derived("next retry");
    let wait = derived("wait before retry");
    let failed = derived("failed");
    let timed_out = derived("timed out");
    let counter = format!("$.retries_{index}");

    let mut task = Task::new(
        integration(partition, "elasticmapreduce:addStep.sync"),
        json!({"ClusterId.$": "$.cluster.ClusterId", "Step": request}),
    );
    task.comment = Some(format!(
        "Runs step `{name}` on the cluster and waits for it to end"
    ));
    task.result_path = Some(ResultPath::Discard);
    task.timeout_seconds = step.timeout.map(Duration::as_secs);
    let after_cancel = if step.retries > 0 { &retry } else { &timed_out };
    if step.timeout.is_some() {
        task.catch.push(Catcher::new(
            [errors::TIMEOUT],
            ResultPath::At("$.stepError".into()),
            &find,
        ));
    }
    if step.retries > 0 {
        task.catch.push(Catcher::new(
            [errors::ALL],
            ResultPath::At("$.stepError".into()),
            &retry,
        ));
    }
    let mut chain = Chain::state(name, task)?;

    if let Some(limit) = step.timeout {
        let mut list = Task::new(
            integration(partition, "aws-sdk:emr:listSteps"),
            json!({"ClusterId.$": "$.cluster.ClusterId", "StepStates": ["PENDING", "RUNNING"]}),
        );
        list.comment = Some(format!(
            "Step `{name}` ran over its timeout of {limit}: finds its EMR step id by name to cancel it"
        ));
        // Step names are `[a-z][a-z0-9-]*`, so they need no quoting inside the filter.
        list.result_selector = Some(json!({"ids.$": format!("$.Steps[?(@.Name == '{name}')].Id")}));
        list.result_path = Some(ResultPath::At("$.timedOut".into()));
        list.retry = vec![service_retry()];
        list.catch = vec![Catcher::new(
            [errors::ALL],
            ResultPath::At("$.cancelError".into()),
            after_cancel.as_str(),
        )];
        list.transition = Transition::Next(running.clone());
        chain.add(&find, list, false)?;
        chain.add(
            &running,
            Choice {
                comment: Some("Cancel the step only if EMR still runs it".into()),
                choices: vec![ChoiceRule {
                    condition: Condition::compare("$.timedOut.ids[0]", Comparison::IsPresent(true)),
                    next: cancel.clone(),
                }],
                default: Some(after_cancel.clone()),
            },
            false,
        )?;
        let mut cancel_task = Task::new(
            integration(partition, "elasticmapreduce:cancelStep"),
            json!({"ClusterId.$": "$.cluster.ClusterId", "StepId.$": "$.timedOut.ids[0]"}),
        );
        cancel_task.comment = Some(format!(
            "Cancels the timed-out step `{name}` before anything else runs"
        ));
        cancel_task.result_path = Some(ResultPath::Discard);
        cancel_task.retry = vec![service_retry()];
        cancel_task.catch = vec![Catcher::new(
            [errors::ALL],
            ResultPath::At("$.cancelError".into()),
            after_cancel.as_str(),
        )];
        cancel_task.transition = Transition::Next(after_cancel.clone());
        chain.add(&cancel, cancel_task, false)?;
        if step.retries == 0 {
            chain.add(
                &timed_out,
                Fail {
                    comment: None,
                    error: Some(error_names::STEP_TIMED_OUT.into()),
                    cause: Some(format!(
                        "step `{name}` ran longer than its timeout of {limit} and was cancelled"
                    )),
                    ..Fail::default()
                },
                false,
            )?;
        }
    }

    if step.retries > 0 {
        let attempts = step.retries + 1;
        let mut rules = vec![ChoiceRule {
            condition: Condition::Not(Box::new(Condition::compare(
                &counter,
                Comparison::IsPresent(true),
            ))),
            next: first_retry.clone(),
        }];
        if step.retries > 1 {
            rules.push(ChoiceRule {
                condition: Condition::compare(
                    format!("{counter}.count"),
                    Comparison::NumericLessThan(i64::from(step.retries)),
                ),
                next: next_retry.clone(),
            });
        }
        chain.add(
            &retry,
            Choice {
                comment: Some(format!("Step `{name}` may run {attempts} times in all")),
                choices: rules,
                default: Some(failed.clone()),
            },
            false,
        )?;
        let mut first = Pass::result(json!({"count": 1}), ResultPath::At(counter.clone()));
        first.transition = Transition::Next(wait.clone());
        chain.add(&first_retry, first, false)?;
        if step.retries > 1 {
            let mut next = Pass {
                comment: None,
                result: None,
                parameters: Some(
                    json!({"count.$": Intrinsic::math_add(Intrinsic::Path(format!("{counter}.count")), 1).render()}),
                ),
                result_path: Some(ResultPath::At(counter.clone())),
                assign: None,
                transition: Transition::Next(wait.clone()),
            };
            next.comment = Some("Counts the retry".into());
            chain.add(&next_retry, next, false)?;
        }
        let mut pause = Wait::new(WaitFor::Seconds(RETRY_INTERVAL_SECONDS));
        pause.transition = Transition::Next(name.to_owned());
        chain.add(&wait, pause, false)?;
        chain.add(
            &failed,
            Fail {
                comment: None,
                error: Some(error_names::STEP_FAILED.into()),
                cause: Some(format!(
                    "step `{name}` failed on all {attempts} attempts; the execution history shows each attempt's error"
                )),
                ..Fail::default()
            },
            false,
        )?;
    }
    Ok(chain)
}

fn terminate(partition: &str, wait: bool, next: &str, on_failure: &str) -> Task {
    let api = if wait {
        "elasticmapreduce:terminateCluster.sync"
    } else {
        "elasticmapreduce:terminateCluster"
    };
    let mut task = Task::new(
        integration(partition, api),
        json!({"ClusterId.$": "$.cluster.ClusterId"}),
    );
    task.comment = Some(if wait {
        "Terminates the cluster and waits until it is gone".into()
    } else {
        "Terminates the cluster without waiting: the execution's timeout is near".into()
    });
    task.result_path = Some(ResultPath::Discard);
    // A cluster left running costs money until someone notices: retry for about
    // ten minutes (full jitter, so many executions throttled together spread out)
    // before the run fails with dpc.ClusterNotTerminated.
    task.retry = vec![Retrier {
        interval_seconds: Some(5),
        max_attempts: Some(TERMINATE_ATTEMPTS),
        backoff_rate: Some(2.0),
        max_delay_seconds: Some(300),
        jitter_strategy: Some("FULL".into()),
        ..Retrier::on([errors::ALL])
    }];
    task.catch = vec![Catcher::new(
        [errors::ALL],
        ResultPath::At("$.stopError".into()),
        on_failure,
    )];
    task.transition = Transition::Next(next.to_owned());
    task
}

// The cause names the cluster and the command that frees it: whoever reads the
// failure (its alert, the execution's history) can act on it at once. The cleanup
// function, which runs on every final status, tries again by the execution's tag.
fn not_terminated() -> Pass {
    Pass {
        comment: Some("Terminating failed on every attempt: fails the run with dpc.ClusterNotTerminated, naming the cluster and how to terminate it by hand".into()),
        result: None,
        parameters: Some(json!({
            "Error": error_names::CLUSTER_NOT_TERMINATED,
            "Cause.$": Intrinsic::Format {
                parts: vec![
                    "EMR cluster ".into(),
                    " of execution ".into(),
                    " could not be terminated (".into(),
                    "); it may still be running: terminate it with `aws emr terminate-clusters --cluster-ids ".into(),
                    "`".into(),
                ],
                args: vec![
                    Intrinsic::Path("$.cluster.ClusterId".into()),
                    Intrinsic::Path("$$.Execution.Id".into()),
                    json_to_string("$.stopError"),
                    Intrinsic::Path("$.cluster.ClusterId".into()),
                ],
            }
            .render(),
        })),
        result_path: Some(ResultPath::At("$.error".into())),
        assign: None,
        transition: Transition::Next(states::ERROR_NAME.into()),
    }
}

fn json_to_string(path: &str) -> Intrinsic {
    Intrinsic::Call("JsonToString", vec![Intrinsic::Path(path.into())])
}

fn report(
    partition: &str,
    pipeline: &Pipeline,
    status: &str,
    with_error: bool,
    next: &str,
) -> Task {
    let mut detail = json!({
        "version": "1",
        "pipeline": pipeline.name,
        "account": pipeline.account.id,
        "status": status,
        "executionArn.$": "$$.Execution.Id",
        "stateMachineArn.$": "$$.StateMachine.Id",
        "redriveCount.$": "$$.Execution.RedriveCount",
    });
    if with_error && let Some(map) = detail.as_object_mut() {
        map.insert("error.$".into(), Value::String("$.error.Error".into()));
    }
    let mut task = Task::new(
        integration(partition, "events:putEvents"),
        json!({"Entries": [{
            "Source": setup::STATUS_SOURCE,
            "DetailType": setup::STATUS_DETAIL_TYPE,
            "Detail": detail,
        }]}),
    );
    task.comment = Some(format!(
        "Reports {status} to the account's default bus (forwarded to the central bus): Step Functions' own status events are best effort"
    ));
    task.result_path = Some(ResultPath::Discard);
    task.retry = vec![service_retry()];
    task.catch = vec![Catcher::new(
        [errors::ALL],
        ResultPath::At("$.reportError".into()),
        next,
    )];
    task.transition = Transition::Next(next.to_owned());
    task
}

fn service_retry() -> Retrier {
    Retrier {
        interval_seconds: Some(5),
        max_attempts: Some(3),
        backoff_rate: Some(2.0),
        ..Retrier::on([errors::ALL])
    }
}
