//! HTML escaping for the pages rapport writes itself (dashboard, customer pages), where no
//! Handlebars registry does it: the five characters that matter in text and in quoted
//! attribute values.

/// Escapes text for HTML and SVG text and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn markup_and_quotes_are_escaped_and_the_rest_kept() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & 'Jo'</a> ۳"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jo&#39;&lt;/a&gt; ۳"
        );
    }
}
