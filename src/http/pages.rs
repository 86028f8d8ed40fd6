//! The small HTML pages customers see after clicking a link in an email: unsubscribe
//! confirmation, survey thank-you with a comment form, partnership thank-you, and errors.
//! English or Persian (right to left, Persian digits) by the customer's locale. No scripts,
//! no external resources: the CSP allows inline styles and same-origin forms only.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::render::escape_html as escape;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The page language: Persian for `fa…` locales, English otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fa,
}

impl Lang {
    pub fn of(locale: &str) -> Lang {
        let lang = locale.split(['-', '_']).next().unwrap_or("");
        if lang.eq_ignore_ascii_case("fa") {
            Lang::Fa
        } else {
            Lang::En
        }
    }

    fn number(self, n: u8) -> String {
        match self {
            Lang::En => n.to_string(),
            Lang::Fa => n
                .to_string()
                .chars()
                .map(|c| char::from_u32(0x06F0 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
                .collect(),
        }
    }
}

/// The pages that are a title and one paragraph.
#[derive(Debug, Clone, Copy)]
enum Notice {
    Unsubscribed,
    UnknownChoice,
    ConfirmSubscription,
    Confirmed,
    SignupReceived,
    SignupPending,
    CommentThanks,
    PartnershipThanks,
    BadScore,
    TryLater,
}

impl Notice {
    /// The title and the paragraph, in the page's language.
    fn words(self, lang: Lang) -> (&'static str, &'static str) {
        use Lang::{En, Fa};
        use Notice::*;
        match (self, lang) {
            (UnknownChoice, En) => (
                "Please choose again",
                "We did not understand that choice and changed nothing. Please use the buttons on the page.",
            ),
            (UnknownChoice, Fa) => (
                "لطفاً دوباره انتخاب کنید",
                "این انتخاب را متوجه نشدیم و چیزی تغییر نکرد. لطفاً از دکمه‌های صفحه استفاده کنید.",
            ),
            (ConfirmSubscription, En) => (
                "Confirm your subscription",
                "Do you want to receive our emails at this address?",
            ),
            (ConfirmSubscription, Fa) => (
                "تأیید عضویت",
                "آیا می‌خواهید ایمیل‌های ما به این نشانی فرستاده شود؟",
            ),
            (Confirmed, En) => (
                "Thank you",
                "Your subscription is confirmed. You can change your mind at any time with the link at the bottom of every email.",
            ),
            (Confirmed, Fa) => (
                "سپاسگزاریم",
                "عضویت شما تأیید شد. هر زمان بخواهید می‌توانید با پیوند پایین هر ایمیل نظرتان را تغییر دهید.",
            ),
            (SignupReceived, En) => ("Thank you", "You are subscribed."),
            (SignupReceived, Fa) => ("سپاسگزاریم", "عضویت شما ثبت شد."),
            (SignupPending, En) => (
                "Please check your inbox",
                "We sent you an email with a link. Click it to confirm your subscription; until then we send you nothing else.",
            ),
            (SignupPending, Fa) => (
                "لطفاً صندوق ایمیل خود را ببینید",
                "ایمیلی با یک پیوند برایتان فرستادیم. برای تأیید عضویت روی آن بزنید؛ تا آن زمان ایمیل دیگری برایتان نمی‌فرستیم.",
            ),
            (Unsubscribed, En) => (
                "You are unsubscribed",
                "You will not receive any more emails from us.",
            ),
            (Unsubscribed, Fa) => ("اشتراک شما لغو شد", "دیگر ایمیلی از ما دریافت نخواهید کرد."),
            (CommentThanks, En) => ("Thank you", "We have your comment."),
            (CommentThanks, Fa) => ("سپاسگزاریم", "نظر شما ثبت شد."),
            (PartnershipThanks, En) => (
                "Welcome aboard",
                "Thank you for accepting our invitation. We will be in touch soon.",
            ),
            (PartnershipThanks, Fa) => (
                "خوش آمدید",
                "از پذیرش دعوت ما سپاسگزاریم. به‌زودی با شما تماس می‌گیریم.",
            ),
            (BadScore, En) => (
                "Invalid answer",
                "The score must be a whole number from 0 to 10.",
            ),
            (BadScore, Fa) => ("پاسخ نامعتبر", "امتیاز باید عددی صحیح از ۰ تا ۱۰ باشد."),
            (TryLater, En) => (
                "Please try again",
                "Something went wrong on our side and nothing was changed. Please try again in a minute.",
            ),
            (TryLater, Fa) => (
                "لطفاً دوباره تلاش کنید",
                "مشکلی از سوی ما پیش آمد و چیزی تغییر نکرد. لطفاً کمی بعد دوباره تلاش کنید.",
            ),
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Notice::BadScore | Notice::UnknownChoice => StatusCode::BAD_REQUEST,
            Notice::TryLater => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::OK,
        }
    }

    fn page(self, lang: Lang) -> Response {
        let (title, body) = self.words(lang);
        page(self.status(), lang, title, &paragraph(body))
    }
}

pub(super) fn page(status: StatusCode, lang: Lang, title: &str, inner: &str) -> Response {
    let (code, dir) = match lang {
        Lang::En => ("en", "ltr"),
        Lang::Fa => ("fa", "rtl"),
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"{code}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <style>body{{font-family:system-ui,Tahoma,sans-serif;max-width:32rem;margin:3rem auto;\
         padding:0 1rem;line-height:1.6;color:#222}}button{{font-size:1rem;padding:.5rem 1.2rem}}\
         textarea{{width:100%;min-height:6rem;font:inherit}}</style></head>\
         <body><h1>{title}</h1>{inner}</body></html>\n",
        title = escape(title)
    );
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, super::error::NO_STORE);
    res
}

pub(super) fn paragraph(text: &str) -> String {
    format!("<p>{}</p>", escape(text))
}

/// `GET /c/{token}`: asks; only the POST confirms (link scanners follow every GET, and a
/// scanner must not give consent for anybody).
pub fn confirm_subscription(lang: Lang) -> Response {
    let (title, body) = Notice::ConfirmSubscription.words(lang);
    let form = format!(
        "{}<form method=\"post\"><input type=\"hidden\" name=\"confirm\" value=\"yes\">\
         <button type=\"submit\">{}</button></form>",
        paragraph(body),
        escape(title)
    );
    page(StatusCode::OK, lang, title, &form)
}

pub fn confirmed(lang: Lang) -> Response {
    Notice::Confirmed.page(lang)
}

/// After the sign-up form: subscribed, or asked to confirm by email.
pub fn signed_up(lang: Lang, pending: bool) -> Response {
    if pending {
        Notice::SignupPending.page(lang)
    } else {
        Notice::SignupReceived.page(lang)
    }
}

/// The sign-up form's input did not validate: what to fix (the field names are the form's).
pub fn bad_signup(lang: Lang, problems: &[String]) -> Response {
    let title = match lang {
        Lang::En => "Please check the form",
        Lang::Fa => "لطفاً فرم را بررسی کنید",
    };
    let list: String = problems
        .iter()
        .map(|p| format!("<li dir=\"ltr\">{}</li>", escape(p)))
        .collect();
    page(
        StatusCode::BAD_REQUEST,
        lang,
        title,
        &format!("<ul>{list}</ul>"),
    )
}

/// A preference page POST with a choice the page does not offer.
pub fn unknown_choice(lang: Lang) -> Response {
    Notice::UnknownChoice.page(lang)
}

pub fn unsubscribed(lang: Lang) -> Response {
    Notice::Unsubscribed.page(lang)
}

/// The thank-you page after a score, with an optional comment POSTed back to the same URL.
pub fn survey_thanks(lang: Lang, score: u8) -> Response {
    let (title, score_line, ask, send) = match lang {
        Lang::En => (
            "Thank you for your answer",
            format!("Your score: {}", lang.number(score)),
            "Anything you would like to tell us? (optional)",
            "Send",
        ),
        Lang::Fa => (
            "از پاسخ شما سپاسگزاریم",
            format!("امتیاز شما: {}", lang.number(score)),
            "اگر مایلید، نظرتان را برای ما بنویسید (اختیاری):",
            "ارسال",
        ),
    };
    let form = format!(
        "{}<form method=\"post\"><input type=\"hidden\" name=\"score\" value=\"{score}\">\
         <label for=\"comment\">{}</label><textarea id=\"comment\" name=\"comment\" \
         maxlength=\"{max}\"></textarea><p><button type=\"submit\">{}</button></p></form>",
        paragraph(&score_line),
        escape(ask),
        escape(send),
        max = super::customer::MAX_COMMENT,
    );
    page(StatusCode::OK, lang, title, &form)
}

pub fn comment_thanks(lang: Lang) -> Response {
    Notice::CommentThanks.page(lang)
}

pub fn partnership_thanks(lang: Lang) -> Response {
    Notice::PartnershipThanks.page(lang)
}

pub fn bad_score(lang: Lang) -> Response {
    Notice::BadScore.page(lang)
}

/// A token that does not verify, or a delivery that no longer exists. Both languages:
/// without a valid token we do not know who is asking.
pub fn invalid_link() -> Response {
    let inner = format!(
        "{}<p dir=\"rtl\" lang=\"fa\">{}</p>",
        paragraph("This link is not valid. Please use the link from your email as it is."),
        escape("این پیوند معتبر نیست. لطفاً پیوند ایمیل را بدون تغییر به کار ببرید.")
    );
    page(StatusCode::NOT_FOUND, Lang::En, "Link not valid", &inner)
}

/// The database did not answer: nothing was recorded, and the customer may retry.
pub fn try_later(lang: Lang) -> Response {
    Notice::TryLater.page(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_pages_are_right_to_left_with_persian_digits() {
        assert_eq!(Lang::of("fa-IR"), Lang::Fa);
        assert_eq!(Lang::of("en-GB"), Lang::En);
        assert_eq!(Lang::Fa.number(10), "۱۰");
        assert_eq!(Lang::En.number(7), "7");
    }
}
