//! Handlebars errors rewritten for the person who edits a template: what is wrong in their
//! words, where (line and column of their own file), and the likely fix. The library's own
//! messages name parser tokens (`expected escape, expression, html_expression, …`), report an
//! unclosed block at the end of the file, and print a missing variable as `Some("…")`.

use handlebars::{RenderErrorReason, TemplateError, TemplateErrorReason};
use serde_json::Value;

/// A syntax problem at a 1-based line and column (in characters) of the text checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Why `text` does not compile as a Handlebars template, at the tag a person would fix:
/// an unclosed `{{#if}}` is reported at its opening tag, a mismatched `{{/each}}` at the block
/// it fails to close. `None` when the text compiles.
pub fn syntax_problem(text: &str) -> Option<SyntaxProblem> {
    let err = handlebars::Template::compile(text).err()?;
    Some(unbalanced_block(text).unwrap_or_else(|| {
        let (line, column) = err.pos().unwrap_or((1, 1));
        SyntaxProblem {
            line,
            column,
            message: syntax_message(&err),
        }
    }))
}

/// The library's reason without its grammar-token list.
fn syntax_message(err: &TemplateError) -> String {
    match err.reason() {
        TemplateErrorReason::InvalidSyntax(_) => {
            "invalid Handlebars syntax: check that every `{{` has its `}}` and every block tag its closing tag".into()
        }
        TemplateErrorReason::MismatchingClosedHelper(open, close) => {
            format!("`{{{{/{close}}}}}` closes `{{{{#{open}}}}}`: close blocks in the reverse order they were opened")
        }
        other => other.to_string(),
    }
}

/// An opening block tag still waiting for its close.
struct Open<'a> {
    name: &'a str,
    tag: &'a str,
    line: usize,
    column: usize,
}

/// Walks the mustaches of `text` and matches `{{#name …}}` / `{{^name …}}` with `{{/name}}`.
fn unbalanced_block(text: &str) -> Option<SyntaxProblem> {
    let mut stack: Vec<Open> = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find("{{") {
        let start = offset + at;
        let tail = &text[start..];
        let (close, body) = if tail.starts_with("{{{{") {
            return None; // raw blocks: leave them to the library
        } else if let Some(b) = tail.strip_prefix("{{!--") {
            ("--}}", b)
        } else if let Some(b) = tail.strip_prefix("{{{") {
            ("}}}", b)
        } else {
            ("}}", &tail[2..])
        };
        let (line, column) = line_col(text, start);
        let unterminated = || SyntaxProblem {
            line,
            column,
            message: format!(
                "`{}` has no closing `{close}`",
                tail.split(char::is_whitespace).next().unwrap_or(tail)
            ),
        };
        let Some(len) = body.find(close) else {
            return Some(unterminated());
        };
        if body[..len].contains("{{") {
            return Some(unterminated());
        }
        let tag_len = tail.len() - body.len() + len + close.len();
        let tag = &tail[..tag_len];
        let inner = body[..len]
            .trim_start_matches('~')
            .trim_end_matches('~')
            .trim();
        if let Some(open) = inner.strip_prefix('#').or_else(|| inner.strip_prefix('^')) {
            let name = block_name(open);
            if !name.is_empty() {
                stack.push(Open {
                    name,
                    tag,
                    line,
                    column,
                });
            }
        } else if let Some(closed) = inner.strip_prefix('/') {
            let name = block_name(closed);
            match stack.pop() {
                Some(open) if open.name == name => {}
                Some(open) => {
                    return Some(SyntaxProblem {
                        line: open.line,
                        column: open.column,
                        message: format!(
                            "`{}` is closed by `{tag}` at line {line}: add `{{{{/{}}}}}` before it",
                            open.tag, open.name
                        ),
                    });
                }
                None => {
                    return Some(SyntaxProblem {
                        line,
                        column,
                        message: format!("`{tag}` closes no open block: remove it"),
                    });
                }
            }
        }
        offset = start + tag_len;
        rest = &text[offset..];
    }
    stack.pop().map(|open| SyntaxProblem {
        line: open.line,
        column: open.column,
        message: format!(
            "`{}` is never closed: add `{{{{/{}}}}}` where the block ends",
            open.tag, open.name
        ),
    })
}

