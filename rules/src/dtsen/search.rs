//! How a name is cut into search keys, the same for what is indexed and what is typed: Unicode
//! decomposition with the accents dropped, lower case, words split on anything that is not a
//! letter or digit. "Siti Nur'aini" and "siti nuraini" find each other; so do "Ré" and "re".
use unicode_normalization::UnicodeNormalization;

/// Shorter prefixes would each match most of a worklist.
pub const MIN_PREFIX_CHARS: usize = 2;
/// Longer prefixes are not indexed: a longer query is looked up by its first this many
/// characters and the candidates are checked against the whole query.
pub const MAX_PREFIX_CHARS: usize = 8;

/// The words of a name, folded.
pub fn words(name: &str) -> Vec<String> {
    let folded: String = name
        .nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
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
