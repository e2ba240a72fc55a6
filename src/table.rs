//! Plain-text tables for list commands. Cells are padded by hand, to their width on a
//! terminal: `format!("{:<w$}")` panics for a width above 65,535 (a repository can name a
//! service with 70,000 characters) and counts characters, not columns, so wide characters
//! (CJK, emoji) would shift every later column.

use unicode_width::UnicodeWidthStr;

/// A cell's text as shown: control characters (a newline in a name would break the table
/// into lines that look like rows) are written escaped, as `\n`.
pub(crate) fn cell(text: &str) -> String {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        text.to_owned()
    }
}

/// Columns `text` takes on a terminal.
pub(crate) fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` left-aligned in `columns` columns (never cut: a longer text is kept whole).
pub(crate) fn left(text: &str, columns: usize) -> String {
    let mut out = text.to_owned();
    out.extend(std::iter::repeat_n(
        ' ',
        columns.saturating_sub(width(text)),
    ));
    out
}

/// The width of a column: its widest cell, at least `header`'s.
pub(crate) fn column<'a>(header: &str, cells: impl IntoIterator<Item = &'a str>) -> usize {
    cells.into_iter().map(width).fold(width(header), usize::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_by_terminal_columns_without_limit() {
        assert_eq!(left("ab", 4), "ab  ");
        assert_eq!(left("abcdef", 4), "abcdef");
        // Two columns per CJK character.
        assert_eq!(left("数据", 6), "数据  ");
        assert_eq!(column("SERVICE", ["a", "数据库数据库"]), 12);
        let long = "x".repeat(70_000);
        assert_eq!(left(&long, 70_001).len(), 70_001);
        assert_eq!(cell("a\nb"), "a\\nb");
        assert_eq!(cell("é"), "é");
    }
}
