//! CSS inlining at load time. Mail clients (Gmail, Outlook) drop `<style>` blocks, so the
//! stylesheet is applied as `style=""` attributes once, on the Handlebars *source*, never per
//! message.
//!
//! An HTML parser would mangle Handlebars syntax (`{{> footer}}` becomes `{{&gt; footer}}`,
//! `{{#each}}` between `<tr>`s is moved out of the table), so every mustache is first swapped
//! for an inert placeholder — an HTML comment between tags, a bare word inside a tag — and
//! swapped back afterwards. The placeholders also tell which original line each output line
//! came from, so that render errors still point at the line the marketer wrote.

use css_inline::CSSInliner;

const MARK: &str = "hbsph";

/// A template's source after inlining, with the map back to its original lines.
#[derive(Debug, Clone)]
pub struct Inlined {
    pub source: String,
    pub lines: LineMap,
}

/// (output line, original line) for every mustache, in output order.
#[derive(Debug, Clone, Default)]
pub struct LineMap(Vec<(usize, usize)>);

impl LineMap {
    /// The original line of output line `line` (both 1-based).
    pub fn original(&self, line: usize) -> usize {
        match self.0.iter().rev().find(|(out, _)| *out <= line) {
            Some((out, orig)) => orig + (line - out),
            None => line,
        }
    }
}

struct Protected {
    html: String,
    /// Original mustache text and the line it started on.
    mustaches: Vec<(String, usize)>,
}

/// Where a mustache ends, given the source from its `{{`.
fn mustache_len(s: &str) -> Option<usize> {
    let close = if s.starts_with("{{!--") {
        "--}}"
    } else if s.starts_with("{{{") {
        "}}}"
    } else {
        "}}"
    };
    s[2..].find(close).map(|i| i + 2 + close.len())
}

