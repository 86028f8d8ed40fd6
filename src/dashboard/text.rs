//! The page's words and numbers in English and Persian.

use super::Lang;
use crate::domain::Level;
use crate::experiments::Test;
use crate::experiments::sentence::{Metric, amount, p_value};
use crate::report::experiment::MetricComparison;

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
    pub experiments: &'static str,
    pub experiments_note: &'static str,
    pub no_experiments: &'static str,
    pub arm: &'static str,
    pub recipients: &'static str,
    pub conversion: &'static str,
    pub per_recipient: &'static str,
    pub climbed: &'static str,
    pub climb_rate: &'static str,
    pub experiment_id: &'static str,
    pub holdout_share: &'static str,
    /// The hold-out arm's name in tables and sentences.
    pub holdout: &'static str,
    pub against: &'static str,
    pub programme: &'static str,
    pub group: &'static str,
    pub customers: &'static str,
    pub per_customer: &'static str,
    pub marketed: &'static str,
    pub global_holdout: &'static str,
    pub winner: &'static str,
    pub winner_chosen: &'static str,
    pub winner_none: &'static str,
    pub value: &'static str,
    pub value_note: &'static str,
    pub no_value: &'static str,
    pub level: &'static str,
    pub with_orders: &'static str,
    pub avg_value: &'static str,
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
    experiments: "Experiments",
    experiments_note: "Every customer drawn into an arm counts, whatever became of the email; each arm is compared with the hold-out (else the first variant).",
    no_experiments: "No experiment running: give a campaign `holdout = 0.1` or [[variant]] entries (docs/experiments.md).",
    arm: "arm",
    recipients: "recipients",
    conversion: "conversion",
    per_recipient: "revenue per recipient",
    climbed: "climbed a level",
    climb_rate: "climb rate",
    experiment_id: "salt",
    holdout_share: "hold-out",
    holdout: "the hold-out",
    against: "against",
    programme: "The whole programme against the global hold-out (customers who get no marketing)",
    group: "group",
    customers: "customers",
    per_customer: "revenue per customer",
    marketed: "marketing",
    global_holdout: "the global hold-out",
    winner: "Auto-winner",
    winner_chosen: "everyone outside the hold-out gets it, decided on",
    winner_none: "no variant was significantly better, the split goes on; decided on",
    value: "Predicted value per level",
    value_note: "The margin each level's customers with orders are predicted to bring over the next 12 months, on average (purchase-rhythm model of the shop's own orders).",
    no_value: "No purchase-rhythm model yet: the cycle fits one once some customers have ordered twice.",
    level: "level",
    with_orders: "customers with orders",
    avg_value: "average predicted margin, next 12 months",
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
    experiments: "آزمایش‌ها",
    experiments_note: "هر مشتری‌ای که به گروهی افتاده شمرده می‌شود، هر چه بر سر ایمیلش آمده باشد؛ هر گروه با گروه نگه‌داشته (یا اگر نباشد با نخستین نسخه) سنجیده می‌شود.",
    no_experiments: "آزمایشی در جریان نیست: به کارزاری `holdout = 0.1` یا بخش‌های [[variant]] بدهید (docs/experiments.md).",
    arm: "گروه",
    recipients: "گیرندگان",
    conversion: "نرخ خرید",
    per_recipient: "درآمد هر گیرنده",
    climbed: "صعود سطح",
    climb_rate: "نرخ صعود",
    experiment_id: "شناسهٔ آزمایش",
    holdout_share: "نگه‌داشته",
    holdout: "گروه نگه‌داشته",
    against: "در برابر",
    programme: "کل برنامه در برابر گروه نگه‌داشتهٔ سراسری (مشتریانی که هیچ ایمیل بازاریابی نمی‌گیرند)",
    group: "گروه",
    customers: "مشتریان",
    per_customer: "درآمد هر مشتری",
    marketed: "بازاریابی",
    global_holdout: "گروه نگه‌داشتهٔ سراسری",
    winner: "برندهٔ خودکار",
    winner_chosen: "از این پس همهٔ بیرون از گروه نگه‌داشته آن را می‌گیرند؛ سنجه",
    winner_none: "هیچ نسخه‌ای به‌طور معنادار بهتر نبود و تقسیم ادامه دارد؛ سنجه",
    value: "ارزش پیش‌بینی‌شدهٔ هر سطح",
    value_note: "میانگین سودی که پیش‌بینی می‌شود مشتریانِ دارای سفارشِ هر سطح در ۱۲ ماه آینده بیاورند (مدل ریتم خرید، از سفارش‌های خود فروشگاه).",
    no_value: "هنوز مدل ریتم خرید ساخته نشده است: چرخه پس از آنکه مشتریانی دو بار خرید کنند آن را می‌سازد.",
    level: "سطح",
    with_orders: "مشتریان دارای سفارش",
    avg_value: "میانگین سود پیش‌بینی‌شده، ۱۲ ماه آینده",
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

