//! Click tracking on the rendered email: every http(s) link except unsubscribe goes through
//! `/t/c/{token}`; the original targets are returned in link-index order so that the HTTP side
//! redirects only to what was sent. Also the open pixel and the honeypot link.

use super::links::Tracking;
use uuid::Uuid;

/// The links of one email, numbered in the order they are first seen. The same URL in the
/// HTML and the text part gets one index.
pub(crate) struct LinkTable<'a> {
    tracking: &'a Tracking,
    delivery_id: Uuid,
    unsubscribe: &'a str,
    pub targets: Vec<String>,
}

impl<'a> LinkTable<'a> {
    pub fn new(tracking: &'a Tracking, delivery_id: Uuid, unsubscribe: &'a str) -> Self {
        LinkTable {
            tracking,
            delivery_id,
            unsubscribe,
            targets: Vec::new(),
        }
    }

    /// The tracked URL for `target`, or `None` when it must stay as it is.
    fn tracked(&mut self, target: &str) -> Option<String> {
        if target == self.unsubscribe || !is_web_url(target) || self.tracking.is_click_url(target) {
            return None;
        }
        let index = match self.targets.iter().position(|t| t == target) {
            Some(i) => i,
            None => {
                self.targets.push(target.to_string());
                self.targets.len() - 1
            }
        };
        let index = u16::try_from(index).ok()?;
        Some(self.tracking.click(self.delivery_id, index))
    }

    /// The tracked URL for a target the HTML already links to. The text part never adds
    /// targets: a URL typed into customer data (a name, a complaint) must not become a
    /// redirect under the shop's own domain.
    fn tracked_existing(&self, target: &str) -> Option<String> {
        let index = self.targets.iter().position(|t| t == target)?;
        Some(
            self.tracking
                .click(self.delivery_id, u16::try_from(index).ok()?),
        )
    }

    /// A link no human sees: a click on it is a scanner's. Never merged with a real link.
    pub fn honeypot(&mut self, target: &str) -> Option<(u16, String)> {
        let index = u16::try_from(self.targets.len()).ok()?;
        self.targets.push(target.to_string());
        Some((index, self.tracking.click(self.delivery_id, index)))
    }
}

fn is_web_url(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 8
        && (b[..7].eq_ignore_ascii_case(b"http://") || b[..8].eq_ignore_ascii_case(b"https://"))
}

/// Rewrites `href="…"` values. Handlebars and the CSS inliner both emit double-quoted,
/// entity-escaped attribute values, so the value is unescaped to get the real target.
pub(crate) fn rewrite_html(html: &str, table: &mut LinkTable<'_>) -> String {
    let mut out = String::with_capacity(html.len() + 1024);
    let mut copied = 0;
    for start in href_values(html) {
        let Some(len) = html[start..].find('"') else {
            break;
        };
        let value = &html[start..start + len];
        if let Some(url) = table.tracked(&unescape(value)) {
            out.push_str(&html[copied..start]);
            out.push_str(&url);
            copied = start + len;
        }
    }
    out.push_str(&html[copied..]);
    out
}

/// Where each `href="` value starts. Searches for `=` (a single byte: memchr) rather than the
/// whole pattern, which is several times faster on a 10 KB email.
fn href_values(html: &str) -> impl Iterator<Item = usize> + '_ {
    let b = html.as_bytes();
    html.match_indices('=')
        .map(|(i, _)| i)
        .filter(move |&i| i >= 4 && &b[i - 4..i] == b"href" && b.get(i + 1) == Some(&b'"'))
        .map(|i| i + 2)
}

/// Rewrites bare URLs in the text part (a URL ends at whitespace or a closing bracket) to the
/// tracked URL of the same target in the HTML; other URLs stay as they are.
pub(crate) fn rewrite_text(text: &str, table: &mut LinkTable<'_>) -> String {
    let mut out = String::with_capacity(text.len() + 512);
    let mut rest = text;
    while let Some(at) = find_url(rest) {
        out.push_str(&rest[..at]);
        let url_len = rest[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '>' | ')' | ']' | '"' | '<'))
            .unwrap_or(rest.len() - at);
        let url = &rest[at..at + url_len];
        match table.tracked_existing(url) {
            Some(t) => out.push_str(&t),
            None => out.push_str(url),
        }
        rest = &rest[at + url_len..];
    }
    out.push_str(rest);
    out
}