const RAW_TEXT: [(&str, &str); 4] = [
    ("<title", "</title"),
    ("<style", "</style"),
    ("<script", "</script"),
    ("<textarea", "</textarea"),
];

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn protect(src: &str) -> Result<Protected, String> {
    let mut html = String::with_capacity(src.len() + 64);
    let mut mustaches = Vec::new();
    let mut in_tag = false;
    // Inside <title>, <style>, <script>, <textarea> a comment is text, so these get the word
    // placeholder too; holds the closing tag to wait for.
    let mut raw_text: Option<&str> = None;
    let mut line = 1;
    let mut rest = src;
    while let Some(c) = rest.chars().next() {
        if let Some(close) = raw_text
            && starts_with_ignore_case(rest, close)
        {
            raw_text = None;
        }
        if rest.starts_with("{{") {
            let len =
                mustache_len(rest).ok_or_else(|| format!("line {line}: `{{{{` is never closed"))?;
            let (m, tail) = rest.split_at(len);
            let n = mustaches.len();
            if in_tag || raw_text.is_some() {
                html.push_str(&format!("{MARK}{n}x"));
            } else {
                html.push_str(&format!("<!--{MARK}{n}-->"));
            }
            mustaches.push((m.to_string(), line));
            line += m.matches('\n').count();
            rest = tail;
            continue;
        }
        match c {
            '<' => {
                in_tag = rest[1..].starts_with(|n: char| n.is_ascii_alphabetic() || n == '/');
                if raw_text.is_none() {
                    raw_text = RAW_TEXT
                        .iter()
                        .find(|(open, _)| starts_with_ignore_case(rest, open))
                        .map(|(_, close)| *close);
                }
            }
            '>' => in_tag = false,
            '\n' => line += 1,
            _ => {}
        }
        html.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(Protected { html, mustaches })
}

fn restore(inlined: &str, mustaches: &[(String, usize)]) -> Inlined {
    let mut source = String::with_capacity(inlined.len() + 256);
    let mut lines = Vec::with_capacity(mustaches.len());
    let mut out_line = 1;
    let mut rest = inlined;
    while let Some(at) = rest.find(MARK) {
        let (before, tail) = rest.split_at(at);
        let digits: String = tail[MARK.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let after = &tail[MARK.len() + digits.len()..];
        let n: Option<usize> = digits.parse().ok();
        // `<!--hbsphN-->` between tags, `hbsphNx` inside them.
        let (prefix, consumed) = if before.ends_with("<!--") && after.starts_with("-->") {
            (&before[..before.len() - 4], MARK.len() + digits.len() + 3)
        } else if after.starts_with('x') {
            (before, MARK.len() + digits.len() + 1)
        } else {
            (before, 0)
        };
        match n.and_then(|n| mustaches.get(n)).filter(|_| consumed > 0) {
            Some((text, orig_line)) => {
                source.push_str(prefix);
                out_line += prefix.matches('\n').count();
                lines.push((out_line, *orig_line));
                source.push_str(text);
                out_line += text.matches('\n').count();
                rest = &tail[consumed..];
            }
            None => {
                // Not one of ours: keep the text as it was.
                source.push_str(before);
                source.push_str(MARK);
                out_line += before.matches('\n').count();
                rest = &tail[MARK.len()..];
            }
        }
    }
    source.push_str(rest);
    Inlined {
        source,
        lines: LineMap(lines),
    }
}

fn inliner(css: &str) -> CSSInliner<'_> {
    CSSInliner::options()
        .load_remote_stylesheets(false)
        // The layout's own <style> holds only what cannot be inlined (media queries).
        .keep_style_tags(true)
        .extra_css(Some(css.into()))
        .build()
}

/// Inline `css` into a whole document (the layout). `<style data-css-inline="ignore">` blocks
/// (media queries for small screens) are kept as they are.
pub fn document(src: &str, css: &str) -> Result<Inlined, String> {
    let p = protect(src)?;
    let out = inliner(css).inline(&p.html).map_err(|e| e.to_string())?;
    Ok(restore(&out, &p.mustaches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_are_inlined_and_handlebars_survives_untouched() {
        let src = "<table class=\"box\">\n{{#each items}}\n<tr><td class=\"cell\">{{name}}</td></tr>\n{{/each}}\n</table>\n<p>{{> footer}}</p><a class=\"btn\" href=\"{{links.x}}\">Go</a>";
        let out = document(src, ".cell { color: red } .btn { color: blue }").unwrap();
        assert!(out.source.contains("{{#each items}}"), "{}", out.source);
        assert!(out.source.contains("{{> footer}}"));
        assert!(out.source.contains("href=\"{{links.x}}\""));
        assert!(out.source.contains("style=\"color: red"), "{}", out.source);
        // The each block still wraps the row inside the table.
        let each = out.source.find("{{#each").unwrap();
        assert!(out.source.find("<tr").unwrap() > each);
        assert!(out.source.find("{{/each}}").unwrap() < out.source.find("</table>").unwrap());
    }

    #[test]
    fn output_lines_map_back_to_the_lines_of_the_source() {
        let src = "<p>\nfirst</p>\n<p\n class=\"a\">{{missing}}</p>";
        let out = document(src, ".a { color: red }").unwrap();
        let line = out.source[..out.source.find("{{missing}}").unwrap()]
            .matches('\n')
            .count()
            + 1;
        assert_eq!(out.lines.original(line), 4);
    }

    #[test]
    fn mustaches_in_the_title_survive() {
        let out = document(
            "<html><head><title>{{shop.name}}</title></head><body><p>{{x}}</p></body></html>",
            "p { color: red }",
        )
        .unwrap();
        assert!(
            out.source.contains("<title>{{shop.name}}</title>"),
            "{}",
            out.source
        );
        assert!(out.source.contains(">{{x}}</p>"), "{}", out.source);
    }

    #[test]
    fn an_unclosed_mustache_is_reported_with_its_line() {
        let err = document("<p>\n{{oops</p>", "").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }
}
