//! Handlebars helpers: `money`, `date`, `digits`, `level_name`. Each reads the language from
//! the root `lang` field, so one template text serves every locale that shares it.
//! Helpers write straight to the output, bypassing Handlebars' escaping, so each output goes
//! through the registry's escape function (HTML-escape for HTML, none for text and subjects).

use super::locale_format;
use crate::domain::Level;
use handlebars::{
    Context, Handlebars, Helper, HelperResult, JsonRender, Output, RenderContext, RenderErrorReason,
};
use serde_json::Value;

pub fn register(reg: &mut Handlebars<'_>) {
    reg.register_helper("money", Box::new(money));
    reg.register_helper("date", Box::new(date));
    reg.register_helper("digits", Box::new(digits));
    reg.register_helper("level_name", Box::new(level_name));
}

fn lang(ctx: &Context) -> &str {
    ctx.data()
        .get("lang")
        .and_then(Value::as_str)
        .unwrap_or("en")
}

/// The value of parameter `idx`; in strict mode a missing variable is an error naming it.
fn param<'a>(
    h: &'a Helper<'_>,
    r: &Handlebars<'_>,
    idx: usize,
) -> Result<&'a Value, RenderErrorReason> {
    let p = h
        .param(idx)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(
            leak_name(h.name()),
            idx,
        ))?;
    if r.strict_mode() && p.is_value_missing() {
        return Err(RenderErrorReason::MissingVariable(
            p.relative_path().cloned(),
        ));
    }
    Ok(p.value())
}

/// Helper names are the four `&'static str`s registered above; map back to them so the
/// error type (which wants `'static`) needs no allocation that lives forever.
fn leak_name(name: &str) -> &'static str {
    match name {
        "money" => "money",
        "date" => "date",
        "digits" => "digits",
        _ => "level_name",
    }
}

fn write(r: &Handlebars<'_>, out: &mut dyn Output, s: &str) -> HelperResult {
    out.write(&(r.get_escape_fn())(s))?;
    Ok(())
}

fn invalid(helper: &'static str, what: String) -> RenderErrorReason {
    RenderErrorReason::Other(format!("{helper}: {what}"))
}

/// `{{money occurrence.amount occurrence.currency}}` → `€49.90` / `۴۹٫۹۰ یورو`.
fn money(
    h: &Helper,
    r: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let amount = param(h, r, 0)?;
    let amount = match amount {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid("money", format!("`{amount}` is not an amount")))?;
    let currency = param(h, r, 1)?;
    let currency = currency
        .as_str()
        .ok_or_else(|| invalid("money", format!("`{currency}` is not a currency code")))?;
    write(r, out, &locale_format::money(lang(ctx), amount, currency))
}

/// `{{date occurrence.occurred_at}}` (RFC 3339) → `20 November 2026` / `۲۹ آبان ۱۴۰۵`, in the
/// customer's timezone when it is known.
fn date(
    h: &Helper,
    r: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let v = param(h, r, 0)?;
    let s = v
        .as_str()
        .ok_or_else(|| invalid("date", format!("`{v}` is not a date")))?;
    let at = chrono::DateTime::parse_from_rfc3339(s)
        .map_err(|e| invalid("date", format!("`{s}` is not an RFC 3339 time: {e}")))?;
    let tz = ctx
        .data()
        .pointer("/customer/timezone")
        .and_then(Value::as_str)
        .and_then(|name| name.parse::<chrono_tz::Tz>().ok());
    let at = match tz {
        Some(tz) => at.with_timezone(&tz).fixed_offset(),
        None => at,
    };
    write(r, out, &locale_format::date(lang(ctx), &at))
}

/// `{{digits @index}}` → `3` / `۳`.
fn digits(
    h: &Helper,
    r: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let v = param(h, r, 0)?;
    write(
        r,
        out,
        &locale_format::localize_digits(lang(ctx), &v.render()),
    )
}

/// `{{level_name level.target}}` → `Accountable` / `مسئولانه`.
fn level_name(
    h: &Helper,
    r: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let v = param(h, r, 0)?;
    let level: Level = v
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("level_name", format!("`{v}` is not a level")))?;
    write(r, out, locale_format::level_name(lang(ctx), level))
}
