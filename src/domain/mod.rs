//! Parsed value types. Input is converted into these at the edge (import, API, config);
//! past that point the rest of the engine never re-checks an address, a level or a timezone.

pub mod condition_context;
pub mod consent;
mod customer_id;
mod email;
pub mod engagement;
mod event_kind;
mod facts;
mod level;
mod locale;
mod measure;
mod money;
mod movement;
mod notification;
mod order_history;
mod record;
pub mod report;
pub mod suppression;
mod timezone;
mod webhook_token;

pub use condition_context::{ConditionContext, ConditionExtras, OrderItem};
pub use consent::{ConsentAction, ConsentEntry, Topic};
pub use customer_id::CustomerId;
pub use email::EmailAddress;
pub use event_kind::EventKind;
pub use facts::CustomerFacts;
pub use level::Level;
pub use locale::Locale;
pub use measure::{Proportion, Sample};
pub use money::{Currency, Money};
pub use movement::{LevelMovement, Transition};
pub use notification::{
    ClaimedNotification, NewNotification, NotificationCounts, NotificationResult,
};
pub use order_history::{OrderHistory, OrderSummary};
pub use record::{CustomerRecord, EventRecord, OrderRecord};
pub use suppression::Suppression;
pub use timezone::Timezone;
pub use webhook_token::SingleUseToken;

/// Why a value could not be parsed; the message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        ParseError(msg.into())
    }
}
