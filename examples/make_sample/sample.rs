//! The sample being built: customers with their orders and events, the helpers cohorts use
//! to add behaviour at "N days ago", the level self-check and the writers.

use crate::catalog::{self, PRODUCTS};
use crate::cohorts::Cohort;
use chrono::{DateTime, Duration, NaiveTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;

pub struct Customer {
    pub id: String,
    pub email: String,
    pub name: String,
    pub locale: &'static str,
    pub timezone: &'static str,
    pub subscribed: bool,
    pub created_at: DateTime<Utc>,
    pub attributes: Map<String, Value>,
    pub cohort: &'static Cohort,
}

pub struct Order {
    pub id: String,
    pub customer: usize,
    pub at: DateTime<Utc>,
    pub amount: f64,
    pub currency: &'static str,
    pub margin: f64,
    pub items: Vec<Item>,
}

/// An order line as the import format fixes it (README "Import formats"): `{sku, name, qty, price}`.
#[derive(Serialize)]
pub struct Item {
    sku: &'static str,
    name: &'static str,
    qty: u32,
    price: Value,
}

pub struct Event {
    pub customer: usize,
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    pub data: Value,
}

pub struct Sample {
    pub rng: StdRng,
    pub anchor: DateTime<Utc>,
    pub customers: Vec<Customer>,
    pub orders: Vec<Order>,
    pub events: Vec<Event>,
    emails: HashSet<String>,
    /// When a cohort sets it, the customer being built signed up then instead of some time
    /// before their first activity (a welcome needs a known sign-up time).
    pub signed_up: Option<DateTime<Utc>>,
}

/// Windows of the default level rules, in days: evidence is never placed near their edges,
/// so the intended level does not depend on how a rule rounds.
const WINDOWS: [i64; 3] = [90, 180, 365];

impl Sample {
    pub fn new(seed: u64, anchor: DateTime<Utc>) -> Self {
        Sample {
            rng: StdRng::seed_from_u64(seed),
            anchor,
            customers: Vec::new(),
            orders: Vec::new(),
            events: Vec::new(),
            emails: HashSet::new(),
            signed_up: None,
        }
    }

    /// Adds the `k`-th customer of a cohort; customers alternate English and Persian.
    pub fn add_customer(&mut self, cohort: &'static Cohort, k: usize) {
        let n = self.customers.len() + 1;
        let fa = n.is_multiple_of(2);
        let (name, local) = if fa {
            let (f, fl) = *catalog::FA_FIRST.choose(&mut self.rng).unwrap();
            let (l, ll) = *catalog::FA_LAST.choose(&mut self.rng).unwrap();
            (format!("{f} {l}"), format!("{fl}.{ll}"))
        } else {
            let f = *catalog::EN_FIRST.choose(&mut self.rng).unwrap();
            let l = *catalog::EN_LAST.choose(&mut self.rng).unwrap();
            (format!("{f} {l}"), format!("{f}.{l}").to_lowercase())
        };
        let domain = *catalog::DOMAINS.choose(&mut self.rng).unwrap();
        let mut email = format!("{local}@{domain}");
        let mut suffix = 2;
        while !self.emails.insert(email.clone()) {
            email = format!("{local}{suffix}@{domain}");
            suffix += 1;
        }
        let timezone = if fa {
            *catalog::FA_TIMEZONES.choose(&mut self.rng).unwrap()
        } else {
            catalog::EN_TIMEZONES[(n / 2) % catalog::EN_TIMEZONES.len()]
        };
        let mut attributes = Map::new();
        match self.rng.random_range(0..6) {
            0 => {
                attributes.insert("source".into(), json!("instagram"));
            }
            1 => {
                attributes.insert("source".into(), json!("friend"));
            }
            2 if timezone == "Asia/Tehran" => {
                let city = ["Tehran", "Isfahan", "Shiraz", "Tabriz", "Mashhad"]
                    .choose(&mut self.rng)
                    .unwrap();
                attributes.insert("city".into(), json!(city));
            }
            3 => {
                let cat = ["tea", "coffee", "tableware", "pantry"]
                    .choose(&mut self.rng)
                    .unwrap();
                attributes.insert("favourite_category".into(), json!(cat));
            }
            _ => {}
        }
        self.customers.push(Customer {
            id: format!("cust-{n:04}"),
            email,
            name,
            locale: if fa { "fa" } else { "en" },
            timezone,
            subscribed: true,
            created_at: self.anchor,
            attributes,
            cohort,
        });
        let c = n - 1;
        let orders_before = self.orders.len();
        let events_before = self.events.len();
        (cohort.build)(self, c, k);
        // Signed up some time before the first thing they did (or 5–400 days ago).
        let first = self.orders[orders_before..]
            .iter()
            .map(|o| o.at)
            .chain(self.events[events_before..].iter().map(|e| e.at))
            .min();
        let created = match first {
            Some(t) => t - Duration::days(self.rng.random_range(1..90)),
            None => {
                let d = self.rng.random_range(5..400);
                self.day(c, d)
            }
        };
        self.customers[c].created_at = self.signed_up.take().unwrap_or(created);
        self.sprinkle_opens(c);
    }

    /// A time on the local calendar day `d` days before the anchor, during waking hours of
    /// the customer's timezone (d ≥ 1). Days near a level window's edge are moved off it.
    pub fn day(&mut self, c: usize, d: i64) -> DateTime<Utc> {
        assert!(d >= 1, "use hours_ago for today");
        let mut d = d;
        while WINDOWS.iter().any(|w| (d - w).abs() <= 2) {
            d += 3;
        }
        let tz: Tz = self.customers[c].timezone.parse().unwrap();
        let date = self.anchor.with_timezone(&tz).date_naive() - Duration::days(d);
        let secs = self.rng.random_range(8 * 3600..22 * 3600);
        let time = NaiveTime::from_num_seconds_from_midnight_opt(secs - secs % 60, 0).unwrap();
        let local = tz.from_local_datetime(&date.and_time(time)).earliest();
        local
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| self.anchor - Duration::days(d))
    }

    pub fn hours_ago(&mut self, h: i64) -> DateTime<Utc> {
        self.anchor - Duration::hours(h) - Duration::minutes(self.rng.random_range(0..60))
    }

    /// An order of 1–3 products at `at`; returns its index. `big` buys the larger items.
    pub fn order(&mut self, c: usize, at: DateTime<Utc>, big: bool) -> usize {
        let locale = self.customers[c].locale;
        let currency = catalog::currency_for(self.customers[c].timezone);
        let n_items = if big {
            self.rng.random_range(2..=4)
        } else {
            *[1, 1, 1, 2, 2, 3].choose(&mut self.rng).unwrap()
        };
        let mut picks: Vec<usize> = (0..PRODUCTS.len()).collect();
        picks.shuffle(&mut self.rng);
        let mut amount = 0.0;
        let mut items = Vec::new();
        for &i in picks.iter().take(n_items) {
            let p = &PRODUCTS[i];
            // Several bags of saffron or glasses, rarely two samovars.
            let qty: u32 = if p.eur < 30.0 {
                *[1, 1, 1, 2, 2, 3].choose(&mut self.rng).unwrap()
            } else {
                *[1, 1, 1, 1, 1, 2].choose(&mut self.rng).unwrap()
            };
            let price = p.price(currency);
            amount += price * f64::from(qty);
            items.push(Item {
                sku: p.sku,
                name: p.name(locale),
                qty,
                price: money(price, currency),
            });
        }
        let amount = catalog::round_money(amount, currency);
        let ratio = self.rng.random_range(0.25..0.45);
        let margin = catalog::round_money(amount * ratio, currency);
        self.orders.push(Order {
            id: String::new(),
            customer: c,
            at,
            amount,
            currency,
            margin,
            items,
        });
        self.orders.len() - 1
    }

    pub fn order_days_ago(&mut self, c: usize, d: i64) -> usize {
        let at = self.day(c, d);
        self.order(c, at, false)
    }

    /// An order of chosen products `(sku, qty)` at `at` whose margin is `ratio` of the
    /// amount: for cohorts whose margin tier must not depend on a draw. Returns its index.
    pub fn order_of(
        &mut self,
        c: usize,
        at: DateTime<Utc>,
        skus: &[(&str, u32)],
        ratio: f64,
    ) -> usize {
        let currency = catalog::currency_for(self.customers[c].timezone);
        let (items, amount) = self.basket(c, skus);
        let margin = catalog::round_money(amount * ratio, currency);
        self.orders.push(Order {
            id: String::new(),
            customer: c,
            at,
            amount,
            currency,
            margin,
            items,
        });
        self.orders.len() - 1
    }

    /// A `custom:cart_abandoned` event, as a shop's integration would send it: the cart's
    /// lines, total and a link back to the cart.
    pub fn cart_abandoned(&mut self, c: usize, at: DateTime<Utc>, skus: &[(&str, u32)]) {
        let currency = catalog::currency_for(self.customers[c].timezone);
        let (items, amount) = self.basket(c, skus);
        let cart = format!("cart-{:04}-{}", c + 1, at.format("%m%d%H%M"));
        self.event(
            c,
            "custom:cart_abandoned",
            at,
            json!({
                "cart_id": cart,
                "items": items,
                "total": money(amount, currency),
                "currency": currency,
                "cart_url": format!("https://shop.example/cart/{cart}"),
            }),
        );
    }

    /// The lines and total of chosen products in the customer's currency and language.
    fn basket(&self, c: usize, skus: &[(&str, u32)]) -> (Vec<Item>, f64) {
        let locale = self.customers[c].locale;
        let currency = catalog::currency_for(self.customers[c].timezone);
        let mut amount = 0.0;
        let mut items = Vec::new();
        for &(sku, qty) in skus {
            let p = PRODUCTS
                .iter()
                .find(|p| p.sku == sku)
                .unwrap_or_else(|| panic!("no product {sku} in the catalogue"));
            let price = p.price(currency);
            amount += price * f64::from(qty);
            items.push(Item {
                sku: p.sku,
                name: p.name(locale),
                qty,
                price: money(price, currency),
            });
        }
        (items, catalog::round_money(amount, currency))
    }

    pub fn event(&mut self, c: usize, kind: &'static str, at: DateTime<Utc>, data: Value) {
        self.events.push(Event {
            customer: c,
            kind,
            at,
            data,
        });
    }

    /// A click on a product link from one of the shop's emails.
    pub fn click(&mut self, c: usize, d: i64) {
        let at = self.day(c, d);
        let p = PRODUCTS.choose(&mut self.rng).unwrap();
        let campaign = *["weekly-newsletter", "post-sale-follow-up", "loyalty-offer"]
            .choose(&mut self.rng)
            .unwrap();
        let url = format!("https://shop.example/p/{}", p.sku.to_lowercase());
        self.event(
            c,
            "email_click",
            at,
            json!({"campaign": campaign, "url": url}),
        );
    }

    pub fn reply(&mut self, c: usize, d: i64) {
        let at = self.day(c, d);
        self.event(c, "reply", at, json!({"channel": "email"}));
    }

    pub fn survey(&mut self, c: usize, d: i64, score: u8) {
        let at = self.day(c, d);
        let pick = self.rng.random_range(0..8);
        let comment = catalog::survey_comment(self.customers[c].locale, score, pick);
        self.event(
            c,
            "survey_response",
            at,
            json!({"score": score, "comment": comment}),
        );
    }

    /// A complaint about order `o` (an index until `finish` numbers the orders).
    pub fn complaint(&mut self, c: usize, o: usize, at: DateTime<Utc>) {
        let pick = self.rng.random_range(0..8);
        let text = catalog::complaint_topic(self.customers[c].locale, pick);
        let order_id = format!("#{o}"); // replaced by the order id in finish()
        self.event(
            c,
            "complaint",
            at,
            json!({"order_id": order_id, "text": text}),
        );
    }

    /// Opens are never evidence (privacy proxies fire them), so every cohort gets some.
    fn sprinkle_opens(&mut self, c: usize) {
        let age = (self.anchor - self.customers[c].created_at)
            .num_days()
            .min(300);
        if age < 2 {
            return;
        }
        for _ in 0..self.rng.random_range(0..=6) {
            let d = self.rng.random_range(1..age);
            let at = self.day(c, d);
            if at <= self.customers[c].created_at {
                continue;
            }
            let campaign = *["weekly-newsletter", "post-sale-follow-up", "loyalty-offer"]
                .choose(&mut self.rng)
                .unwrap();
            self.event(c, "email_open", at, json!({"campaign": campaign}));
        }
    }

    /// Sorts orders and events by time (as an export would list them) and numbers them. The
    /// orders and events of the first `first` customers come first, by time, then those of
    /// the cohorts appended after them, by time: appending cohorts only appends lines to the
    /// files, and every earlier order and event keeps its id.
    pub fn finish(&mut self, first: usize) {
        let later = |c: usize| c >= first;
        let mut idx: Vec<usize> = (0..self.orders.len()).collect();
        idx.sort_by_key(|&i| (later(self.orders[i].customer), self.orders[i].at, i));
        let mut new_id = vec![String::new(); self.orders.len()];
        for (rank, &i) in idx.iter().enumerate() {
            new_id[i] = format!("ord-{:05}", 10001 + rank);
        }
        for (o, id) in self.orders.iter_mut().zip(&new_id) {
            o.id = id.clone();
        }
        for e in &mut self.events {
            if let Some(Value::String(s)) = e.data.get("order_id")
                && let Some(i) = s.strip_prefix('#').and_then(|n| n.parse::<usize>().ok())
            {
                e.data["order_id"] = json!(new_id[i]);
            }
        }
        self.orders.sort_by(|a, b| a.id.cmp(&b.id));
        self.events
            .sort_by_key(|e| (later(e.customer), e.at, e.customer));
    }

    /// Classifies every customer with the default rules (docs/domain.md) and compares with the
    /// level its cohort intends.
    pub fn check_levels(&self) -> anyhow::Result<()> {
        let mut wrong = Vec::new();
        for (c, cust) in self.customers.iter().enumerate() {
            let got = self.level_of(c);
            if got != cust.cohort.level {
                wrong.push(format!(
                    "{} ({}): intended {}, classified {got}",
                    cust.id, cust.cohort.name, cust.cohort.level
                ));
            }
        }
        anyhow::ensure!(wrong.is_empty(), "levels differ:\n{}", wrong.join("\n"));
        Ok(())
    }

    /// The margin tier (0 high, 1 medium, 2 low) of each of the first `n` customers, ranked
    /// among the first `n` only, the way the engine ranks them (`levels::MarginTiers`:
    /// margins of the last 365 days in the base currency, the top `high_share` high, the
    /// next `medium_share` medium, no margin is low).
    fn tiers(&self, n: usize, strategy: &Strategy) -> Vec<u8> {
        let mut margins = vec![0.0; n];
        for o in self.orders.iter().filter(|o| o.customer < n) {
            let age = (self.anchor - o.at).num_seconds() as f64 / 86_400.0;
            if (0.0..=365.0).contains(&age) {
                margins[o.customer] += o.margin * strategy.rate(o.currency);
            }
        }
        let mut sorted = margins.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let cut = |share: f64| {
            let k = ((n as f64 * share) - 1e-9).ceil().max(0.0) as usize;
            if k == 0 {
                f64::INFINITY
            } else {
                sorted[k.min(n) - 1]
            }
        };
        let high = cut(strategy.high_share);
        let medium = cut(strategy.high_share + strategy.medium_share);
        margins
            .iter()
            .map(|&m| match m {
                m if m <= 0.0 => 2,
                m if m >= high => 0,
                m if m >= medium => 1,
                _ => 2,
            })
            .collect()
    }

    /// Customers added after the first `first` must leave the margin tier of each of those
    /// where it was: the tier decides the target level, and with it which campaign the
    /// documented cohorts get. New cohorts therefore bring high, medium and low customers in
    /// the shares of the tiers.
    pub fn check_tiers(&self, first: usize, strategy: &Strategy) -> anyhow::Result<()> {
        let before = self.tiers(first, strategy);
        let after = self.tiers(self.customers.len(), strategy);
        let names = ["high", "medium", "low"];
        let moved: Vec<String> = (0..first)
            .filter(|&c| before[c] != after[c])
            .map(|c| {
                format!(
                    "{} ({}): {} among the first {first}, {} among all",
                    self.customers[c].id,
                    self.customers[c].cohort.name,
                    names[before[c] as usize],
                    names[after[c] as usize]
                )
            })
            .collect();
        anyhow::ensure!(
            moved.is_empty(),
            "the new cohorts move earlier customers' margin tiers:\n{}",
            moved.join("\n")
        );
        Ok(())
    }

    pub fn level_of(&self, c: usize) -> &'static str {
        let days = |t: DateTime<Utc>| (self.anchor - t).num_seconds() as f64 / 86_400.0;
        let within = |t: DateTime<Utc>, w: f64| {
            let a = days(t);
            assert!(
                (a - w).abs() > 1.0,
                "{}: evidence {a:.2} days old, too close to a {w}-day window",
                self.customers[c].id
            );
            (0.0..=w).contains(&a)
        };
        let ev = |kinds: &[&str], w: f64| {
            self.events
                .iter()
                .filter(|e| e.customer == c && kinds.contains(&e.kind))
                .filter(|e| w.is_infinite() || within(e.at, w))
                .count()
        };
        let orders_365 = self
            .orders
            .iter()
            .filter(|o| o.customer == c && within(o.at, 365.0))
            .count();
        if ev(&["partnership_accepted"], f64::INFINITY) > 0 || ev(&["referral"], 365.0) >= 2 {
            "partnership"
        } else if orders_365 >= 3 && ev(&["email_click", "reply"], 90.0) > 0 {
            "proactive"
        } else if ev(&["survey_response", "complaint_resolved"], 365.0) > 0 {
            "accountable"
        } else if ev(
            &["email_click", "reply", "support_contact", "complaint"],
            180.0,
        ) > 0
        {
            "reactive"
        } else {
            "basic"
        }
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        let ts = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);

        let mut w = csv::Writer::from_path(dir.join("customers.csv"))?;
        w.write_record(catalog_fields::CUSTOMER)?;
        for c in &self.customers {
            let attributes = if c.attributes.is_empty() {
                String::new()
            } else {
                Value::Object(c.attributes.clone()).to_string()
            };
            w.write_record([
                c.id.as_str(),
                &c.email,
                &c.name,
                c.locale,
                c.timezone,
                if c.subscribed { "true" } else { "false" },
                &ts(c.created_at),
                &attributes,
            ])?;
        }
        w.flush()?;

        #[derive(Serialize)]
        struct OrderLine<'a> {
            id: &'a str,
            customer_id: &'a str,
            occurred_at: String,
            amount: Value,
            currency: &'a str,
            margin: Value,
            items: &'a [Item],
        }
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("orders.jsonl"))?);
        for o in &self.orders {
            let line = OrderLine {
                id: &o.id,
                customer_id: &self.customers[o.customer].id,
                occurred_at: ts(o.at),
                amount: money(o.amount, o.currency),
                currency: o.currency,
                margin: money(o.margin, o.currency),
                items: &o.items,
            };
            writeln!(f, "{}", serde_json::to_string(&line)?)?;
        }
        f.flush()?;

        #[derive(Serialize)]
        struct EventLine<'a> {
            id: String,
            customer_id: &'a str,
            kind: &'a str,
            occurred_at: String,
            data: &'a Value,
        }
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("events.jsonl"))?);
        for (i, e) in self.events.iter().enumerate() {
            let line = EventLine {
                id: format!("evt-{:05}", i + 1),
                customer_id: &self.customers[e.customer].id,
                kind: e.kind,
                occurred_at: ts(e.at),
                data: &e.data,
            };
            writeln!(f, "{}", serde_json::to_string(&line)?)?;
        }
        f.flush()?;

        let mut w = csv::Writer::from_path(dir.join("expected_levels.csv"))?;
        w.write_record([
            "customer_id",
            "locale",
            "cohort",
            "current_level",
            "scenario",
        ])?;
        for c in &self.customers {
            w.write_record([
                c.id.as_str(),
                c.locale,
                c.cohort.name,
                c.cohort.level,
                c.cohort.scenario,
            ])?;
        }
        w.flush()?;
        Ok(())
    }

    pub fn print_summary(&self, dir: &Path) {
        let mut per_level: BTreeMap<usize, (&str, usize)> = BTreeMap::new();
        let rank = |l: &str| {
            [
                "basic",
                "reactive",
                "accountable",
                "proactive",
                "partnership",
            ]
            .iter()
            .position(|x| *x == l)
            .unwrap()
        };
        for c in &self.customers {
            per_level
                .entry(rank(c.cohort.level))
                .or_insert((c.cohort.level, 0))
                .1 += 1;
        }
        println!(
            "wrote {} customers, {} orders, {} events to {} (anchor {})",
            self.customers.len(),
            self.orders.len(),
            self.events.len(),
            dir.display(),
            self.anchor.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        for (level, n) in per_level.values() {
            println!("  {level:<12} {n}");
        }
        let mut first: Vec<(&str, &str, usize)> = Vec::new();
        for c in &self.customers {
            match first.last_mut() {
                Some((name, _, n)) if *name == c.cohort.name => *n += 1,
                _ => first.push((c.cohort.name, c.id.as_str(), 1)),
            }
        }
        for (name, id, n) in first {
            println!("  {id} +{n:<3} {name}");
        }
    }
}

