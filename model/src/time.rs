//! Event times: UTC instants with one-second resolution, written in RFC 3339.

use crate::Duration;
use chrono::{DateTime, Datelike, Timelike};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An instant in UTC with one-second resolution, between years 0000 and 9999.
///
/// Status events, trigger times and the trigger manager's clock are all
/// `Timestamp`s. SPEC says event times have one-second resolution, so finer parts
/// of an input are dropped (rounded towards the past). The year range keeps the
/// RFC 3339 form fixed-width (`2026-11-26T09:10:00Z`), so the text of two
/// timestamps sorts like the instants do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    seconds: i64,
}

/// Why a text or a number is not a [`Timestamp`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimestampError {
    /// The text is not an RFC 3339 date-time with an offset.
    Syntax(String),
    /// The instant is before year 0000 or after year 9999.
    OutOfRange,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimestampError::Syntax(text) => write!(
                f,
                "`{text}` is not a date-time: write RFC 3339 with an offset, e.g. `2026-11-26T03:00:00Z`"
            ),
            TimestampError::OutOfRange => f.write_str("the time is outside the years 0000 to 9999"),
        }
    }
}

impl std::error::Error for TimestampError {}

// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
const MIN_SECONDS: i64 = -62_167_219_200;
const MAX_SECONDS: i64 = 253_402_300_799;

impl Timestamp {
    /// The instant `seconds` after 1970-01-01T00:00:00Z (negative: before).
    ///
    /// # Errors
    /// [`TimestampError::OutOfRange`] outside the years 0000 to 9999.
    pub fn from_unix_seconds(seconds: i64) -> Result<Timestamp, TimestampError> {
        if (MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
            Ok(Timestamp { seconds })
        } else {
            Err(TimestampError::OutOfRange)
        }
    }

    /// The instant `millis` milliseconds after the Unix epoch, as Step Functions
    /// reports `startDate` and `stopDate`; the milliseconds are dropped.
    ///
    /// # Errors
    /// [`TimestampError::OutOfRange`] outside the years 0000 to 9999.
    pub fn from_unix_millis(millis: i64) -> Result<Timestamp, TimestampError> {
        Timestamp::from_unix_seconds(millis.div_euclid(1000))
    }

    /// Parses RFC 3339 with any offset (`2026-11-26T04:00:00+01:00`), converting to UTC
    /// and dropping fractions of a second.
    ///
    /// # Errors
    /// A syntax error or a year outside 0000 to 9999.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let parsed = DateTime::parse_from_rfc3339(text.trim())
            .map_err(|_| TimestampError::Syntax(text.to_string()))?;
        Timestamp::from_unix_seconds(parsed.timestamp())
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub const fn as_unix_seconds(self) -> i64 {
        self.seconds
    }

    /// How many seconds `self` is after `earlier` (negative when it is before).
    pub const fn seconds_since(self, earlier: Timestamp) -> i64 {
        // Both lie within ±2.6e11, so the difference cannot overflow.
        self.seconds - earlier.seconds
    }

    /// `self` plus `duration`, or `None` past year 9999.
    pub fn checked_add(self, duration: Duration) -> Option<Timestamp> {
        let secs = i64::try_from(duration.as_secs()).ok()?;
        Timestamp::from_unix_seconds(self.seconds.checked_add(secs)?).ok()
    }

    /// `self` minus `duration`, or `None` before year 0000.
    pub fn checked_sub(self, duration: Duration) -> Option<Timestamp> {
        let secs = i64::try_from(duration.as_secs()).ok()?;
        Timestamp::from_unix_seconds(self.seconds.checked_sub(secs)?).ok()
    }

    /// Whether `self` is more than `within` before `now` (SPEC: "older than `within` at t").
    ///
    /// An event exactly `within` old still counts; one stamped after `now` (clock skew)
    /// is not old at all.
    pub fn is_older_than(self, within: Duration, now: Timestamp) -> bool {
        let within = i64::try_from(within.as_secs()).unwrap_or(i64::MAX);
        now.seconds_since(self) > within
    }

    /// The compact UTC form `20261126T091000Z`, for names that may not contain `:`.
    pub fn compact(self) -> String {
        let (y, mo, d, h, mi, s) = self.fields();
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
    }

    fn fields(self) -> (i32, u32, u32, u32, u32, u32) {
        // The range check in every constructor makes the conversion total; the
        // fallback only keeps this free of panics.
        let dt = DateTime::from_timestamp(self.seconds, 0).unwrap_or_default();
        (
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
        )
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with a `Z`: `2026-11-26T09:10:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.fields();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_into_utc_and_prints_rfc3339() {
        let t = Timestamp::parse("2026-11-26T10:10:00+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-26T09:10:00Z");
        assert_eq!(t, Timestamp::parse("2026-11-26T09:10:00Z").unwrap());
        assert_eq!(t.compact(), "20261126T091000Z");
    }

    #[test]
    fn drops_fractions_towards_the_past() {
        let t = Timestamp::parse("2026-11-26T09:10:00.999Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-26T09:10:00Z");
        let before_epoch = Timestamp::from_unix_millis(-1).unwrap();
        assert_eq!(before_epoch.to_string(), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn rejects_junk_and_missing_offsets() {
        assert!(matches!(
            Timestamp::parse("2026-11-26"),
            Err(TimestampError::Syntax(_))
        ));
        assert!(matches!(
            Timestamp::parse("2026-11-26T09:10:00"),
            Err(TimestampError::Syntax(_))
        ));
        assert!(matches!(
            Timestamp::parse("2026-02-30T00:00:00Z"),
            Err(TimestampError::Syntax(_))
        ));
        assert_eq!(
            Timestamp::from_unix_seconds(i64::MAX),
            Err(TimestampError::OutOfRange)
        );
    }

    #[test]
    fn within_counts_the_boundary_and_future_events() {
        let now = Timestamp::parse("2026-11-27T09:10:00Z").unwrap();
        let day = Duration::parse("24h").unwrap();
        let exactly = Timestamp::parse("2026-11-26T09:10:00Z").unwrap();
        let one_more = Timestamp::parse("2026-11-26T09:09:59Z").unwrap();
        let future = Timestamp::parse("2026-11-27T09:10:05Z").unwrap();
        assert!(!exactly.is_older_than(day, now));
        assert!(one_more.is_older_than(day, now));
        assert!(!future.is_older_than(day, now));
    }

    #[test]
    fn serde_round_trips_as_a_string() {
        let t = Timestamp::parse("2026-11-26T03:00:00Z").unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-26T03:00:00Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    #[test]
    fn text_order_is_time_order_across_the_range() {
        let lo = Timestamp::from_unix_seconds(MIN_SECONDS).unwrap();
        let hi = Timestamp::from_unix_seconds(MAX_SECONDS).unwrap();
        assert_eq!(lo.to_string(), "0000-01-01T00:00:00Z");
        assert_eq!(hi.to_string(), "9999-12-31T23:59:59Z");
        assert!(lo.to_string() < hi.to_string());
    }
}
