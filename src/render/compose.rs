//! Partials and the layout are pasted into each campaign's template source once, at load.
//!
//! Handlebars would resolve `{{> footer}}` at render time by deep-copying the whole render
//! context for every partial (measured: a third of the render time with four partials), so
//! the registry only ever sees one flat template per campaign and locale. Each line of the
//! flat source remembers which file and line it came from, for error messages.

use super::error::RenderError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Partials nest at most this deep; deeper means they include each other in a loop.
const MAX_DEPTH: usize = 8;

/// A template file as read from disk.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub file: PathBuf,
    pub text: String,
}

/// A flat template and, for each of its lines, the file and line it came from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Composed {
    pub text: String,
    files: Vec<PathBuf>,
    /// The text of each of `files`, to find the column of an error on its line.
    texts: Vec<String>,
    /// `origins[k]` is the origin of line `k + 1`: (index into `files`, line).
    origins: Vec<(usize, usize)>,
}

impl Composed {
    /// A source used as it is (subjects).
    pub fn single(file: &Path, text: &str) -> Composed {
        let mut c = Composed::default();
        c.file_index(file, text);
        c.emit(text, 0, 1);
        c
    }

    /// The file and line that line `line` (1-based) of the flat source came from.
    pub fn locate(&self, line: usize) -> (&Path, usize) {
        let k = line
            .saturating_sub(1)
            .min(self.origins.len().saturating_sub(1));
        match self.origins.get(k) {
            Some(&(file, orig)) => (&self.files[file], orig),
            None => (
                self.files.first().map_or(Path::new("?"), PathBuf::as_path),
                line,
            ),
        }
    }

    /// Line `line` (1-based) of `file` as its author wrote it.
    pub fn source_line(&self, file: &Path, line: usize) -> Option<&str> {
        let i = self.files.iter().position(|f| f == file)?;
        self.texts[i].lines().nth(line.checked_sub(1)?)
    }

    pub fn first_file(&self) -> &Path {
        self.files.first().map_or(Path::new("?"), PathBuf::as_path)
    }

    fn emit(&mut self, text: &str, file: usize, mut line: usize) {
        for piece in text.split_inclusive('\n') {
            if self.text.is_empty() || self.text.ends_with('\n') {
                self.origins.push((file, line));
            }
            self.text.push_str(piece);
            if piece.ends_with('\n') {
                line += 1;
            }
        }
    }

    fn file_index(&mut self, file: &Path, text: &str) -> usize {
        match self.files.iter().position(|f| f == file) {
            Some(i) => i,
            None => {
                self.files.push(file.to_path_buf());
                self.texts.push(text.to_string());
                self.files.len() - 1
            }
        }
    }
}

/// `{{> name}}` (or `{{~> name~}}`) at the start of `s`: the tag's length and the name.
/// A partial with parameters is reported as such: the flat template cannot pass them.
fn partial_tag(s: &str) -> Option<Result<(usize, &str), ()>> {
    let inner_start = if s.starts_with("{{~>") {
        4
    } else if s.starts_with("{{>") {
        3
    } else {
        return None;
    };
    let end = s.find("}}")?;
    let inner = s[inner_start..end].trim().trim_end_matches('~').trim();
    let mut words = inner.split_whitespace();
    let name = words.next()?;
    Some(if words.next().is_some() {
        Err(())
    } else {
        Ok((end + 2, name))
    })
}

/// Pastes `layout` around `content` (at `{{> @partial-block}}`) and every `{{> partial}}`.
pub(crate) fn compose(
    layout: Option<&Source>,
    content: &Source,
    partials: &HashMap<String, Source>,
    partial_suffix: &str,
) -> Result<Composed, RenderError> {
    let mut out = Composed::default();
    match layout {
        Some(layout) => paste(&mut out, layout, Some(content), partials, partial_suffix, 0)?,
        None => paste(&mut out, content, None, partials, partial_suffix, 0)?,
    }
    Ok(out)
}

fn paste(
    out: &mut Composed,
    src: &Source,
    block: Option<&Source>,
    partials: &HashMap<String, Source>,
    suffix: &str,
    depth: usize,
) -> Result<(), RenderError> {
    let file = out.file_index(&src.file, &src.text);
    let mut line = 1;
    let mut rest = src.text.as_str();
    while let Some(at) = rest.find("{{") {
        let (before, tail) = rest.split_at(at);
        out.emit(before, file, line);
        line += before.matches('\n').count();
        let here = |msg: String| RenderError::template(&src.file, Some(line), msg);
        match partial_tag(tail) {
            None => {
                out.emit("{{", file, line);
                rest = &tail[2..];
            }
            Some(Err(())) => {
                return Err(here(
                    "partials take no parameters here: they see all of the email's data".into(),
                ));
            }
            Some(Ok((len, name))) => {
                if depth >= MAX_DEPTH {
                    return Err(here(format!(
                        "partial `{name}` includes itself (directly or through others)"
                    )));
                }
                let inner = if name == "@partial-block" {
                    block.ok_or_else(|| here("`{{> @partial-block}}` outside the layout".into()))?
                } else {
                    partials.get(name).ok_or_else(|| {
                        here(format!("no partial `{name}`: expected partials/{name}{suffix} in this locale or in `en`"))
                    })?
                };
                // A file's final newline would add a blank line wherever the partial is used.
                let trimmed = Source {
                    file: inner.file.clone(),
                    text: inner.text.trim_end_matches(['\r', '\n']).to_string(),
                };
                paste(out, &trimmed, None, partials, suffix, depth + 1)?;
                rest = &tail[len..];
            }
        }
    }
    out.emit(rest, file, line);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(file: &str, text: &str) -> Source {
        Source {
            file: PathBuf::from(file),
            text: text.to_string(),
        }
    }

    #[test]
    fn layout_content_and_partials_become_one_source_that_remembers_its_lines() {
        let layout = src(
            "layout",
            "<body>\n{{> @partial-block}}\n<footer>{{> footer}}</footer>\n</body>",
        );
        let content = src("content", "<p>a</p>\n<p>{{x}}</p>\n{{~> footer ~}}");
        let partials = HashMap::from([("footer".to_string(), src("footer", "F\n{{y}}\n"))]);
        let c = compose(Some(&layout), &content, &partials, ".html.hbs").unwrap();
        assert_eq!(
            c.text,
            "<body>\n<p>a</p>\n<p>{{x}}</p>\nF\n{{y}}\n<footer>F\n{{y}}</footer>\n</body>"
        );
        assert_eq!(c.locate(3), (Path::new("content"), 2));
        assert_eq!(c.locate(5), (Path::new("footer"), 2));
        assert_eq!(c.locate(7), (Path::new("footer"), 2));
        assert_eq!(c.locate(8), (Path::new("layout"), 4));
    }

    #[test]
    fn unknown_recursive_or_parameterised_partials_are_errors_with_file_and_line() {
        let none = HashMap::new();
        let e = compose(None, &src("t", "\n{{> nope}}"), &none, ".html.hbs").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t:2: no partial `nope`: expected partials/nope.html.hbs in this locale or in `en`"
        );
        let looped = HashMap::from([("a".to_string(), src("a", "{{> a}}"))]);
        assert!(
            compose(None, &src("t", "{{> a}}"), &looped, "")
                .unwrap_err()
                .to_string()
                .contains("includes itself")
        );
        let e = compose(None, &src("t", "{{> a x=1}}"), &looped, "").unwrap_err();
        assert!(e.to_string().contains("no parameters"), "{e}");
    }
}
