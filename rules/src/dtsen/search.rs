//! How a name is cut into search keys, the same for what is indexed and what is typed: accents
//! dropped (precomposed Latin letters to their base letter, combining marks removed), lower
//! case, words split on anything that is not a letter or digit. "Siti Nur'aini" and "siti
//! nuraini" find each other; so do "Ré" and "re".
//!
//! The Latin table stands in for a full Unicode decomposition: names here are Latin script, and
//! the normalization crate's tables cost ~100 KB of the phone's library (issue 18's size floor).
//! A test checks that the two fold every Latin letter alike.
use super::latin_fold::{FROM_00C0, FROM_1E00};

/// A letter without its accents: the base letter of a precomposed Latin letter, `None` for a
/// combining mark, any other character as it is.
fn unaccented(c: char) -> Option<char> {
    let code = c as usize;
    match code {
        0x0300..=0x036f => None,
        0x00c0..=0x024f => Some(FROM_00C0[code - 0x00c0]),
        0x1e00..=0x1eff => Some(FROM_1E00[code - 0x1e00]),
        _ => Some(c),
    }
}

/// Shorter prefixes would each match most of a worklist.
pub const MIN_PREFIX_CHARS: usize = 2;
/// Longer prefixes are not indexed: a longer query is looked up by its first this many
/// characters and the candidates are checked against the whole query.
pub const MAX_PREFIX_CHARS: usize = 8;

/// The words of a name, folded.
pub fn words(name: &str) -> Vec<String> {
    let folded: String = name
        .chars()
        .filter_map(unaccented)
        .flat_map(char::to_lowercase)
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '`'))
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every prefix of every word that an index holds (each once).
pub fn indexed_prefixes(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in words(name) {
        let chars: Vec<char> = word.chars().collect();
        for len in MIN_PREFIX_CHARS..=chars.len().min(MAX_PREFIX_CHARS) {
            let prefix: String = chars[..len].iter().collect();
            if !out.contains(&prefix) {
                out.push(prefix);
            }
        }
    }
    out
}

/// The key a typed query is looked up by, or `None` when it is too short to search.
pub fn query_key(query: &str) -> Option<String> {
    let words = words(query);
    let word = words.first()?;
    let chars: Vec<char> = word.chars().collect();
    (chars.len() >= MIN_PREFIX_CHARS).then(|| chars.iter().take(MAX_PREFIX_CHARS).collect())
}

/// Whether a name matches a query: every word of the query begins some word of the name.
pub fn matches(name: &str, query: &str) -> bool {
    let name_words = words(name);
    let query_words = words(query);
    !query_words.is_empty()
        && query_words
            .iter()
            .all(|q| name_words.iter().any(|w| w.starts_with(q.as_str())))
}
