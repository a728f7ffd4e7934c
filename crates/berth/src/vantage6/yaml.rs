//! Writes a YAML value tree the way PyYAML (YAML 1.1, what the CLI reads with) understands it.
//!
//! A general YAML 1.2 emitter leaves `off`, `yes`, `1_000` or `12:30` unquoted, and PyYAML then
//! reads a boolean or a number where Berth wrote a string. This emitter writes block style and
//! quotes every string that is not plainly a string in both versions (as JSON, which is valid
//! YAML double-quoted text).

use serde_norway::Value;

/// Words YAML 1.1 or 1.2 read as booleans or null.
const SPECIAL: &[&str] = &[
    "y", "yes", "n", "no", "on", "off", "true", "false", "null", "~",
];

/// Whether `s` can be written without quotes and still reads back as this string everywhere.
fn plain_ok(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '/' || first == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '@' | '-' | '+'))
        && !SPECIAL.contains(&s.to_ascii_lowercase().as_str())
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.is_nan() => ".nan".to_owned(),
            Some(f) if n.is_f64() && f.is_infinite() => {
                if f > 0.0 { ".inf" } else { "-.inf" }.to_owned()
            }
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.1}"),
            _ => n.to_string(),
        },
        Value::String(s) if plain_ok(s) => s.clone(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned()),
        Value::Tagged(t) => format!("{} {}", t.tag, scalar(&t.value)),
        Value::Sequence(s) if s.is_empty() => "[]".to_owned(),
        Value::Mapping(m) if m.is_empty() => "{}".to_owned(),
        // Only reached for nested collections as keys, which Berth never writes.
        Value::Sequence(_) | Value::Mapping(_) => "null".to_owned(),
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Sequence(s) => !s.is_empty(),
        Value::Mapping(m) => !m.is_empty(),
        _ => false,
    }
}

fn write(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            for (k, val) in m {
                out.push_str(&pad);
                out.push_str(&scalar(k));
                out.push(':');
                if is_block(val) {
                    out.push('\n');
                    // Sequences under a key stay at the key's indentation, as PyYAML writes them.
                    let inner = if val.is_sequence() {
                        indent
                    } else {
                        indent + 2
                    };
                    write(val, inner, out);
                } else {
                    out.push(' ');
                    out.push_str(&scalar(val));
                    out.push('\n');
                }
            }
        }
        Value::Sequence(s) if !s.is_empty() => {
            for item in s {
                out.push_str(&pad);
                out.push_str("- ");
                if is_block(item) {
                    let mut nested = String::new();
                    write(item, indent + 2, &mut nested);
                    // The first line follows the dash.
                    out.push_str(nested.trim_start_matches(' '));
                } else {
                    out.push_str(&scalar(item));
                    out.push('\n');
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// The document as YAML text.
pub fn to_string(doc: &Value) -> String {
    let mut out = String::new();
    write(doc, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_it_writes_reads_back_the_same_and_quotes_yaml_1_1_words() {
        let text = "a: 'off'\nb: 'yes'\nc: '1_000'\nd: '12:30'\ne: http://x:1/api\nf: 10.0.0.5\n\
                    g: [1, 2.5, true, null, '']\nh: {}\ni:\n- label: x\n  uri: /d/a.csv\n  n: {k: v}\n- []\n\
                    j: \"quote \\\" and \\n newline\"\nk: 2.0\nl: 'null'\n";
        let doc: Value = serde_norway::from_str(text).unwrap();
        let out = to_string(&doc);
        let back: Value = serde_norway::from_str(&out).unwrap();
        assert_eq!(back, doc, "{out}");
        for quoted in [
            "\"off\"",
            "\"yes\"",
            "\"1_000\"",
            "\"12:30\"",
            "\"10.0.0.5\"",
            "\"null\"",
        ] {
            assert!(out.contains(quoted), "{quoted} in\n{out}");
        }
        assert!(out.contains("- label: x\n  uri: /d/a.csv\n"), "{out}");
    }
}
