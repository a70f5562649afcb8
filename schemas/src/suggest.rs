//! "Did you mean …?": the closest known name by edit distance.

/// The candidate closest to `word`, when it is close enough to be a likely typo: at most
/// a third of the word's length in edits (at least one), ties going to the first listed.
/// Failing that, the one candidate that shares the word's start — at least half of the
/// word and three characters (`SUCCESS` for `SUCCEEDED`, `FAIL` for `FAILED`).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    let limit = (word.chars().count() / 3).max(1);
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for &candidate in &candidates {
        let d = distance(&lower, &candidate.to_lowercase());
        if d <= limit && d > 0 && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        } else if d == 0 && word != candidate {
            // Differs only in case: the best possible suggestion.
            return Some(candidate);
        }
    }
    best.map(|(_, c)| c)
        .or_else(|| by_prefix(&lower, &candidates))
}

/// The only candidate whose start is shared with `lower` for at least half of its
/// characters (and three); `None` when none or several are.
fn by_prefix<'a>(lower: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let needed = lower.chars().count().div_ceil(2).max(3);
    let mut found = candidates.iter().copied().filter(|c| {
        let shared = lower
            .chars()
            .zip(c.to_lowercase().chars())
            .take_while(|(a, b)| a == b)
            .count();
        shared >= needed && *c != lower
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// two neighbours each count one.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Names are short; a quadratic table is fine, but cap the work for hostile input.
    if a.len() > 256 || b.len() > 256 {
        return a.len().max(b.len());
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let keys = ["name", "trigger", "timeout", "tags"];
        assert_eq!(closest("trigers", keys), Some("trigger"));
        assert_eq!(closest("timout", keys), Some("timeout"));
        assert_eq!(closest("Name", keys), Some("name"));
        assert_eq!(closest("cluster", keys), None);
        let statuses = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];
        assert_eq!(closest("SUCCESS", statuses), Some("SUCCEEDED"));
        assert_eq!(closest("FAIL", statuses), Some("FAILED"));
        assert_eq!(closest("TIME", statuses), Some("TIMED_OUT"));
        assert_eq!(closest("DONE", statuses), None);
        // Two candidates share the start: no guess.
        assert_eq!(closest("time", ["timeout", "timezone"]), None);
        assert_eq!(distance("ab", "ba"), 1);
    }
}
