//! The Amazon States Language as typed Rust values.
//!
//! Every state type dpc uses is a struct whose fields are the ASL fields, and a
//! [`Definition`] serialises (with serde) to exactly the JSON Step Functions reads, so a
//! state machine is built as data and rendered once, never written as strings.
//! Transitions are a type ([`Transition`]): a state either names its `Next` state or
//! ends its branch, never both and never neither; a `Wait` waits for exactly one thing.
//!
//! Reference: <https://states-language.net/spec.html> and the Step Functions developer
//! guide. Only serialisation is needed: dpc writes definitions, it never reads them.

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// Error names Step Functions itself raises, for `Retry` and `Catch`.
pub mod errors {
    /// Matches every error.
    pub const ALL: &str = "States.ALL";
    /// A state ran longer than its `TimeoutSeconds` (or the execution did).
    pub const TIMEOUT: &str = "States.Timeout";
    /// A task failed (for `.sync` integrations: the job failed).
    pub const TASK_FAILED: &str = "States.TaskFailed";
}

/// A whole state machine: the top level of a definition.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Definition {
    /// A human-readable description of the state machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The query language of every state that does not set its own (JSONPath when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// The state the execution starts in.
    pub start_at: String,
    /// The states, by name.
    pub states: IndexMap<String, State>,
    /// The execution fails with `States.Timeout` after this many seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
}

/// One branch of a `Parallel` state: a small state machine of its own.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Branch {
    /// What the branch does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The branch's first state.
    pub start_at: String,
    /// The branch's states, by name; no state outside the branch may transition into them.
    pub states: IndexMap<String, State>,
}

/// `QueryLanguage`: how a state's fields are evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum QueryLanguage {
    /// `InputPath`/`Parameters`/`ResultSelector`/`ResultPath`/`OutputPath`, `.$` keys and
    /// intrinsic functions; the default.
    #[serde(rename = "JSONPath")]
    JsonPath,
    /// `Arguments`/`Output` with `{% expression %}` strings.
    #[serde(rename = "JSONata")]
    Jsonata,
}

/// What happens after a state: go to `Next`, or end the (branch of the) state machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// `"Next": name`.
    Next(String),
    /// `"End": true`.
    End,
}

impl Serialize for Transition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Transition::Next(next) => map.serialize_entry("Next", next)?,
            Transition::End => map.serialize_entry("End", &true)?,
        }
        map.end()
    }
}

/// `ResultPath`: where a state's result goes in its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResultPath {
    /// `null`: the result is discarded and the input passes through unchanged.
    Discard,
    /// A reference path such as `$.cluster`.
    At(String),
}

impl Serialize for ResultPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ResultPath::Discard => serializer.serialize_none(),
            ResultPath::At(path) => serializer.serialize_str(path),
        }
    }
}

/// A state of any type. Serialises with its `"Type"` first.
// A definition holds tens of states, built once: boxing the large variants would cost
// readability for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "Type")]
pub enum State {
    /// Does work through a service integration or an activity.
    Task(Task),
    /// Runs branches side by side and waits for all of them.
    Parallel(Parallel),
    /// Passes its input on, optionally reshaped or with variables assigned.
    Pass(Pass),
    /// Branches on the input.
    Choice(Choice),
    /// Ends the execution (or branch) successfully.
    Succeed(Succeed),
    /// Ends the execution (or branch) with an error.
    Fail(Fail),
    /// Waits for a time span or until a timestamp.
    Wait(Wait),
}

impl State {
    /// The state's transition, for the types that have one (`Choice`, `Succeed` and `Fail`
    /// do not).
    pub fn transition(&self) -> Option<&Transition> {
        match self {
            State::Task(s) => Some(&s.transition),
            State::Parallel(s) => Some(&s.transition),
            State::Pass(s) => Some(&s.transition),
            State::Wait(s) => Some(&s.transition),
            State::Choice(_) | State::Succeed(_) | State::Fail(_) => None,
        }
    }

    /// Mutable access to the transition, for wiring chains together.
    pub fn transition_mut(&mut self) -> Option<&mut Transition> {
        match self {
            State::Task(s) => Some(&mut s.transition),
            State::Parallel(s) => Some(&mut s.transition),
            State::Pass(s) => Some(&mut s.transition),
            State::Wait(s) => Some(&mut s.transition),
            State::Choice(_) | State::Succeed(_) | State::Fail(_) => None,
        }
    }

