//! Just enough YAML writing for the generator: block lines at an indent, flow lists and
//! maps, and double-quoted scalars where plain ones would be read as something else.

/// Block-style YAML built line by line (two spaces per level).
#[derive(Default)]
pub struct Yaml {
    text: String,
}

impl Yaml {
    /// Appends `line` at `depth` levels of indentation.
    pub fn line(&mut self, depth: usize, line: &str) {
        for _ in 0..depth {
            self.text.push_str("  ");
        }
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// The document.
    pub fn finish(self) -> String {
        self.text
    }
}

/// A double-quoted scalar. JSON's string syntax is a subset of YAML's double-quoted
/// style, so serde_json's escaping is correct here.
pub fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// `[a, b, c]`; items are written as given (quote them first where needed).
pub fn flow_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("[{}]", inner.join(", "))
}

/// `{ k: v, … }`; values are written as given.
pub fn flow_map(fields: &[(&str, String)]) -> String {
    let inner: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{ {} }}", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_yaml_would_misread() {
        assert_eq!(quoted("222222222222"), "\"222222222222\"");
        assert_eq!(quoted("{{ds}}"), "\"{{ds}}\"");
        assert_eq!(flow_list(&["a", "b"]), "[a, b]");
        assert_eq!(flow_map(&[("hour", "3".into())]), "{ hour: 3 }");
        let mut y = Yaml::default();
        y.line(0, "a:");
        y.line(1, "b: 1");
        assert_eq!(y.finish(), "a:\n  b: 1\n");
    }
}
