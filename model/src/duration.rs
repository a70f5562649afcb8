//! Durations as users write them: `30m`, `6h`, `2d`, `1h30m`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A positive span of time with one-second resolution, written `1d2h30m15s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duration {
    seconds: u64,
}

/// Why a duration string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DurationError {
    /// The text is not a sequence of `<number><unit>` parts with units d, h, m, s.
    Syntax(String),
    /// The duration adds up to zero.
    Zero,
    /// The duration does not fit in 64 bits of seconds.
    Overflow,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Syntax(s) => write!(
                f,
                "`{s}` is not a duration: write a number and a unit (d, h, m, s), e.g. `30m`, `6h`, `1h30m`"
            ),
            DurationError::Zero => f.write_str("a duration must be greater than zero"),
            DurationError::Overflow => f.write_str("the duration is too large"),
        }
    }
}

impl std::error::Error for DurationError {}

impl Duration {
    /// A duration of `seconds` seconds (which may be zero only through this constructor).
    pub const fn from_secs(seconds: u64) -> Duration {
        Duration { seconds }
    }

    /// The length in seconds.
    pub const fn as_secs(self) -> u64 {
        self.seconds
    }

    /// Parses `30m`, `6h`, `2d`, `1h30m`, `90s`: units in the order d, h, m, s, each at most once.
    ///
    /// # Errors
    /// A syntax error, a zero total, or an overflow.
    pub fn parse(text: &str) -> Result<Duration, DurationError> {
        let syntax = || DurationError::Syntax(text.to_string());
        let units = [('d', 86_400u64), ('h', 3_600), ('m', 60), ('s', 1)];
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(syntax());
        }
        let mut total: u64 = 0;
        let mut next_unit = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(syntax());
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| DurationError::Overflow)?;
            let unit = rest[digits..].chars().next().ok_or_else(syntax)?;
            let position = units[next_unit..]
                .iter()
                .position(|(u, _)| *u == unit)
                .ok_or_else(syntax)?;
            let (_, factor) = units[next_unit + position];
            next_unit += position + 1;
            total = number
                .checked_mul(factor)
                .and_then(|s| total.checked_add(s))
                .ok_or(DurationError::Overflow)?;
            rest = &rest[digits + unit.len_utf8()..];
        }
        if total == 0 {
            return Err(DurationError::Zero);
        }
        Ok(Duration { seconds: total })
    }
}

impl fmt::Display for Duration {
    /// The canonical spelling, largest units first: `1h30m`, `2d`, `45s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.seconds;
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, factor) in [('d', 86_400u64), ('h', 3_600), ('m', 60), ('s', 1)] {
            if rest >= factor {
                write!(f, "{}{unit}", rest / factor)?;
                rest %= factor;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_spec_shows() {
        assert_eq!(Duration::parse("30m").unwrap().as_secs(), 1800);
        assert_eq!(Duration::parse("6h").unwrap().as_secs(), 21_600);
        assert_eq!(Duration::parse("2d").unwrap().as_secs(), 172_800);
        assert_eq!(Duration::parse("1h30m").unwrap().as_secs(), 5_400);
    }

    #[test]
    fn rejects_zero_bad_order_and_junk() {
        assert_eq!(Duration::parse("0m"), Err(DurationError::Zero));
        assert!(matches!(
            Duration::parse("30m1h"),
            Err(DurationError::Syntax(_))
        ));
        assert!(matches!(
            Duration::parse("1h1h"),
            Err(DurationError::Syntax(_))
        ));
        assert!(matches!(
            Duration::parse("h"),
            Err(DurationError::Syntax(_))
        ));
        assert!(matches!(
            Duration::parse("12"),
            Err(DurationError::Syntax(_))
        ));
        assert!(matches!(Duration::parse(""), Err(DurationError::Syntax(_))));
        assert_eq!(
            Duration::parse("99999999999999999999d"),
            Err(DurationError::Overflow)
        );
    }

    #[test]
    fn displays_canonically() {
        assert_eq!(Duration::from_secs(5_400).to_string(), "1h30m");
        assert_eq!(Duration::parse("90m").unwrap().to_string(), "1h30m");
        assert_eq!(Duration::from_secs(86_401).to_string(), "1d1s");
    }
}