    /// Every state name this state may go to: `Next`, the `Catch` targets and the
    /// `Choice` targets (not the states inside a `Parallel`'s branches).
    pub fn targets(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(Transition::Next(next)) = self.transition() {
            out.push(next.as_str());
        }
        match self {
            State::Task(s) => out.extend(s.catch.iter().map(|c| c.next.as_str())),
            State::Parallel(s) => out.extend(s.catch.iter().map(|c| c.next.as_str())),
            State::Choice(s) => {
                out.extend(s.choices.iter().map(|c| c.next.as_str()));
                out.extend(s.default.as_deref());
            }
            _ => {}
        }
        out
    }

    /// The `Catch` list of a `Task` or `Parallel` (empty for the other types).
    pub fn catchers(&self) -> &[Catcher] {
        match self {
            State::Task(s) => &s.catch,
            State::Parallel(s) => &s.catch,
            _ => &[],
        }
    }
}

/// A retry policy for some errors (`Retry` entry).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retrier {
    /// The error names this retrier handles.
    pub error_equals: Vec<String>,
    /// Seconds before the first retry (ASL default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u64>,
    /// Retries at most this many times (ASL default 3; 0 never retries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// The interval's multiplier per attempt (ASL default 2.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_rate: Option<f64>,
    /// The longest interval between attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_delay_seconds: Option<u64>,
    /// `FULL` spreads each interval at random between 0 and its value, so retries of
    /// many executions hitting one throttled API do not arrive together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_strategy: Option<String>,
}

impl Retrier {
    /// A retrier for `errors`, with ASL's defaults for everything else.
    pub fn on<I: IntoIterator<Item = S>, S: Into<String>>(errors: I) -> Retrier {
        Retrier {
            error_equals: errors.into_iter().map(Into::into).collect(),
            interval_seconds: None,
            max_attempts: None,
            backoff_rate: None,
            max_delay_seconds: None,
            jitter_strategy: None,
        }
    }
}

/// A fallback for some errors (`Catch` entry): where to go and where the error goes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Catcher {
    /// The error names this catcher handles.
    pub error_equals: Vec<String>,
    /// Where the error output (`{"Error": ..., "Cause": ...}`) goes in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_path: Option<ResultPath>,
    /// The state to go to.
    pub next: String,
}

impl Catcher {
    /// Catches `errors`, puts the error output at `result_path` and goes to `next`.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(
        errors: I,
        result_path: ResultPath,
        next: impl Into<String>,
    ) -> Catcher {
        Catcher {
            error_equals: errors.into_iter().map(Into::into).collect(),
            result_path: Some(result_path),
            next: next.into(),
        }
    }
}

/// A `Task` state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    /// What the state is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Overrides the definition's query language for this state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// The integration, e.g. `arn:aws:states:::elasticmapreduce:addStep.sync`.
    pub resource: String,
    /// The request (JSONPath): keys ending in `.$` are paths or intrinsic functions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// The request (JSONata).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
    /// Reshapes the result before `ResultPath` applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_selector: Option<Value>,
    /// Where the result goes in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_path: Option<ResultPath>,
    /// Fails with `States.Timeout` after this many seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Variables to set from the result (`$states.result` / the state's output).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assign: Option<Map<String, Value>>,
    /// The state's output (JSONata), e.g. `{% $states.input %}` to pass the input on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Retry policies, tried in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<Retrier>,
    /// Fallbacks once retries are exhausted, tried in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub catch: Vec<Catcher>,
    /// What comes next.
    #[serde(flatten)]
    pub transition: Transition,
}

impl Task {
    /// A JSONata task calling `resource` with `arguments`, ending its branch until wired
    /// on.
    pub fn jsonata(resource: impl Into<String>, arguments: Value) -> Task {
        let mut task = Task::new(resource, Value::Null);
        task.query_language = Some(QueryLanguage::Jsonata);
        task.parameters = None;
        task.arguments = Some(arguments);
        task
    }

    /// A task calling `resource` with `parameters`, ending its branch until wired on.
    pub fn new(resource: impl Into<String>, parameters: Value) -> Task {
        Task {
            comment: None,
            query_language: None,
            resource: resource.into(),
            parameters: Some(parameters),
            arguments: None,
            result_selector: None,
            result_path: None,
            timeout_seconds: None,
            assign: None,
            output: None,
            retry: Vec::new(),
            catch: Vec::new(),
            transition: Transition::End,
        }
    }
}

