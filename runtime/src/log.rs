//! Structured logs: one JSON object per line on stdout, which Lambda's JSON log
//! format keeps as is.
//!
//! Every line has `timestamp`, `level`, `message` and `executionArn` (`null` where a
//! line concerns no execution), then the fields of the spans it is in (outermost
//! first: `handler`, `requestId`, `pipeline`, ...), then its own fields. Handlers
//! open a span with `executionArn` for each execution they work on, so every line
//! logged while working on it names it.

use serde_json::{Map, Value};
use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// The span field every line carries at the top level.
pub const EXECUTION_FIELD: &str = "executionArn";

/// Where the lines go.
#[derive(Clone)]
pub enum Sink {
    /// Standard output (Lambda).
    Stdout,
    /// A buffer (tests).
    Buffer(Arc<Mutex<Vec<u8>>>),
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sink::Stdout => f.write_str("Stdout"),
            Sink::Buffer(_) => f.write_str("Buffer"),
        }
    }
}

impl Sink {
    fn write_line(&self, line: &[u8]) {
        match self {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                // A log line that cannot be written must not fail the invocation.
                let _ = out.write_all(line).and_then(|()| out.flush());
            }
            Sink::Buffer(buffer) => {
                if let Ok(mut buffer) = buffer.lock() {
                    buffer.extend_from_slice(line);
                }
            }
        }
    }
}

/// The layer that writes JSON lines.
#[derive(Debug)]
pub struct JsonLines {
    sink: Sink,
}

struct SpanFields(Map<String, Value>);

struct Visitor<'a>(&'a mut Map<String, Value>);

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_string(), Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_string(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_string(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_string(), Value::String(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(
            field.name().to_string(),
            Value::String(format!("{value:?}")),
        );
    }
}

impl<S> Layer<S> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        attrs.record(&mut Visitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<SpanFields>()
        {
            values.record(&mut Visitor(&mut fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut own = Map::new();
        event.record(&mut Visitor(&mut own));
        let mut context = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    for (k, v) in &fields.0 {
                        context.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        let mut line = Map::new();
        line.insert("timestamp".into(), Value::String(now_rfc3339()));
        line.insert(
            "level".into(),
            Value::String(event.metadata().level().as_str().to_string()),
        );
        line.insert(
            "message".into(),
            own.remove("message")
                .unwrap_or(Value::String(String::new())),
        );
        let execution = own
            .remove(EXECUTION_FIELD)
            .or_else(|| context.remove(EXECUTION_FIELD))
            .unwrap_or(Value::Null);
        line.insert(EXECUTION_FIELD.into(), execution);
        line.extend(context);
        line.extend(own);
        line.insert(
            "target".into(),
            Value::String(event.metadata().target().to_string()),
        );
        if let Ok(mut text) = serde_json::to_vec(&Value::Object(line)) {
            text.push(b'\n');
            self.sink.write_line(&text);
        }
    }
}

fn now_rfc3339() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = i64::try_from(now.as_secs()).unwrap_or(0);
    let text = dpc_model::Timestamp::from_unix_seconds(seconds)
        .map(|t| t.to_string())
        .unwrap_or_default();
    // `2026-11-26T09:10:00Z` → `2026-11-26T09:10:00.123Z`
    match text.strip_suffix('Z') {
        Some(stem) => format!("{stem}.{:03}Z", now.subsec_millis()),
        None => text,
    }
}

/// The level from `DPC_LOG_LEVEL` (`info` when absent or unknown).
pub fn level_from(text: Option<&str>) -> LevelFilter {
    match text.map(str::to_ascii_lowercase).as_deref() {
        Some("error") => LevelFilter::ERROR,
        Some("warn") => LevelFilter::WARN,
        Some("debug") => LevelFilter::DEBUG,
        Some("trace") => LevelFilter::TRACE,
        Some("off") => LevelFilter::OFF,
        _ => LevelFilter::INFO,
    }
}

/// A subscriber writing JSON lines at `level` to `sink`.
pub fn subscriber(sink: Sink, level: LevelFilter) -> impl Subscriber + Send + Sync {
    tracing_subscriber::registry().with(JsonLines { sink }.with_filter(level))
}

/// Installs the JSON subscriber for the process (Lambda).
pub fn init(level: LevelFilter) {
    // A second call (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber(Sink::Stdout, level));
}

/// The level name, for messages.
pub fn level_name(level: Level) -> &'static str {
    level.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::{info, info_span};

    #[test]
    fn every_line_is_json_with_the_execution_of_its_span() {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sub = subscriber(Sink::Buffer(buffer.clone()), LevelFilter::INFO);
        tracing::subscriber::with_default(sub, || {
            let outer = info_span!("invocation", handler = "trigger-manager", requestId = "r-1");
            let _o = outer.enter();
            info!("no execution yet");
            let inner = info_span!(
                "execution",
                executionArn = "arn:aws:states:x",
                pipeline = "p"
            );
            let _i = inner.enter();
            info!(children = 2, "evaluated");
            tracing::debug!("filtered out");
        });
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["executionArn"], Value::Null);
        assert_eq!(lines[0]["handler"], "trigger-manager");
        assert_eq!(lines[1]["executionArn"], "arn:aws:states:x");
        assert_eq!(lines[1]["message"], "evaluated");
        assert_eq!(lines[1]["children"], 2);
        assert_eq!(lines[1]["requestId"], "r-1");
        assert_eq!(lines[1]["level"], "INFO");
        let keys: Vec<&String> = lines[1].as_object().unwrap().keys().collect();
        assert_eq!(keys[..4], ["timestamp", "level", "message", "executionArn"]);
        assert!(lines[1]["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}
