//! Handlebars helpers: `money`, `date`, `digits`, `level_name`. Each reads the language from
//! the root `lang` field, so one template text serves every locale that shares it.
//! Helpers write straight to the output, bypassing Handlebars' escaping, so each output goes
//! through the registry's escape function (HTML-escape for HTML, none for text and subjects).

use super::locale_format;
use crate::domain::Level;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, JsonRender, Output, RenderContext,
    RenderErrorReason,
};
use serde_json::Value;

/// The four helpers, each a [`LocaleHelper`] around the function that formats its value.
pub fn register(reg: &mut Handlebars<'_>) {
    let helpers: [(&'static str, Format); 4] = [
        ("money", money),
        ("date", date),
        ("digits", digits),
        ("level_name", level_name),
    ];
    for (name, format) in helpers {
        reg.register_helper(name, Box::new(LocaleHelper { name, format }));
    }
}

/// How a helper turns its call into text (escaped afterwards by [`LocaleHelper`]).
type Format = fn(&Call<'_, '_, '_>) -> Result<String, RenderErrorReason>;

/// A helper that formats a value for the template's language. What all four share lives
/// here: reading parameters, the language, and writing the escaped result.
struct LocaleHelper {
    name: &'static str,
    format: Format,
}

impl HelperDef for LocaleHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let call = Call {
            name: self.name,
            helper,
            registry,
            ctx,
        };
        let text = (self.format)(&call)?;
        out.write(&(registry.get_escape_fn())(&text))?;
        Ok(())
    }
}

/// One call of a helper: its parameters and the template's root data.
struct Call<'a, 'reg, 'rc> {
    name: &'static str,
    helper: &'a Helper<'rc>,
    registry: &'reg Handlebars<'reg>,
    ctx: &'rc Context,
}

impl Call<'_, '_, '_> {
    /// The value of parameter `idx`; in strict mode a missing variable is an error naming it.
    fn param(&self, idx: usize) -> Result<&Value, RenderErrorReason> {
        let p = self
            .helper
            .param(idx)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(self.name, idx))?;
        if self.registry.strict_mode() && p.is_value_missing() {
            return Err(RenderErrorReason::MissingVariable(
                p.relative_path().cloned(),
            ));
        }
        Ok(p.value())
    }

    /// The root `lang` field, `en` when absent.
    fn lang(&self) -> &str {
        self.ctx
            .data()
            .get("lang")
            .and_then(Value::as_str)
            .unwrap_or("en")
    }

    fn invalid(&self, what: String) -> RenderErrorReason {
        RenderErrorReason::Other(format!("{}: {what}", self.name))
    }
}

/// `{{money occurrence.amount occurrence.currency}}` → `€49.90` / `۴۹٫۹۰ یورو`.
fn money(call: &Call) -> Result<String, RenderErrorReason> {
    let amount = call.param(0)?;
    let amount = match amount {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| call.invalid(format!("`{amount}` is not an amount")))?;
    let currency = call.param(1)?;
    let currency = currency
        .as_str()
        .ok_or_else(|| call.invalid(format!("`{currency}` is not a currency code")))?;
    Ok(locale_format::money(call.lang(), amount, currency))
}

/// `{{date occurrence.occurred_at}}` (RFC 3339) → `20 November 2026` / `۲۹ آبان ۱۴۰۵`, in the
/// customer's timezone when it is known.
fn date(call: &Call) -> Result<String, RenderErrorReason> {
    let v = call.param(0)?;
    let s = v
        .as_str()
        .ok_or_else(|| call.invalid(format!("`{v}` is not a date")))?;
    let at = chrono::DateTime::parse_from_rfc3339(s)
        .map_err(|e| call.invalid(format!("`{s}` is not an RFC 3339 time: {e}")))?;
    let tz = call
        .ctx
        .data()
        .pointer("/customer/timezone")
        .and_then(Value::as_str)
        .and_then(|name| name.parse::<chrono_tz::Tz>().ok());
    let at = match tz {
        Some(tz) => at.with_timezone(&tz).fixed_offset(),
        None => at,
    };
    Ok(locale_format::date(call.lang(), &at))
}

/// `{{digits @index}}` → `3` / `۳`.
fn digits(call: &Call) -> Result<String, RenderErrorReason> {
    let v = call.param(0)?;
    Ok(locale_format::localize_digits(call.lang(), &v.render()))
}

/// `{{level_name level.target}}` → `Accountable` / `مسئولانه`.
fn level_name(call: &Call) -> Result<String, RenderErrorReason> {
    let v = call.param(0)?;
    let level: Level = v
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| call.invalid(format!("`{v}` is not a level")))?;
    Ok(locale_format::level_name(call.lang(), level).to_owned())
}
