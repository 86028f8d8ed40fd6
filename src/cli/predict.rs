use super::{App, CmdResult, Failure, Format};
use crate::predict::{self, Model, Rhythm, best_hour::best_hour};
use chrono::{DateTime, Utc};

/// A customer's prediction: their rhythm (None without an order, or when the shop has no
/// repeat buyer to learn from) and their best hour (theirs, else the shop's).
pub struct Prediction {
    pub rhythm: Option<Rhythm>,
    pub best_hour: Option<u8>,
    pub best_hour_is_shops: bool,
}

impl Prediction {
    pub fn sentence(&self) -> String {
        let hour = self.best_hour.map(|h| {
            let whose = if self.best_hour_is_shops {
                " (the shop's)"
            } else {
                ""
            };
            format!("best hour {h:02}:00{whose}")
        });
        match (&self.rhythm, hour) {
            (Some(r), h) => {
                let mut s = predict::sentence(r, None);
                if let Some(h) = h {
                    s.push_str("; ");
                    s.push_str(&h);
                }
                s
            }
            (None, Some(h)) => format!("no orders to learn a rhythm from; {h}"),
            (None, None) => "no orders to learn a rhythm from".into(),
        }
    }
}

/// Scores `customer_id` with the shop's models as of `now` (fitted on every order history,
/// kept for a day: see `valuation::model`).
pub async fn prediction(
    app: &App,
    customer_id: &str,
    now: DateTime<Utc>,
) -> Result<Prediction, crate::store::StoreError> {
    let histories = app.store.order_histories(Some(customer_id), now).await?;
    let rhythm = match histories.first() {
        // The cycle's model (fitted within a day of `now`), so the rhythm line says what the
        // planner saw.
        Some(mine) => crate::valuation::model::model(&*app.store, now, false)
            .await?
            .map(|model: Model| model.rhythm(mine, now, app.config.strategy.base_currency)),
        None => None,
    };
    let own = best_hour(&app.store.engagement_times(Some(customer_id), now).await?);
    let (best_hour, best_hour_is_shops) = match own {
        Some(h) => (Some(h), false),
        None => (
            best_hour(&app.store.engagement_times(None, now).await?),
            true,
        ),
    };
    Ok(Prediction {
        rhythm,
        best_hour,
        best_hour_is_shops,
    })
}

/// `rapport predict CUSTOMER_ID`: purchase rhythm, chance still active, predicted 12-month
/// margin, best hour.
pub async fn run(app: &App, customer_id: &str, now: DateTime<Utc>, format: Format) -> CmdResult {
    if app.store.customer(customer_id).await?.is_none() {
        return Err(Failure::User(anyhow::anyhow!(
            "no customer with id `{customer_id}`"
        )));
    }
    let p = prediction(app, customer_id, now).await?;
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "customer_id": customer_id,
                "rhythm": p.rhythm,
                "best_hour": p.best_hour,
                "best_hour_is_shops": p.best_hour_is_shops,
                "sentence": p.sentence(),
            });
            println!("{v}");
        }
        Format::Table => println!("customer {customer_id}: {}", p.sentence()),
    }
    Ok(())
}
