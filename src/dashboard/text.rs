//! The page's words and numbers in English and Persian.

use super::Lang;
use crate::domain::Level;

pub struct Words {
    pub title: &'static str,
    pub generated: &'static str,
    pub funnel: &'static str,
    pub funnel_note: &'static str,
    pub current: &'static str,
    pub target: &'static str,
    pub transitions: &'static str,
    pub transitions_note: &'static str,
    pub from_to: &'static str,
    pub climbs: &'static str,
    pub drops: &'static str,
    pub climb_time: &'static str,
    pub days: &'static str,
    pub campaigns: &'static str,
    pub no_campaigns: &'static str,
    pub campaign: &'static str,
    pub sent: &'static str,
    pub delivered: &'static str,
    pub opened: &'static str,
    pub clicked: &'static str,
    pub converted: &'static str,
    pub nps: &'static str,
    pub revenue: &'static str,
    pub funnel_col: &'static str,
    pub opened_note: &'static str,
    pub waiting_schedule: &'static str,
    pub waiting_trigger: &'static str,
}

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Fa => &FA,
    }
}

static EN: Words = Words {
    title: "Customer relationships",
    generated: "As of",
    funnel: "Level funnel",
    funnel_note: "Customers per current level, against the level the strategy wants for them.",
    current: "current",
    target: "target",
    transitions: "Level movement, last 30 days",
    transitions_note: "Rows: level before; columns: level after. Green cells are climbs, red cells drops.",
    from_to: "from ↓ to →",
    climbs: "climbs",
    drops: "drops",
    climb_time: "Average time at a level before climbing to the next",
    days: "days",
    campaigns: "Campaigns",
    no_campaigns: "No emails sent yet.",
    campaign: "campaign",
    sent: "sent",
    delivered: "delivered",
    opened: "opened",
    clicked: "clicked",
    converted: "converted",
    nps: "NPS",
    revenue: "revenue",
    funnel_col: "funnel",
    opened_note: "Opened counts people, not mail-privacy proxies.",
    waiting_schedule: "Nothing sent yet: waiting for its next scheduled time.",
    waiting_trigger: "Nothing sent yet: waiting for a customer it is due for.",
};

static FA: Words = Words {
    title: "رابطه با مشتریان",
    generated: "تا تاریخ",
    funnel: "قیف سطح‌ها",
    funnel_note: "شمار مشتریان در هر سطح کنونی، در برابر سطحی که راهبرد برایشان می‌خواهد.",
    current: "کنونی",
    target: "هدف",
    transitions: "جابه‌جایی سطح‌ها در ۳۰ روز گذشته",
    transitions_note: "سطرها: سطح پیشین؛ ستون‌ها: سطح تازه. خانه‌های سبز صعود و خانه‌های سرخ نزول‌اند.",
    from_to: "از ↓ به ←",
    climbs: "صعود",
    drops: "نزول",
    climb_time: "میانگین ماندن در هر سطح پیش از صعود به سطح بعد",
    days: "روز",
    campaigns: "کارزارها",
    no_campaigns: "هنوز ایمیلی فرستاده نشده است.",
    campaign: "کارزار",
    sent: "فرستاده",
    delivered: "تحویل‌شده",
    opened: "باز شده",
    clicked: "کلیک",
    converted: "خرید",
    nps: "NPS",
    revenue: "درآمد",
    funnel_col: "قیف",
    opened_note: "«باز شده» آدم‌ها را می‌شمارد، نه پراکسی‌های حریم خصوصی ایمیل را.",
    waiting_schedule: "هنوز چیزی فرستاده نشده: در انتظار نوبت زمان‌بندی‌شدهٔ بعدی.",
    waiting_trigger: "هنوز چیزی فرستاده نشده: در انتظار نخستین مشتری‌ای که نوبتش رسیده باشد.",
};

pub fn level(lang: Lang, l: Level) -> &'static str {
    crate::render::level_name(lang.code(), l)
}

/// A whole number with thousands separators, in the language's digits.
pub fn int(lang: Lang, n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(match lang {
                Lang::En => ',',
                Lang::Fa => '٬',
            });
        }
        out.push(c);
    }
    crate::render::localize_digits(lang.code(), &out)
}

/// A number with one decimal, in the language's digits and decimal mark.
pub fn dec1(lang: Lang, x: f64) -> String {
    let s = format!("{x:.1}");
    match lang {
        Lang::En => s,
        Lang::Fa => crate::render::localize_digits("fa", &s.replace('.', "٫")),
    }
}

/// Escapes text for HTML and SVG text and attribute values.
pub use crate::render::escape_html as esc;
