//! Where things are in the source: byte offsets for `file:line:col` messages, the text of a
//! sub-expression for `explain`, and syntax errors in a marketer's words.

use super::ConditionError;
use cel::IdedExpr;
use cel::common::ast::{EntryExpr, Expr, SourceInfo};

/// The byte offset of a 1-based (line, column in characters) position, as the parser reports
/// syntax errors; clamped to the source.
pub(super) fn offset_of(source: &str, line: isize, col: isize) -> usize {
    let mut start = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i as isize + 1 == line.max(1) {
            let col = (col.max(1) - 1) as usize;
            return start + l.char_indices().nth(col).map_or(l.len(), |(b, _)| b);
        }
        start += l.len();
    }
    source.len()
}

/// The byte offset where the parser placed node `id`: the start of its token (the parser
/// counts bytes there, unlike the columns of its syntax errors, which count characters).
pub(super) fn node_offset(info: &SourceInfo, id: u64) -> Option<usize> {
    info.offset_for(id).map(|(start, _)| start as usize)
}

/// The byte range of the source text `expr` was parsed from: from its first token to its
/// last, widened over the field name of a selection (placed at its dot) and over the closing
/// brackets a call or a list leaves open.
pub(super) fn text_range(source: &str, info: &SourceInfo, expr: &IdedExpr) -> (usize, usize) {
    let (mut lo, mut hi) = (usize::MAX, 0usize);
    visit(expr, &mut |e| {
        if let Some((s, t)) = info.offset_for(e.id) {
            let (s, mut t) = (s as usize, t as usize + 1);
            if let Expr::Select(sel) = &e.expr {
                t = t.max(field_end(source, s, &sel.field));
            }
            lo = lo.min(s);
            hi = hi.max(t);
        }
    });
    if lo == usize::MAX || lo > source.len() {
        return (0, source.len());
    }
    let hi = hi.clamp(lo, source.len());
    (lo, close_brackets(source, lo, hi))
}

/// The end of `field` selected at the dot at `dot`.
fn field_end(source: &str, dot: usize, field: &str) -> usize {
    let rest = source.get(dot..).unwrap_or_default();
    let skipped = rest.len() - rest.trim_start_matches(['.', '?', ' ', '\t', '\n']).len();
    match rest[skipped..].starts_with(field) {
        true => dot + skipped + field.len(),
        false => dot,
    }
}

/// The source text of `expr`, trimmed.
pub(super) fn text_of<'s>(source: &'s str, info: &SourceInfo, expr: &IdedExpr) -> &'s str {
    let (s, e) = text_range(source, info, expr);
    source[s..e].trim()
}

/// Extends `start..end` over the `)`, `]` and `}` that close what the text opened.
fn close_brackets(source: &str, start: usize, end: usize) -> usize {
    let mut open = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in source[start..end].chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' | '[' | '{' => open += 1,
                ')' | ']' | '}' => open -= 1,
                _ => {}
            },
        }
    }
    let base = end;
    let mut end = end;
    for (i, c) in source[base..].char_indices() {
        if open <= 0 {
            break;
        }
        match c {
            ')' | ']' | '}' => {
                open -= 1;
                end = base + i + c.len_utf8();
            }
            c if c.is_whitespace() => {}
            _ => break,
        }
    }
    end
}

/// Calls `f` on `expr` and every node below it.
pub(super) fn visit<'e>(expr: &'e IdedExpr, f: &mut impl FnMut(&'e IdedExpr)) {
    f(expr);
    for child in children(expr) {
        visit(child, f);
    }
}

/// The direct sub-expressions of a node.
pub(super) fn children(expr: &IdedExpr) -> Vec<&IdedExpr> {
    match &expr.expr {
        Expr::Call(c) => c.target.iter().map(|t| t.as_ref()).chain(&c.args).collect(),
        Expr::Select(s) => vec![s.operand.as_ref()],
        Expr::List(l) => l.elements.iter().collect(),
        Expr::Map(m) => m.entries.iter().flat_map(|e| entry(&e.expr)).collect(),
        Expr::Struct(s) => s.entries.iter().flat_map(|e| entry(&e.expr)).collect(),
        Expr::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => Vec::new(),
    }
}

fn entry(e: &EntryExpr) -> Vec<&IdedExpr> {
    match e {
        EntryExpr::StructField(f) => vec![&f.value],
        EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
    }
}

/// The first syntax error, placed and worded for a marketer: the parser's recovery tends to
/// report a cascade after the first, which only confuses.
pub(super) fn syntax_error(source: &str, errors: &cel::ParseErrors) -> ConditionError {
    let Some(first) = errors.errors.first() else {
        return ConditionError {
            offset: 0,
            message: "the expression cannot be read".to_string(),
        };
    };
    let (line, col) = first.pos;
    ConditionError {
        offset: offset_of(source, line, col),
        message: syntax_message(&first.msg),
    }
}

/// `Syntax error: mismatched input '<EOF>' expecting {…}` → `unexpected end of the
/// expression`: the token lists ANTLR offers mean nothing to a marketer.
fn syntax_message(raw: &str) -> String {
    let msg = raw.strip_prefix("Syntax error: ").unwrap_or(raw);
    let msg = msg.split(" expecting ").next().unwrap_or(msg);
    // ANTLR quotes the offending text: 'and'.
    let unquote = |rest: &str| {
        let t = rest.trim();
        let t = t.strip_prefix('\'').unwrap_or(t);
        t.strip_suffix('\'').unwrap_or(t).to_string()
    };
    let token = |rest: &str| match unquote(rest).as_str() {
        "<EOF>" => "end of the expression".to_string(),
        t => format!("`{t}`"),
    };
    let words = if let Some(rest) = msg
        .strip_prefix("mismatched input ")
        .or_else(|| msg.strip_prefix("extraneous input "))
    {
        let hint = match unquote(rest).as_str() {
            "and" => ": write `&&` for \"and\"",
            "or" => ": write `||` for \"or\"",
            "not" => ": write `!` for \"not\"",
            _ => "",
        };
        format!("unexpected {}{hint}", token(rest))
    } else if let Some(rest) = msg.strip_prefix("no viable alternative at input ") {
        format!("cannot read {} here", token(rest))
    } else if let Some(rest) = msg.strip_prefix("token recognition error at: ") {
        match unquote(rest) {
            t if t.starts_with('=') => "`=` alone compares nothing: write `==`".to_string(),
            t if t.starts_with(['"', '\'']) => {
                format!("a text is not closed: add the closing {}", &t[..1])
            }
            t => format!("unexpected character `{t}`"),
        }
    } else if let Some(rest) = msg.strip_prefix("missing ") {
        format!(
            "missing {}",
            token(rest.split(" at ").next().unwrap_or(rest))
        )
    } else {
        msg.to_string()
    };
    format!("syntax error: {words}")
}
