//! EventBridge cron expressions: `Minutes Hours Day-of-month Month Day-of-week Year`.
//!
//! The rules are those of the EventBridge user guide ("Cron expressions"): six fields;
//! `?` in exactly one of day-of-month and day-of-week; `L` and `W` in day-of-month,
//! `L` and `#` in day-of-week; `,` `-` `*` `/` elsewhere; and the value ranges below.

/// A mistake in a cron expression: where (byte offset and length in the text) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CronError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    question: bool,
    last: bool,
    weekday: bool,
    hash: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 6] = [
    Field {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
        question: false,
        last: false,
        weekday: false,
        hash: false,
    },
    Field {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
        question: false,
        last: false,
        weekday: false,
        hash: false,
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        question: true,
        last: true,
        weekday: true,
        hash: false,
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        question: false,
        last: false,
        weekday: false,
        hash: false,
    },
    Field {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: &DAYS,
        question: true,
        last: true,
        weekday: false,
        hash: true,
    },
    Field {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
        question: false,
        last: false,
        weekday: false,
        hash: false,
    },
];

/// The six fields of `text`, without a `cron(...)` wrapper if one was written.
pub(crate) fn unwrap(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix("cron(")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(t)
}

/// Checks an EventBridge cron expression (the six fields, or `cron(...)`).
pub(crate) fn check(text: &str) -> Result<(), CronError> {
    let inner = unwrap(text);
    let base = text.find(inner).unwrap_or(0);
    let mut parts = Vec::new();
    let mut offset = 0;
    for piece in inner.split(' ') {
        if !piece.is_empty() {
            parts.push((base + offset, piece));
        }
        offset += piece.len() + 1;
    }
    if parts.len() != 6 {
        return Err(CronError {
            offset: 0,
            len: text.len().max(1),
            message: format!(
                "a cron expression has six fields (minutes hours day-of-month month day-of-week year), this one has {}",
                parts.len()
            ),
        });
    }
    for ((at, part), field) in parts.iter().zip(FIELDS) {
        check_field(part, field).map_err(|message| CronError {
            offset: *at,
            len: part.len(),
            message,
        })?;
    }
    let (dom_at, dom) = parts[2];
    let (dow_at, dow) = parts[4];
    match (dom == "?", dow == "?") {
        (true, true) => Err(CronError {
            offset: dow_at,
            len: 1,
            message: "day-of-month and day-of-week cannot both be `?`".into(),
        }),
        (false, false) => Err(CronError {
            offset: dom_at.min(dow_at),
            len: dow_at + dow.len() - dom_at.min(dow_at),
            message: "one of day-of-month and day-of-week must be `?`".into(),
        }),
        _ => Ok(()),
    }
}

fn check_field(part: &str, f: Field) -> Result<(), String> {
    if part == "?" {
        return if f.question {
            Ok(())
        } else {
            Err(format!("`?` is not allowed in {}", f.name))
        };
    }
    for item in part.split(',') {
        check_item(item, f)?;
    }
    Ok(())
}

fn check_item(item: &str, f: Field) -> Result<(), String> {
    if item.is_empty() {
        return Err(format!("an empty entry in {}", f.name));
    }
    if item == "?" {
        return Err(format!("`?` must stand alone in {}", f.name));
    }
    if f.last && item == "L" {
        return Ok(());
    }
    if f.weekday && item == "LW" {
        return Ok(());
    }
    if f.weekday
        && let Some(day) = item.strip_suffix('W')
    {
        return value(day, f).map(|_| ());
    }
    if f.hash
        && let Some((day, nth)) = item.split_once('#')
    {
        value(day, f)?;
        return match nth.parse::<u32>() {
            Ok(1..=5) => Ok(()),
            _ => Err(format!(
                "`#{nth}` in {}: the week of the month is 1–5",
                f.name
            )),
        };
    }
    if f.hash
        && let Some(day) = item.strip_suffix('L')
    {
        return value(day, f).map(|_| ());
    }
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (item, None),
    };
    if let Some(step) = step {
        match step.parse::<u32>() {
            Ok(n) if n >= 1 && n <= f.max => {}
            _ => {
                return Err(format!(
                    "`/{step}` in {}: the increment is a number from 1 to {}",
                    f.name, f.max
                ));
            }
        }
    }
    if range == "*" {
        return Ok(());
    }
    match range.split_once('-') {
        Some((a, b)) => {
            value(a, f)?;
            value(b, f)?;
            Ok(())
        }
        None => value(range, f).map(|_| ()),
    }
}

fn value(text: &str, f: Field) -> Result<u32, String> {
    if let Some(i) = f.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(f.min + i as u32);
    }
    let allowed = if f.names.is_empty() {
        format!("{}–{}", f.min, f.max)
    } else {
        format!(
            "{}–{} or {}–{}",
            f.min,
            f.max,
            f.names[0],
            f.names[f.names.len() - 1]
        )
    };
    match text.parse::<u32>() {
        Ok(n) if (f.min..=f.max).contains(&n) => Ok(n),
        Ok(_) => Err(format!("{} `{text}` is out of range {allowed}", f.name)),
        Err(_) => Err(format!(
            "`{text}` is not a valid {} (expected {allowed})",
            f.name
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_eventbridge_accepts() {
        for ok in [
            "0 3 * * ? *",
            "cron(0 3 * * ? *)",
            "0/15 * * * ? *",
            "0 18 ? * MON-FRI *",
            "0 8 1 * ? *",
            "0 10 ? * 6L 2026",
            "0 10 ? * 2#1 *",
            "0 10 LW * ? *",
            "0 10 15W * ? *",
            "5,35 14 * JAN,MAR ? 2026-2030",
            "0 0 L * ? *",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_with_the_field_at_fault() {
        let e = check("0 25 * * ? *").unwrap_err();
        assert_eq!((e.offset, e.len), (2, 2));
        assert!(
            e.message.contains("hours `25` is out of range 0–23"),
            "{}",
            e.message
        );
        assert!(
            check("0 3 * * * *")
                .unwrap_err()
                .message
                .contains("must be `?`")
        );
        assert!(check("0 3 ? * ? *").unwrap_err().message.contains("both"));
        assert!(
            check("0 3 * * ?")
                .unwrap_err()
                .message
                .contains("six fields")
        );
        assert!(
            check("0 3 * FOO ? *")
                .unwrap_err()
                .message
                .contains("month")
        );
        assert!(check("0 3 * * ? 1969").is_err());
        assert!(check("0/0 3 * * ? *").is_err());
        assert!(check("0 3 * * 2#6 *").is_err());
        assert!(check("? 3 * * ? *").is_err());
        assert!(check("0 3 5L * ? *").is_err());
    }
}
