//! The imaginary shop behind the sample data and the generator: a home & kitchen store
//! that sells to customers who read English and customers who read Persian. Shared by
//! `make_sample`, `generate` and `bench_import` through `#[path]` modules.
#![allow(dead_code)] // each example uses a different part of it

/// One product: SKU, English name, Persian name, and list prices in EUR, USD and IRR (rial).
/// Rial prices are open-market prices, about 900,000 rials to the euro for imported goods and
/// less for what Iran grows itself (saffron, pistachios, dates, tea, rosewater); the shipped
/// `[strategy.currency_rates]` IRR rate is that market rate, so margins rank the two halves
/// of the shop alike (tests/sample_shop.rs checks it).
pub struct Product {
    pub sku: &'static str,
    pub name_en: &'static str,
    pub name_fa: &'static str,
    pub eur: f64,
    pub usd: f64,
    pub irr: f64,
}

const fn p(
    sku: &'static str,
    name_en: &'static str,
    name_fa: &'static str,
    eur: f64,
    usd: f64,
    irr: f64,
) -> Product {
    Product {
        sku,
        name_en,
        name_fa,
        eur,
        usd,
        irr,
    }
}

pub const PRODUCTS: &[Product] = &[
    p(
        "MUG-CER-350",
        "Ceramic mug, 350 ml",
        "ماگ سرامیکی ۳۵۰ میلی‌لیتری",
        14.90,
        16.50,
        14_500_000.0,
    ),
    p(
        "MUG-CER-SET4",
        "Ceramic mugs, set of 4",
        "ست ۴ عددی ماگ سرامیکی",
        49.00,
        54.00,
        46_000_000.0,
    ),
    p(
        "TEAPOT-CI-08",
        "Cast-iron teapot, 0.8 l",
        "قوری چدنی ۰٫۸ لیتری",
        49.00,
        54.00,
        52_000_000.0,
    ),
    p(
        "TEAPOT-POR-12",
        "Porcelain teapot, 1.2 l",
        "قوری چینی ۱٫۲ لیتری",
        34.00,
        37.00,
        31_000_000.0,
    ),
    p(
        "TEA-GLASS-6",
        "Tea glasses, set of 6",
        "استکان کمرباریک، ۶ عددی",
        19.50,
        21.50,
        12_500_000.0,
    ),
    p(
        "SAMOVAR-3L",
        "Electric samovar, 3 l",
        "سماور برقی ۳ لیتری",
        129.00,
        139.00,
        118_000_000.0,
    ),
    p(
        "GRIND-BURR",
        "Burr coffee grinder",
        "آسیاب قهوه برقی",
        89.00,
        97.00,
        95_000_000.0,
    ),
    p(
        "GRIND-HAND",
        "Hand coffee grinder",
        "آسیاب دستی قهوه",
        39.90,
        43.00,
        36_000_000.0,
    ),
    p(
        "PRESS-FR-1L",
        "French press, 1 l",
        "فرنچ‌پرس یک لیتری",
        32.00,
        35.00,
        28_500_000.0,
    ),
    p(
        "KETTLE-GOOSE",
        "Gooseneck kettle",
        "کتری لوله‌باریک",
        45.00,
        49.00,
        41_000_000.0,
    ),
    p(
        "SAFFRON-4G6",
        "Saffron (sargol), 4.6 g",
        "زعفران سرگل، یک مثقال",
        24.90,
        27.50,
        16_500_000.0,
    ),
    p(
        "SAFFRON-18G",
        "Saffron (sargol), 18 g",
        "زعفران سرگل، چهار مثقال",
        84.00,
        92.00,
        62_000_000.0,
    ),
    p(
        "PIST-AKB-500",
        "Akbari pistachios, 500 g",
        "پسته اکبری ۵۰۰ گرمی",
        22.00,
        24.00,
        17_800_000.0,
    ),
    p(
        "DATES-MAZ-1K",
        "Mazafati dates, 1 kg",
        "خرمای مضافتی یک کیلویی",
        12.50,
        13.90,
        7_400_000.0,
    ),
    p(
        "TEA-LAH-250",
        "Lahijan black tea, 250 g",
        "چای سیاه لاهیجان ۲۵۰ گرمی",
        9.90,
        10.90,
        5_900_000.0,
    ),
    p(
        "ROSEWATER-500",
        "Rosewater, 500 ml",
        "گلاب قمصر ۵۰۰ میلی‌لیتری",
        8.90,
        9.90,
        4_200_000.0,
    ),
    p(
        "NAPKIN-LIN-4",
        "Linen napkins, set of 4",
        "دستمال سفره کتان، ۴ عددی",
        28.00,
        31.00,
        24_000_000.0,
    ),
    p(
        "RUNNER-TERMEH",
        "Termeh table runner",
        "رومیزی ترمه",
        59.00,
        65.00,
        48_000_000.0,
    ),
    p(
        "BOWL-TURQ",
        "Turquoise ceramic bowl",
        "کاسه سرامیکی فیروزه‌ای",
        24.00,
        26.50,
        19_500_000.0,
    ),
    p(
        "PLATES-STN-6",
        "Stoneware dinner plates, set of 6",
        "بشقاب سنگی، ۶ عددی",
        64.00,
        70.00,
        58_000_000.0,
    ),
    p(
        "SPOONS-OLV-5",
        "Olive-wood spoons, set of 5",
        "قاشق چوبی زیتون، ۵ عددی",
        18.00,
        19.90,
        13_000_000.0,
    ),
    p(
        "BOARD-WALNUT",
        "Walnut cutting board",
        "تخته برش چوب گردو",
        42.00,
        46.00,
        33_000_000.0,
    ),
    p(
        "TRAY-BRASS",
        "Engraved brass tea tray",
        "سینی برنجی قلم‌زنی",
        69.00,
        76.00,
        64_000_000.0,
    ),
    p(
        "CANDLE-SOY",
        "Soy candle, fig & cedar",
        "شمع سویا با رایحه انجیر",
        16.00,
        17.50,
        11_000_000.0,
    ),
];