/// `if customer.name` → `if`; `> layout` (a partial block) → `layout`.
fn block_name(s: &str) -> &str {
    let s = s.trim_start_matches(['>', '*']).trim_start();
    s.split(|c: char| c.is_whitespace() || c == '~')
        .next()
        .unwrap_or("")
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A render error in words, and the text to look for on the reported line to find its column.
pub(crate) fn render_message(reason: &RenderErrorReason, data: &Value) -> (String, Option<String>) {
    match reason {
        RenderErrorReason::MissingVariable(Some(path)) => {
            let message = match suggest(path, data) {
                Some(s) => format!("unknown variable {path}; did you mean {s}?"),
                None => format!(
                    "unknown variable {path}; templates see {}",
                    top_level_names(data)
                ),
            };
            (message, Some(path.clone()))
        }
        RenderErrorReason::MissingVariable(None) => ("unknown variable".into(), None),
        other => (other.to_string(), None),
    }
}

/// The 1-based column (in characters) of the mustache that mentions `needle` on `line`.
pub(crate) fn column_of(line: &str, needle: &str) -> Option<usize> {
    let at = find_word(line, needle)?;
    let tag = line[..at].rfind("{{").unwrap_or(at);
    Some(line[..tag].chars().count() + 1)
}

/// `needle` in `line` not followed by more of a name (`customer.name` must not match
/// `customer.name_x`).
fn find_word(line: &str, needle: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = line[from..].find(needle) {
        let at = from + i;
        let next = line[at + needle.len()..].chars().next();
        if !next.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

/// The nearest existing path to a mistyped one: walks `data` along `path` and, at the first
/// segment that does not exist, picks the closest key of the object reached. Paths relative to
/// a block (`this.nme` inside `{{#each}}`) are matched against keys anywhere in the data.
fn suggest(path: &str, data: &Value) -> Option<String> {
    let segments: Vec<&str> = path.split('.').collect();
    let mut here = data;
    for (i, seg) in segments.iter().enumerate() {
        match here.get(seg) {
            Some(next) => here = next,
            None => {
                let keys: Vec<&str> = match here {
                    Value::Object(m) if i > 0 => m.keys().map(String::as_str).collect(),
                    _ => all_keys(data),
                };
                let best = closest(seg, &keys)?;
                let mut fixed: Vec<&str> = segments.clone();
                fixed[i] = best;
                return Some(fixed.join("."));
            }
        }
    }
    None
}

fn all_keys(data: &Value) -> Vec<&str> {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    out.push(k);
                    walk(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(data, &mut out);
    out.sort_unstable();
    out.dedup();
    out
}

fn top_level_names(data: &Value) -> String {
    match data {
        Value::Object(m) => m.keys().map(String::as_str).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    }
}

/// The key within a typo's reach (a third of its length, at least 2 edits; ignoring `_`),
/// nearest first.
fn closest<'a>(word: &str, keys: &[&'a str]) -> Option<&'a str> {
    let squash = |s: &str| s.replace('_', "").to_lowercase();
    let w = squash(word);
    let limit = (word.chars().count() / 3).max(2);
    keys.iter()
        .map(|k| {
            (
                edit_distance(&w, &squash(k)).min(edit_distance(word, k)),
                *k,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, k)| (*d, k.len()))
        .map(|(_, k)| k)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unclosed_if_is_reported_at_its_opening_tag() {
        let p = syntax_problem("<p>\n  {{#if customer.name}}\nHi\n</p>\n\n").unwrap();
        assert_eq!((p.line, p.column), (2, 3));
        assert_eq!(
            p.message,
            "`{{#if customer.name}}` is never closed: add `{{/if}}` where the block ends"
        );
    }

    #[test]
    fn a_block_closed_by_the_wrong_tag_names_both() {
        let p = syntax_problem("{{#each items}}\n{{#if a}}x\n{{/each}}").unwrap();
        assert_eq!((p.line, p.column), (2, 1));
        assert!(
            p.message
                .contains("`{{#if a}}` is closed by `{{/each}}` at line 3"),
            "{}",
            p.message
        );
    }

    #[test]
    fn a_stray_closing_tag_and_an_unterminated_mustache_are_plain_words() {
        let p = syntax_problem("a {{/if}}").unwrap();
        assert_eq!((p.line, p.column), (1, 3));
        assert!(p.message.contains("closes no open block"), "{}", p.message);
        let p = syntax_problem("Hi {{customer.name and more").unwrap();
        assert_eq!((p.line, p.column), (1, 4));
        assert_eq!(p.message, "`{{customer.name` has no closing `}}`");
        let p = syntax_problem("{{a}\n{{b}}").unwrap();
        assert_eq!((p.line, p.column), (1, 1));
        let p = syntax_problem("{{#if a}}x{{a b=}}y{{/if}}").unwrap();
        assert!(!p.message.contains("html_expression"), "{}", p.message);
    }

    #[test]
    fn balanced_templates_with_else_comments_and_partial_blocks_are_fine() {
        assert_eq!(
            syntax_problem("{{#if a}}x{{else}}y{{/if}}{{!-- {{#if}} --}}{{~#each c~}}{{/each}}"),
            None
        );
    }

    #[test]
    fn a_mistyped_variable_names_the_nearest_existing_one() {
        let data =
            json!({"customer": {"first_name": "Ada", "name": "Ada L"}, "shop": {"name": "S"}});
        let reason = RenderErrorReason::MissingVariable(Some("customer.firstname".into()));
        let (msg, needle) = render_message(&reason, &data);
        assert_eq!(
            msg,
            "unknown variable customer.firstname; did you mean customer.first_name?"
        );
        assert_eq!(needle.as_deref(), Some("customer.firstname"));
        let reason = RenderErrorReason::MissingVariable(Some("costumer.name".into()));
        assert!(
            render_message(&reason, &data)
                .0
                .ends_with("did you mean customer.name?")
        );
    }

    #[test]
    fn a_variable_with_no_near_name_lists_what_templates_see() {
        let data = json!({"customer": {}, "shop": {}});
        let reason = RenderErrorReason::MissingVariable(Some("weather.today".into()));
        assert_eq!(
            render_message(&reason, &data).0,
            "unknown variable weather.today; templates see customer, shop"
        );
    }

    #[test]
    fn the_column_is_the_mustache_that_mentions_the_variable() {
        let line = "<p>Dear {{customer.first_name}} and {{customer.firstname}}</p>";
        assert_eq!(column_of(line, "customer.firstname"), Some(37));
        assert_eq!(column_of("«ب» {{x.y}}", "x.y"), Some(5));
        assert_eq!(column_of("{{x.yz}}", "x.y"), None);
    }
}
