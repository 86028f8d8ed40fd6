//! Who a provider event belongs to: our delivery id (echoed back by the provider), else the
//! Message-ID we generated, else the recipient address, else an earlier stored event of the
//! same provider message. [`Lookups::gather`] asks the store in a few batched queries per
//! request whatever its size (providers post up to a thousand events at once);
//! [`Lookups::owner`] applies the rules to what was found, without I/O.

use crate::domain::EmailAddress;
use crate::providers::InboundEvent;
use crate::store::{Store, StoreError, TrackedDelivery};
use std::collections::HashMap;
use uuid::Uuid;

/// What the store knows about a request's events.
#[derive(Debug, Default)]
pub struct Lookups {
    /// Our delivery id → the delivery.
    pub by_id: HashMap<Uuid, TrackedDelivery>,
    /// Message-ID as sent (`<…>`) → the delivery.
    pub by_message: HashMap<String, TrackedDelivery>,
    /// Address (as given and normalised) → customer id.
    pub by_email: HashMap<String, String>,
    /// Provider message id → (customer, delivery) of an earlier event of that message.
    pub by_provider_message: HashMap<String, (String, Option<Uuid>)>,
    /// The deliveries named in `by_provider_message`.
    pub earlier: HashMap<Uuid, TrackedDelivery>,
    /// Customer id → address, for suppressing events tied to a customer but to none of our
    /// emails and naming no recipient.
    pub customer_emails: HashMap<String, String>,
}

/// Who an event belongs to.
#[derive(Debug)]
pub struct Owner<'a> {
    pub customer_id: String,
    pub delivery: Option<&'a TrackedDelivery>,
}

impl Lookups {
    /// Each step looks up only the events the steps before it left uncorrelated.
    pub async fn gather(
        store: &dyn Store,
        provider: &str,
        events: &[InboundEvent],
    ) -> Result<Lookups, StoreError> {
        let mut l = Lookups::default();
        let ids: Vec<Uuid> = events.iter().filter_map(delivery_id).collect();
        if !ids.is_empty() {
            l.by_id = store.tracked_deliveries(&ids).await?;
        }
        let message_ids: Vec<String> = events
            .iter()
            .filter(|e| l.delivery_of(e).is_none())
            .filter_map(|e| e.message_id.as_deref().map(bracketed))
            .collect();
        if !message_ids.is_empty() {
            l.by_message = store.deliveries_by_message_id(&message_ids).await?;
        }
        let emails: Vec<String> = events
            .iter()
            .filter(|e| l.delivery(e).is_none())
            .filter_map(|e| e.recipient.as_deref())
            .flat_map(|r| [r.trim().to_string(), normalised(r)])
            .collect();
        if !emails.is_empty() {
            l.by_email = store.customers_by_email(&emails).await?;
        }
        // Last resort, for events that carry neither our ids nor an address we know (a
        // Postmark bounce of type Unsubscribe has no Email): an earlier event of the same
        // provider message.
        let provider_ids: Vec<String> = events
            .iter()
            .filter(|e| l.delivery(e).is_none() && l.by_address(e).is_none())
            .filter_map(|e| e.provider_message_id.clone())
            .collect();
        if !provider_ids.is_empty() {
            l.by_provider_message = store
                .owners_by_provider_message(provider, &provider_ids)
                .await?;
        }
        let earlier: Vec<Uuid> = l
            .by_provider_message
            .values()
            .filter_map(|(_, d)| *d)
            .collect();
        if !earlier.is_empty() {
            l.earlier = store.tracked_deliveries(&earlier).await?;
        }
        // Correlated to a customer but not to one of our emails: their address.
        let mut wanted: Vec<String> = Vec::new();
        for e in events
            .iter()
            .filter(|e| e.suppresses() && e.recipient.is_none())
        {
            if let Some(o) = l.owner(e)
                && o.delivery.is_none()
                && !wanted.contains(&o.customer_id)
            {
                wanted.push(o.customer_id);
            }
        }
        for id in wanted {
            if let Some(c) = store.customer(&id).await? {
                l.customer_emails.insert(id, c.email);
            }
        }
        Ok(l)
    }

    fn delivery_of(&self, e: &InboundEvent) -> Option<&TrackedDelivery> {
        delivery_id(e).and_then(|id| self.by_id.get(&id))
    }

    fn delivery(&self, e: &InboundEvent) -> Option<&TrackedDelivery> {
        self.delivery_of(e).or_else(|| {
            e.message_id
                .as_deref()
                .and_then(|m| self.by_message.get(&bracketed(m)))
        })
    }

    fn by_address(&self, e: &InboundEvent) -> Option<&String> {
        e.recipient.as_deref().and_then(|r| {
            self.by_email
                .get(r.trim())
                .or_else(|| self.by_email.get(&normalised(r)))
        })
    }

    /// The event's owner by the first rule that finds one.
    pub fn owner(&self, e: &InboundEvent) -> Option<Owner<'_>> {
        if let Some(d) = self.delivery(e) {
            return Some(Owner {
                customer_id: d.customer_id.clone(),
                delivery: Some(d),
            });
        }
        if let Some(c) = self.by_address(e) {
            return Some(Owner {
                customer_id: c.clone(),
                delivery: None,
            });
        }
        let (customer, d) = self
            .by_provider_message
            .get(e.provider_message_id.as_deref()?)?;
        Some(Owner {
            customer_id: customer.clone(),
            delivery: d.and_then(|d| self.earlier.get(&d)),
        })
    }
}

fn delivery_id(e: &InboundEvent) -> Option<Uuid> {
    e.delivery_id.as_deref()?.trim().parse().ok()
}

/// The Message-ID as we store it: `<…>`.
pub fn bracketed(m: &str) -> String {
    let m = m.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{m}>")
}

/// The address as our customers table holds it (domain lower-cased), or as given.
pub fn normalised(r: &str) -> String {
    EmailAddress::parse(r)
        .map(|e| e.as_str().to_string())
        .unwrap_or_else(|_| r.trim().to_string())
}
