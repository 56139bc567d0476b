//! Where a byte offset of a text is as a line and a column (1-based, columns in characters): how
//! data files' errors (TOML spans) are reported to the people who wrote them.

/// The starts of a text's lines.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The 1-based line and column (in characters) of a byte offset; past the end, the end.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self.text.get(start..offset).map_or(offset.saturating_sub(start), |s| s.chars().count()) + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn lines_and_columns_count_characters_from_one() {
        let text = "a = 1\n名称 = \"x\"\n";
        let ix = LineIndex::new(text);
        assert_eq!(ix.position(0), (1, 1));
        assert_eq!(ix.position(6), (2, 1));
        assert_eq!(ix.position(text.rfind('=').unwrap_or(0)), (2, 4));
        assert_eq!(ix.position(10_000), (3, 1));
    }
}