/// The start of the next `http://` or `https://`, found through its `:` (memchr).
fn find_url(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    s.match_indices(':').map(|(i, _)| i).find_map(|i| {
        let start = if i >= 5 && b[i - 5..i].eq_ignore_ascii_case(b"https") {
            i - 5
        } else if i >= 4 && b[i - 4..i].eq_ignore_ascii_case(b"http") {
            i - 4
        } else {
            return None;
        };
        is_web_url(&s[start..]).then_some(start)
    })
}

/// The open pixel and the honeypot, just before `</body>` (or at the very end).
pub(crate) fn append_trackers(html: &mut String, pixel: &str, honeypot: Option<&str>) {
    let mut tail = String::with_capacity(400);
    if let Some(h) = honeypot {
        // Hidden from people and screen readers; mail scanners follow every href.
        tail.push_str("<a href=\"");
        tail.push_str(h);
        tail.push_str("\" style=\"display:none;font-size:0;line-height:0;max-height:0;overflow:hidden;mso-hide:all\" aria-hidden=\"true\" tabindex=\"-1\"></a>");
    }
    tail.push_str("<img src=\"");
    tail.push_str(pixel);
    tail.push_str("\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;width:1px;height:1px;border:0\">");
    match html.rfind("</body>") {
        Some(at) => html.insert_str(at, &tail),
        None => html.push_str(&tail),
    }
}

/// Decodes the entities Handlebars and html5ever produce in attribute values.
fn unescape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::{Purpose, Signer};

    fn tracking() -> Tracking {
        Tracking::new("https://t.example", Signer::new(b"k"))
    }

    #[test]
    fn web_links_are_tracked_and_others_kept() {
        let t = tracking();
        let id = Uuid::new_v4();
        let mut table = LinkTable::new(&t, id, "https://t.example/u/UNSUB");
        let html = r#"<a href="https://shop.example/a?x=1&amp;y&#x3D;2">a</a><a href="mailto:s@shop.example">m</a><a href="https://t.example/u/UNSUB">u</a><a href="https://shop.example/a?x=1&amp;y&#x3D;2">again</a><a href="http://b.example">b</a>"#;
        let out = rewrite_html(html, &mut table);
        assert_eq!(
            table.targets,
            ["https://shop.example/a?x=1&y=2", "http://b.example"]
        );
        assert!(out.contains("mailto:s@shop.example"));
        assert!(out.contains(r#"href="https://t.example/u/UNSUB""#));
        assert_eq!(out.matches("https://t.example/t/c/").count(), 3);
        let token = out
            .split("/t/c/")
            .nth(3)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(
            t.signer().verify(Purpose::Click, token).unwrap().link,
            Some(1)
        );
    }

    #[test]
    fn text_urls_share_indexes_with_the_html() {
        let t = tracking();
        let mut table = LinkTable::new(&t, Uuid::new_v4(), "https://t.example/u/UNSUB");
        rewrite_html(
            r#"<a href="https://shop.example/">x</a><a href="https://c.example/x">c</a>"#,
            &mut table,
        );
        let text = rewrite_text(
            "Visit https://shop.example/ or (https://c.example/x).\nLeave: https://t.example/u/UNSUB\n",
            &mut table,
        );
        assert_eq!(
            table.targets,
            ["https://shop.example/", "https://c.example/x"]
        );
        assert!(text.contains("Leave: https://t.example/u/UNSUB\n"));
        assert!(!text.contains("shop.example") && !text.contains("c.example"));
        assert!(text.contains(").\n"));
    }

    #[test]
    fn a_url_only_in_the_text_part_is_never_turned_into_a_redirect() {
        let t = tracking();
        let mut table = LinkTable::new(&t, Uuid::new_v4(), "https://t.example/u/UNSUB");
        let text = rewrite_text("Hi http://evil.example/phish,", &mut table);
        assert_eq!(text, "Hi http://evil.example/phish,");
        assert!(table.targets.is_empty());
    }

    #[test]
    fn trackers_go_before_the_end_of_the_body() {
        let mut html = "<html><body><p>x</p></body></html>".to_string();
        append_trackers(
            &mut html,
            "https://t.example/t/o/T",
            Some("https://t.example/t/c/H"),
        );
        assert!(
            html.ends_with("height:1px;border:0\"></body></html>"),
            "{html}"
        );
        assert!(html.contains("display:none"));
    }
}
