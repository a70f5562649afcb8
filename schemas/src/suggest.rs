//! "Did you mean …?": the closest known name by edit distance.

/// The candidate closest to `word`, when it is close enough to be a likely typo: at most
/// a third of the word's length in edits (at least one), ties going to the first listed.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let d = distance(&lower, &candidate.to_lowercase());
        if d <= limit && d > 0 && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        } else if d == 0 && word != candidate {
            // Differs only in case: the best possible suggestion.
            return Some(candidate);
        }
    }
    best.map(|(_, c)| c)
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
        assert_eq!(distance("ab", "ba"), 1);
    }
}
