//! SQLite: single-use webhook tokens, recorded in the import transaction of their events.

use crate::domain::SingleUseToken;
use crate::store::time::to_ms;
use crate::store::{Result, TokenUse};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Records `token` on the caller's transaction and forgets expired tokens.
pub(super) async fn use_token(
    conn: &mut SqliteConnection,
    provider: &str,
    token: &SingleUseToken,
    now: DateTime<Utc>,
) -> Result<TokenUse> {
    sqlx::query("DELETE FROM webhook_tokens WHERE forget_at < ?")
        .bind(to_ms(now))
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "INSERT INTO webhook_tokens (provider, token, payload_sha256, forget_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (provider, token) DO NOTHING",
    )
    .bind(provider)
    .bind(&token.token)
    .bind(&token.payload_sha256[..])
    .bind(to_ms(token.forget_at))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() > 0 {
        return Ok(TokenUse::New);
    }
    let seen: Vec<u8> = sqlx::query_scalar(
        "SELECT payload_sha256 FROM webhook_tokens WHERE provider = ? AND token = ?",
    )
    .bind(provider)
    .bind(&token.token)
    .fetch_one(&mut *conn)
    .await?;
    Ok(TokenUse::of_seen(&seen, token))
}