/// What the margin ranking needs from `config/rapport.toml`'s `[strategy]`.
pub struct Strategy {
    pub high_share: f64,
    pub medium_share: f64,
    /// One unit of each currency in the base currency.
    pub rates: BTreeMap<String, f64>,
}

impl Strategy {
    pub fn load(path: &Path) -> anyhow::Result<Strategy> {
        let text = std::fs::read_to_string(path)?;
        let cfg: toml::Table = toml::from_str(&text)?;
        let strategy = cfg
            .get("strategy")
            .and_then(toml::Value::as_table)
            .ok_or_else(|| anyhow::anyhow!("{}: no [strategy]", path.display()))?;
        let share = |key: &str| {
            strategy
                .get(key)
                .and_then(toml::Value::as_float)
                .ok_or_else(|| anyhow::anyhow!("{}: no strategy.{key}", path.display()))
        };
        let base = strategy
            .get("base_currency")
            .and_then(toml::Value::as_str)
            .unwrap_or("EUR");
        let mut rates: BTreeMap<String, f64> = strategy
            .get("currency_rates")
            .and_then(toml::Value::as_table)
            .map(|t| {
                t.iter()
                    .filter_map(|(k, v)| v.as_float().map(|r| (k.clone(), r)))
                    .collect()
            })
            .unwrap_or_default();
        rates.insert(base.to_string(), 1.0);
        Ok(Strategy {
            high_share: share("high_share")?,
            medium_share: share("medium_share")?,
            rates,
        })
    }

    fn rate(&self, currency: &str) -> f64 {
        self.rates[currency]
    }
}

/// CSV header names (README "Import formats").
mod catalog_fields {
    pub const CUSTOMER: [&str; 8] = [
        "id",
        "email",
        "name",
        "locale",
        "timezone",
        "subscribed",
        "created_at",
        "attributes",
    ];
}

/// Rials are whole numbers; other currencies keep cents.
pub fn money(v: f64, currency: &str) -> Value {
    if currency == "IRR" {
        json!(v.round() as i64)
    } else {
        json!(v)
    }
}