/// English first names, then last names.
pub const EN_FIRST: &[&str] = &[
    "Emma",
    "Olivia",
    "Sophie",
    "Charlotte",
    "Amelia",
    "Grace",
    "Hannah",
    "Lucy",
    "Chloe",
    "Isabel",
    "Megan",
    "Rachel",
    "Laura",
    "Julia",
    "Anna",
    "Clara",
    "Emily",
    "Ruth",
    "James",
    "Oliver",
    "Thomas",
    "William",
    "Daniel",
    "Henry",
    "Jack",
    "Samuel",
    "George",
    "Lucas",
    "Benjamin",
    "Matthew",
    "David",
    "Michael",
    "Peter",
    "Adam",
    "Noah",
    "Ethan",
];
pub const EN_LAST: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Wright",
    "Thompson", "Hughes", "Clarke", "Hall", "Green", "Baker", "Turner", "Parker", "Cooper",
    "Morgan", "Bennett", "Reed", "Hayes", "Porter", "Ellis", "Foster", "Carter", "Mitchell",
    "Ward", "Fletcher", "Holmes",
];

/// Persian first and last names: (Persian script, ASCII transliteration for the address).
pub const FA_FIRST: &[(&str, &str)] = &[
    ("سارا", "sara"),
    ("مریم", "maryam"),
    ("زهرا", "zahra"),
    ("فاطمه", "fatemeh"),
    ("نگار", "negar"),
    ("لیلا", "leila"),
    ("شیرین", "shirin"),
    ("مهسا", "mahsa"),
    ("نازنین", "nazanin"),
    ("پریسا", "parisa"),
    ("الهام", "elham"),
    ("آزاده", "azadeh"),
    ("رویا", "roya"),
    ("ترانه", "taraneh"),
    ("یاسمن", "yasaman"),
    ("کیمیا", "kimia"),
    ("هستی", "hasti"),
    ("مینا", "mina"),
    ("علی", "ali"),
    ("محمد", "mohammad"),
    ("رضا", "reza"),
    ("حسین", "hossein"),
    ("امیر", "amir"),
    ("مهدی", "mahdi"),
    ("آرش", "arash"),
    ("بابک", "babak"),
    ("کاوه", "kaveh"),
    ("سعید", "saeed"),
    ("پویا", "pouya"),
    ("فرهاد", "farhad"),
    ("کیان", "kian"),
    ("نیما", "nima"),
    ("بهرام", "bahram"),
    ("سینا", "sina"),
    ("داریوش", "dariush"),
    ("حمید", "hamid"),
];
pub const FA_LAST: &[(&str, &str)] = &[
    ("احمدی", "ahmadi"),
    ("محمدی", "mohammadi"),
    ("حسینی", "hosseini"),
    ("رضایی", "rezaei"),
    ("کریمی", "karimi"),
    ("موسوی", "mousavi"),
    ("جعفری", "jafari"),
    ("صادقی", "sadeghi"),
    ("رحیمی", "rahimi"),
    ("کاظمی", "kazemi"),
    ("نوری", "nouri"),
    ("تهرانی", "tehrani"),
    ("شریفی", "sharifi"),
    ("اکبری", "akbari"),
    ("یزدانی", "yazdani"),
    ("فرهادی", "farhadi"),
    ("قاسمی", "ghasemi"),
    ("عباسی", "abbasi"),
    ("نجفی", "najafi"),
    ("امینی", "amini"),
    ("طاهری", "taheri"),
    ("بهرامی", "bahrami"),
    ("سلطانی", "soltani"),
    ("مرادی", "moradi"),
    ("پاکزاد", "pakzad"),
    ("شیرازی", "shirazi"),
    ("اصفهانی", "esfahani"),
    ("کرمانی", "kermani"),
];

