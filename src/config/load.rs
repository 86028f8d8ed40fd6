use super::Config;
use serde::Deserialize;
use std::path::Path;

/// A configuration problem, written for the person who edits the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// `path:line:col: message`
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        path: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("environment override {var}: {message}")]
    Env { var: String, message: String },
}

/// Loads the file at `path` and applies `RAPPORT__*` overrides from the process environment.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    load_str(&path.display().to_string(), &text, &env_overrides())
}

/// The `RAPPORT__SECTION__KEY=value` pairs of the environment (`RAPPORT_CONFIG` is not one).
pub fn env_overrides() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("RAPPORT__"))
        .collect()
}

/// Parses `text` (named `path` in errors), then applies `overrides`.
///
/// The file is deserialized on its own first so that its errors carry line and column; only
/// then are overrides merged, so any error after that point is the environment's.
pub fn load_str(
    path: &str,
    text: &str,
    overrides: &[(String, String)],
) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| located(path, text, &e))?;
    if overrides.is_empty() {
        return Ok(config);
    }
    let mut table: toml::Table = toml::from_str(text).map_err(|e| located(path, text, &e))?;
    for (var, value) in overrides {
        apply_override(&mut table, var, value)?;
    }
    let vars: Vec<&str> = overrides.iter().map(|(k, _)| k.as_str()).collect();
    Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Env {
        var: vars.join(", "),
        message: e.message().to_string(),
    })
}

fn located(path: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    let offset = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    ConfigError::Invalid {
        path: path.to_string(),
        line,
        col,
        message: e.message().trim().to_string(),
    }
}

/// `RAPPORT__SMTP__POOL_SIZE=4` sets `smtp.pool_size = 4`. A value that parses as TOML
/// (`5`, `true`, `["a", "b"]`) is taken as such, anything else as a string.
fn apply_override(table: &mut toml::Table, var: &str, raw: &str) -> Result<(), ConfigError> {
    let path: Vec<String> = var["RAPPORT__".len()..]
        .split("__")
        .map(|s| s.to_ascii_lowercase())
        .collect();
    if path.iter().any(String::is_empty) {
        return Err(ConfigError::Env {
            var: var.to_string(),
            message: "expected RAPPORT__SECTION__KEY".into(),
        });
    }
    let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let (last, parents) = path.split_last().expect("non-empty");
    let mut cur = table;
    for seg in parents {
        let entry = cur
            .entry(seg.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry.as_table_mut().ok_or_else(|| ConfigError::Env {
            var: var.to_string(),
            message: format!("`{seg}` is not a section"),
        })?;
    }
    cur.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn over(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let text = "[smtp]\npool_size = 4\nrate_per_secnd = 10\n";
        let e = load_str("rapport.toml", text, &[]).unwrap_err().to_string();
        assert!(e.starts_with("rapport.toml:3:1:"), "{e}");
        assert!(e.contains("rate_per_secnd"), "{e}");
    }

    #[test]
    fn wrong_type_is_an_error_with_its_line_and_column() {
        let text = "[database]\nurl = \"sqlite://x.db\"\n\n[smtp]\npool_size = \"many\"\n";
        let e = load_str("c.toml", text, &[]).unwrap_err().to_string();
        assert!(e.starts_with("c.toml:5:13:"), "{e}");
    }

    #[test]
    fn bad_duration_names_the_line() {
        let e = load_str("c.toml", "[planner]\nmin_gap = \"3x\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:2:") && e.contains("3x"), "{e}");
    }

    #[test]
    fn rank_by_takes_margin_or_predicted_value_and_names_the_line_of_anything_else() {
        let c = load_str("c.toml", "[strategy]\nrank_by = \"predicted_value\"\n", &[]).unwrap();
        assert_eq!(c.strategy.rank_by, crate::config::RankBy::PredictedValue);
        let c = load_str("c.toml", "", &[]).unwrap();
        assert_eq!(c.strategy.rank_by, crate::config::RankBy::Margin);
        let e = load_str("c.toml", "[strategy]\nrank_by = \"value\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:2:11:"), "{e}");
        assert!(e.contains("margin") && e.contains("predicted_value"), "{e}");
    }

    #[test]
    fn environment_override_wins_over_the_file() {
        let text = "[smtp]\npool_size = 4\nurl = \"file://outbox\"\n";
        let c = load_str(
            "c.toml",
            text,
            &over(&[
                ("RAPPORT__SMTP__POOL_SIZE", "16"),
                ("RAPPORT__DATABASE__URL", "postgres://u:pw@127.0.0.1/test"),
                ("RAPPORT__SECURITY__API_KEYS", "[\"k1\", \"k2\"]"),
            ]),
        )
        .unwrap();
        assert_eq!(c.smtp.pool_size, 16);
        assert_eq!(c.database.url.expose(), "postgres://u:pw@127.0.0.1/test");
        assert_eq!(c.security.api_keys.len(), 2);
        assert_eq!(c.security.api_keys[1].expose_secret(), "k2");
    }

    #[test]
    fn bad_environment_override_names_the_variable() {
        let e = load_str("c.toml", "", &over(&[("RAPPORT__SMTP__POOL_SIZE", "lots")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("RAPPORT__SMTP__POOL_SIZE"), "{e}");
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let c = load_str(
            "c.toml",
            "[security]\nsecret = \"s3cr3t-token-key\"\napi_keys = [\"key-abc-123\"]\n\
             [database]\nurl = \"postgres://u:dbpass@h/db\"\n\
             [webhooks.mailgun]\nsigning_key = \"mg-signing\"\n",
            &[],
        )
        .unwrap();
        let dbg = format!("{c:?}");
        for secret in ["s3cr3t-token-key", "key-abc-123", "dbpass", "mg-signing"] {
            assert!(!dbg.contains(secret), "{secret} leaked in Debug");
        }
    }

    #[test]
    fn the_shipped_example_config_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let c = load_str(path, &text, &[]).unwrap();
        assert_eq!(c.database.url.expose(), "sqlite://data/rapport.db");
        assert_eq!(c.smtp.url.expose(), "file://outbox");
        assert_eq!(c.http.bind, "127.0.0.1:8080");
    }
}
