//! The run-time macros of `args` and `command`.

/// The macros dpc fills in at run time.
pub const MACROS: [&str; 5] = ["ds", "ds_nodash", "ts", "pipeline", "execution"];

/// A macro problem in a text: the byte offset of its `{{` and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroProblem {
    /// Byte offset of the macro's `{{` in the text.
    pub offset: usize,
    /// The macro as written, `{{dt}}`, or the unclosed rest.
    pub text: String,
    /// The name between the braces, trimmed; `None` when the macro is not closed.
    pub name: Option<String>,
}

/// Every `{{…}}` in `text` that is not one of [`MACROS`], and every `{{` never closed.
pub fn check_macros(text: &str) -> Vec<MacroProblem> {
    let mut problems = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("{{").map(|i| i + from) {
        match text[start + 2..].find("}}") {
            Some(len) => {
                let end = start + 2 + len + 2;
                let name = text[start + 2..start + 2 + len].trim();
                if !MACROS.contains(&name) {
                    problems.push(MacroProblem {
                        offset: start,
                        text: text[start..end].to_string(),
                        name: Some(name.to_string()),
                    });
                }
                from = end;
            }
            None => {
                problems.push(MacroProblem {
                    offset: start,
                    text: text[start..].to_string(),
                    name: None,
                });
                break;
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_macros_pass_and_others_are_found() {
        assert!(check_macros("--date {{ds}} {{ ds_nodash }} {{ts}}").is_empty());
        let found = check_macros("a {{dt}} b {{ds}} c {{oops");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name.as_deref(), Some("dt"));
        assert_eq!(found[0].offset, 2);
        assert_eq!(found[1].name, None);
    }
}