/// Reserved example domains only (RFC 2606): never a real mailbox.
pub const DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

pub const EN_TIMEZONES: &[&str] = &["Europe/Berlin", "America/New_York", "Europe/London", "UTC"];
/// Most Persian-speaking customers live in Iran; some abroad.
pub const FA_TIMEZONES: &[&str] = &[
    "Asia/Tehran",
    "Asia/Tehran",
    "Asia/Tehran",
    "Asia/Tehran",
    "Asia/Tehran",
    "Asia/Tehran",
    "Asia/Tehran",
    "Europe/Berlin",
    "Europe/London",
    "America/Toronto",
];

/// The currency a customer pays in: rial in Iran, dollars in North America, euros elsewhere.
pub fn currency_for(timezone: &str) -> &'static str {
    match timezone {
        "Asia/Tehran" => "IRR",
        "America/New_York" | "America/Toronto" => "USD",
        _ => "EUR",
    }
}

impl Product {
    pub fn price(&self, currency: &str) -> f64 {
        match currency {
            "IRR" => self.irr,
            "USD" => self.usd,
            _ => self.eur,
        }
    }

    pub fn name(&self, locale: &str) -> &'static str {
        if locale == "fa" {
            self.name_fa
        } else {
            self.name_en
        }
    }
}

/// Rounds an amount the way the shop prices it: cents, or whole thousands of rials.
pub fn round_money(amount: f64, currency: &str) -> f64 {
    if currency == "IRR" {
        (amount / 1000.0).round() * 1000.0
    } else {
        (amount * 100.0).round() / 100.0
    }
}

/// Survey comments by score band, per locale.
pub fn survey_comment(locale: &str, score: u8, pick: usize) -> &'static str {
    const EN_GOOD: &[&str] = &[
        "Lovely quality, arrived well packed.",
        "The teapot keeps tea hot for ages. Thank you!",
        "Fast delivery and the saffron is excellent.",
        "Exactly as pictured. Will order again.",
    ];
    const EN_MID: &[&str] = &[
        "Good product, but delivery took a week.",
        "Nice mugs, one had a small glaze flaw.",
        "Fine, though the box was a bit dented.",
    ];
    const EN_BAD: &[&str] = &[
        "The grinder is louder than described.",
        "Took three weeks to arrive.",
    ];
    const FA_GOOD: &[&str] = &[
        "کیفیت عالی بود و بسته‌بندی خیلی خوب.",
        "قوری چای را مدت زیادی گرم نگه می‌دارد. ممنون!",
        "ارسال سریع بود و زعفران بسیار خوش‌رنگ است.",
        "دقیقاً مثل عکس بود. باز هم سفارش می‌دهم.",
    ];
    const FA_MID: &[&str] = &[
        "محصول خوب بود ولی ارسال یک هفته طول کشید.",
        "ماگ‌ها قشنگ‌اند، یکی لعابش کمی ایراد داشت.",
        "خوب بود، فقط جعبه کمی آسیب دیده بود.",
    ];
    const FA_BAD: &[&str] = &[
        "صدای آسیاب بیشتر از توضیحات است.",
        "سه هفته طول کشید تا برسد.",
    ];
    let list = match (locale == "fa", score) {
        (false, 9..) => EN_GOOD,
        (false, 7..=8) => EN_MID,
        (false, _) => EN_BAD,
        (true, 9..) => FA_GOOD,
        (true, 7..=8) => FA_MID,
        (true, _) => FA_BAD,
    };
    list[pick % list.len()]
}

/// What customers complain about, per locale.
pub fn complaint_topic(locale: &str, pick: usize) -> &'static str {
    const EN: &[&str] = &[
        "The teapot lid arrived cracked.",
        "One of the mugs broke in the microwave.",
        "The parcel never arrived.",
        "I was charged twice for one order.",
        "The napkins are a different colour from the photo.",
    ];
    const FA: &[&str] = &[
        "درِ قوری ترک‌خورده رسید.",
        "یکی از ماگ‌ها در مایکروویو شکست.",
        "بسته هیچ‌وقت به دستم نرسید.",
        "برای یک سفارش دو بار از حسابم کم شد.",
        "رنگ دستمال‌ها با عکس فرق دارد.",
    ];
    let list = if locale == "fa" { FA } else { EN };
    list[pick % list.len()]
}
