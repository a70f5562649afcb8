//! SPEC's run-time macros in `args` and `command`: `{{ds}}`, `{{ds_nodash}}`, `{{ts}}`,
//! `{{pipeline}}`, `{{execution}}`.
//!
//! The run's date and time are computed once, at the start of the execution, into the
//! state machine variables `$ds`, `$ds_nodash` and `$ts` (see [`super::definition`]);
//! each text with macros becomes a `States.Format(...)` over them. `{{pipeline}}` is
//! known at synth time and written as text; `{{execution}}` is the execution's name
//! (`$$.Execution.Name`), which is unique per state machine and short enough for paths.

use crate::stepfunctions::intrinsic::{Piece, Template};

/// The variable that holds the run's date, `YYYY-MM-DD` (UTC).
pub const DS: &str = "$ds";
/// The variable that holds the run's date without dashes, `YYYYMMDD`.
pub const DS_NODASH: &str = "$ds_nodash";
/// The variable that holds the run's time, RFC 3339.
pub const TS: &str = "$ts";
/// The context path of the execution's name.
pub const EXECUTION: &str = "$$.Execution.Name";

/// A text with `{{...}}` macros as a template for run time.
///
/// # Errors
/// The name of a macro dpc does not know, or `None` inside `Err` for a `{{` never
/// closed. The loader rejects both before constructs run, so this is a second line.
pub fn template(text: &str, pipeline: &str) -> Result<Template, Option<String>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        pieces.push(Piece::Text(rest[..start].to_owned()));
        let after = &rest[start + 2..];
        let Some(len) = after.find("}}") else {
            return Err(None);
        };
        let piece = match after[..len].trim() {
            "ds" => Piece::Value(DS.to_owned()),
            "ds_nodash" => Piece::Value(DS_NODASH.to_owned()),
            "ts" => Piece::Value(TS.to_owned()),
            "execution" => Piece::Value(EXECUTION.to_owned()),
            "pipeline" => Piece::Text(pipeline.to_owned()),
            other => return Err(Some(other.to_owned())),
        };
        pieces.push(piece);
        rest = &after[len + 2..];
    }
    pieces.push(Piece::Text(rest.to_owned()));
    Ok(Template::new(pieces))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn macros_become_format_arguments() {
        let t = template(
            "s3://x/{{pipeline}}/dt={{ds}}/{{ ds_nodash }}-{{execution}}",
            "px",
        )
        .unwrap();
        assert_eq!(
            t.to_value(),
            Value::String(
                "States.Format('s3://x/px/dt={}/{}-{}', $ds, $ds_nodash, $$.Execution.Name)".into()
            )
        );
        assert_eq!(
            template("{{pipeline}} only", "px").unwrap().to_value(),
            Value::String("px only".into())
        );
        assert_eq!(template("{{dt}}", "p"), Err(Some("dt".into())));
        assert_eq!(template("{{ds", "p"), Err(None));
    }
}