/// A `Parallel` state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parallel {
    /// What the state is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The branches, run side by side; each gets a copy of the input.
    pub branches: Vec<Branch>,
    /// Where the array of branch outputs goes; `Discard` passes the input on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_path: Option<ResultPath>,
    /// Retry policies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<Retrier>,
    /// Fallbacks: a failing branch stops the others and the whole state fails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub catch: Vec<Catcher>,
    /// What comes next.
    #[serde(flatten)]
    pub transition: Transition,
}

impl Parallel {
    /// Runs `branches` side by side and passes its own input on unchanged.
    pub fn new(branches: Vec<Branch>) -> Parallel {
        Parallel {
            comment: None,
            branches,
            result_path: Some(ResultPath::Discard),
            retry: Vec::new(),
            catch: Vec::new(),
            transition: Transition::End,
        }
    }
}

/// A `Pass` state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Pass {
    /// What the state is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// A fixed result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// A result built from the input (payload template).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Where the result goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_path: Option<ResultPath>,
    /// Variables to set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assign: Option<Map<String, Value>>,
    /// What comes next.
    #[serde(flatten)]
    pub transition: Transition,
}

impl Pass {
    /// A pass state that only assigns `variables` and leaves the data as it is.
    pub fn assign(variables: Map<String, Value>) -> Pass {
        Pass {
            comment: None,
            result: None,
            parameters: None,
            result_path: None,
            assign: Some(variables),
            transition: Transition::End,
        }
    }

    /// A pass state that puts `result` at `result_path`.
    pub fn result(result: Value, result_path: ResultPath) -> Pass {
        Pass {
            comment: None,
            result: Some(result),
            parameters: None,
            result_path: Some(result_path),
            assign: None,
            transition: Transition::End,
        }
    }
}

/// A `Choice` state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Choice {
    /// What the state decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The rules, tried in order; the first that holds wins.
    pub choices: Vec<ChoiceRule>,
    /// Where to go when no rule holds (without it, that is a runtime error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// One rule of a `Choice`: a condition and the state it leads to.
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceRule {
    /// When the rule holds.
    pub condition: Condition,
    /// Where it leads.
    pub next: String,
}

impl Serialize for ChoiceRule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.condition.write_fields(&mut map)?;
        map.serialize_entry("Next", &self.next)?;
        map.end()
    }
}

/// A boolean expression over the input, as `Choice` rules write them.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `{"Variable": path, <comparison>}`.
    Compare {
        /// The path (or variable) compared, e.g. `$.time`.
        variable: String,
        /// The comparison.
        test: Comparison,
    },
    /// All hold.
    And(Vec<Condition>),
    /// One holds.
    Or(Vec<Condition>),
    /// Does not hold.
    Not(Box<Condition>),
}

/// A comparison operator with its operand.
#[derive(Clone, Debug, PartialEq)]
pub enum Comparison {
    /// `IsPresent`: the path exists (or, with `false`, does not).
    IsPresent(bool),
    /// `IsString`.
    IsString(bool),
    /// `IsTimestamp`: the value is an RFC 3339 timestamp string.
    IsTimestamp(bool),
    /// `StringEquals`.
    StringEquals(String),
    /// `StringMatches`: a pattern where `*` stands for any text.
    StringMatches(String),
    /// `NumericLessThan`.
    NumericLessThan(i64),
    /// `BooleanEquals`.
    BooleanEquals(bool),
}

impl Condition {
    /// `variable` compared with `test`.
    pub fn compare(variable: impl Into<String>, test: Comparison) -> Condition {
        Condition::Compare {
            variable: variable.into(),
            test,
        }
    }

    fn write_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        match self {
            Condition::Compare { variable, test } => {
                map.serialize_entry("Variable", variable)?;
                match test {
                    Comparison::IsPresent(b) => map.serialize_entry("IsPresent", b),
                    Comparison::IsString(b) => map.serialize_entry("IsString", b),
                    Comparison::IsTimestamp(b) => map.serialize_entry("IsTimestamp", b),
                    Comparison::StringEquals(s) => map.serialize_entry("StringEquals", s),
                    Comparison::StringMatches(s) => map.serialize_entry("StringMatches", s),
                    Comparison::NumericLessThan(n) => map.serialize_entry("NumericLessThan", n),
                    Comparison::BooleanEquals(b) => map.serialize_entry("BooleanEquals", b),
                }
            }
            Condition::And(all) => map.serialize_entry("And", &Nested(all)),
            Condition::Or(any) => map.serialize_entry("Or", &Nested(any)),
            Condition::Not(inner) => map.serialize_entry("Not", &NestedOne(inner)),
        }
    }
}

