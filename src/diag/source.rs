//! Source texts and byte spans.
//!
//! Every diagnostic points into a source: the user's expression (`<input>`), a `.gauge`
//! file, or the embedded prelude. A [`Span`] is a byte range inside one source, and a
//! [`SourceMap`] keeps every text that was read so that an error raised long after
//! parsing can still show the line it came from.

use std::fmt;

/// Identifies one text in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

/// A byte range `start..end` in one source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// The source the range belongs to.
    pub source: SourceId,
    /// First byte of the range.
    pub start: usize,
    /// One past the last byte of the range.
    pub end: usize,
}

impl Span {
    /// Creates a span; `end` is clamped so that it never precedes `start`.
    pub fn new(source: SourceId, start: usize, end: usize) -> Span {
        Span {
            source,
            start,
            end: end.max(start),
        }
    }

    /// The smallest span covering both `self` and `other` (same source assumed).
    pub fn to(self, other: Span) -> Span {
        Span::new(
            self.source,
            self.start.min(other.start),
            self.end.max(other.end),
        )
    }

    /// Length of the span in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no bytes (it then marks a position).
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One text that gauge has read, with the name it is shown under.
#[derive(Clone, Debug)]
pub struct Source {
    /// Shown in diagnostics: a path, `<input>` or `<prelude>`.
    pub name: String,
    /// The whole text.
    pub text: String,
}

/// A line and column, both counted from 1; the column counts characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// Line number, from 1.
    pub line: usize,
    /// Column number in characters, from 1.
    pub column: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// All the texts read in one session.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    sources: Vec<Source>,
}

impl SourceMap {
    /// Creates an empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Stores a text and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        let id = SourceId(self.sources.len() as u32);
        self.sources.push(Source {
            name: name.into(),
            text: text.into(),
        });
        id
    }

    /// The source with this id.
    ///
    /// # Panics
    /// Only on an id that this map did not hand out, which is a bug in gauge.
    pub fn get(&self, id: SourceId) -> &Source {
        &self.sources[id.0 as usize]
    }

    /// The line and column of a byte offset in a source.
    pub fn line_col(&self, id: SourceId, offset: usize) -> LineCol {
        line_col(&self.get(id).text, offset)
    }
}

/// The line and column of a byte offset in `text` (an offset past the end maps to the end).
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = text[line_start..offset].chars().count() + 1;
    LineCol { line, column }
}