/// An amount with two decimals and thousands separators, in the language's digits and marks.
pub fn money(lang: Lang, x: f64) -> String {
    let s = crate::levels::wording::money(x);
    match lang {
        Lang::En => s,
        Lang::Fa => crate::render::localize_digits("fa", &s.replace(',', "٬").replace('.', "٫")),
    }
}

/// Escapes text for HTML and SVG text and attribute values.
pub use crate::render::escape_html as esc;

/// A metric's name in the page's language (`conversion`, as stored with an auto-winner's
/// decision, or a [`Metric`]).
pub fn metric(lang: Lang, m: &str) -> String {
    let fa = match m {
        "conversion" => "خرید",
        "click" => "کلیک",
        "open" => "باز کردن",
        "climb" => "صعود سطح",
        "revenue" => "درآمد هر گیرنده",
        other => other,
    };
    match lang {
        Lang::En => m.replace('_', " "),
        Lang::Fa => fa.to_string(),
    }
}

/// The sentence under a comparison. English is the report's own sentence (what `rapport
/// report --experiment` prints); Persian words the same figures — the same rounding and the
/// same truncated p-value — in Persian digits.
pub fn comparison(lang: Lang, m: &MetricComparison, treatment: &str, control: &str) -> String {
    let c = &m.comparison;
    if lang == Lang::En {
        return format!("{} [{}]", m.sentence, c.test.name());
    }
    let num =
        |s: String| crate::render::localize_digits("fa", &s.replace(',', "٬").replace('.', "٫"));
    let by = amount(m.metric, c.difference.abs());
    let unit = if m.metric == Metric::Revenue {
        ""
    } else {
        " واحد درصد"
    };
    let what = metric(
        lang,
        match m.metric {
            Metric::Conversion => "conversion",
            Metric::Click => "click",
            Metric::Open => "open",
            Metric::Climb => "climb",
            Metric::Revenue => "revenue",
        },
    );
    let claim = if by.chars().all(|ch| matches!(ch, '0' | '.' | ',')) {
        format!("{treatment} در {what} هم‌اندازهٔ {control} است")
    } else {
        let way = if c.difference > 0.0 {
            "بیشتر"
        } else {
            "کمتر"
        };
        format!(
            "{treatment} در {what} {}{unit} {way} از {control} است",
            num(by)
        )
    };
    let verdict = if c.significant {
        "معنادار"
    } else {
        "معنادار نیست"
    };
    let test = match c.test {
        Test::TwoProportionZ => "آزمون z دو نسبت",
        Test::WelchT => "آزمون t ولش",
    };
    format!(
        "{claim} (بازهٔ اطمینان {}٪: {} تا {}{unit}، {}): {verdict} [{test}]",
        num(format!("{}", (c.confidence * 100.0).round())),
        num(amount(m.metric, c.low)),
        num(amount(m.metric, c.high)),
        num(p_value(c.p_value)),
    )
}