// Nested conditions are objects without `Next`.
struct Nested<'a>(&'a [Condition]);
struct NestedOne<'a>(&'a Condition);

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(NestedOne))
    }
}

impl Serialize for NestedOne<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.0.write_fields(&mut map)?;
        map.end()
    }
}

/// A `Succeed` state.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Succeed {
    /// Why the execution ends here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A `Fail` state: static `Error`/`Cause`, or taken from the input by path.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Fail {
    /// Why the execution fails here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The error name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A human-readable cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The error name, from the input (a reference path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_path: Option<String>,
    /// The cause, from the input (a reference path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause_path: Option<String>,
}

/// What a `Wait` state waits for: exactly one of ASL's four forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitFor {
    /// `Seconds`.
    Seconds(u64),
    /// `SecondsPath` (JSONPath states).
    SecondsPath(String),
    /// `Timestamp`: RFC 3339, or a `{% %}` expression in a JSONata state.
    Timestamp(String),
    /// `TimestampPath` (JSONPath states).
    TimestampPath(String),
}

impl Serialize for WaitFor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            WaitFor::Seconds(n) => map.serialize_entry("Seconds", n)?,
            WaitFor::SecondsPath(p) => map.serialize_entry("SecondsPath", p)?,
            WaitFor::Timestamp(t) => map.serialize_entry("Timestamp", t)?,
            WaitFor::TimestampPath(p) => map.serialize_entry("TimestampPath", p)?,
        }
        map.end()
    }
}

/// A `Wait` state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Wait {
    /// What the wait is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Overrides the definition's query language (JSONata for computed timestamps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// How long, or until when.
    #[serde(flatten)]
    pub wait: WaitFor,
    /// What comes next.
    #[serde(flatten)]
    pub transition: Transition,
}

impl Wait {
    /// Waits as `wait` says, ending its branch until wired on.
    pub fn new(wait: WaitFor) -> Wait {
        Wait {
            comment: None,
            query_language: None,
            wait,
            transition: Transition::End,
        }
    }
}

macro_rules! into_state {
    ($($ty:ident),*) => {$(
        impl From<$ty> for State {
            fn from(s: $ty) -> State {
                State::$ty(s)
            }
        }
    )*};
}
into_state!(Task, Parallel, Pass, Choice, Succeed, Fail, Wait);

impl Definition {
    /// The definition as JSON, for the `Definition` property of the CloudFormation resource.
    pub fn to_json(&self) -> Value {
        // Every key is a string and no float is non-finite (backoff rates are set by dpc),
        // so serialising cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states_serialise_as_asl() {
        let mut task = Task::new(
            "arn:aws:states:::elasticmapreduce:addStep.sync",
            json!({"ClusterId.$": "$clusterId"}),
        );
        task.timeout_seconds = Some(60);
        task.result_path = Some(ResultPath::Discard);
        task.catch.push(Catcher::new(
            [errors::TIMEOUT],
            ResultPath::At("$.error".into()),
            "cancel",
        ));
        task.transition = Transition::Next("after".into());
        assert_eq!(
            serde_json::to_value(State::from(task)).unwrap(),
            json!({
                "Type": "Task",
                "Resource": "arn:aws:states:::elasticmapreduce:addStep.sync",
                "Parameters": {"ClusterId.$": "$clusterId"},
                "ResultPath": null,
                "TimeoutSeconds": 60,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "cancel"}],
                "Next": "after"
            })
        );
        let choice = Choice {
            comment: None,
            choices: vec![ChoiceRule {
                condition: Condition::And(vec![
                    Condition::compare("$.time", Comparison::IsPresent(true)),
                    Condition::compare("$.time", Comparison::IsTimestamp(true)),
                ]),
                next: "a".into(),
            }],
            default: Some("b".into()),
        };
        assert_eq!(
            serde_json::to_value(State::from(choice)).unwrap(),
            json!({
                "Type": "Choice",
                "Choices": [{"And": [
                    {"Variable": "$.time", "IsPresent": true},
                    {"Variable": "$.time", "IsTimestamp": true}
                ], "Next": "a"}],
                "Default": "b"
            })
        );
        let mut wait = Wait::new(WaitFor::Timestamp("{% $deadline %}".into()));
        wait.query_language = Some(QueryLanguage::Jsonata);
        assert_eq!(
            serde_json::to_value(State::from(wait)).unwrap(),
            json!({"Type": "Wait", "QueryLanguage": "JSONata", "Timestamp": "{% $deadline %}", "End": true})
        );
    }
}
