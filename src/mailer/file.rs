//! File transport: one `{delivery_id}.eml` per email in a folder (`smtp.url = file://DIR`).
//!
//! The embedded default, for the demo and for previewing a whole cycle: open the files
//! in any mail client. Each file appears complete or not at all (written under a
//! temporary name, flushed, then renamed), so a reader never sees half an email and a
//! crash never leaves one. Sending the same delivery again replaces its file, which
//! makes a retried delivery idempotent.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use tracing::debug;

use super::{OutgoingEmail, SendOutcome};

#[derive(Debug, Clone)]
pub struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileTransport { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn sender(&self) -> FileSender {
        FileSender {
            dir: self.dir.clone(),
        }
    }

    /// Where the email of this delivery is (or will be) written.
    pub fn path_for(&self, delivery_id: &str) -> PathBuf {
        self.dir.join(format!("{delivery_id}.eml"))
    }
}

#[derive(Debug, Clone)]
pub struct FileSender {
    dir: PathBuf,
}

impl FileSender {
    pub async fn send(&mut self, email: &OutgoingEmail) -> SendOutcome {
        if !is_safe_file_stem(&email.delivery_id) {
            // The id names the file: never let it climb out of the folder.
            return SendOutcome::failed(format!(
                "delivery id `{}` cannot be used as a file name",
                email.delivery_id
            ));
        }
        let dir = self.dir.clone();
        let delivery_id = email.delivery_id.clone();
        let raw = email.raw.clone();
        let written =
            tokio::task::spawn_blocking(move || write_atomically(&dir, &delivery_id, &raw)).await;
        match written {
            Ok(Ok(path)) => {
                debug!(delivery_id = %email.delivery_id, path = %path.display(), "Written.");
                SendOutcome::Sent
            }
            // A full disk or a permission problem may be fixed by the operator: retry.
            Ok(Err(e)) => SendOutcome::retry(format!("write into {}: {e}", self.dir.display())),
            Err(e) => SendOutcome::retry(format!("file writer task failed: {e}")),
        }
    }

    pub async fn close(&mut self) {}
}

fn is_safe_file_stem(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn write_atomically(dir: &Path, delivery_id: &str, raw: &[u8]) -> std::io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let target = dir.join(format!("{delivery_id}.eml"));
    // Same folder, so the rename stays on one file system and is atomic; the leading dot
    // and the suffix keep readers that glob `*.eml` away from it.
    let temp = dir.join(format!(
        ".{delivery_id}.{}.tmp",
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(raw)?;
        // The outbox records "sent" after this returns; the bytes must survive a crash.
        file.sync_all()?;
        fs::rename(&temp, &target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map(|()| target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(id: &str, body: &str) -> OutgoingEmail {
        OutgoingEmail {
            delivery_id: id.to_owned(),
            message_id: format!("<{id}@example.com>"),
            from: "news@example.com".to_owned(),
            to: "ana@example.org".to_owned(),
            raw: format!("Subject: hi\r\n\r\n{body}\r\n").into_bytes(),
        }
    }

    #[tokio::test]
    async fn writes_one_eml_per_delivery_and_creates_the_folder() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let transport = FileTransport::new(tmp.path().join("outbox/nested"));
        let mut sender = transport.sender();
        assert_eq!(sender.send(&email("d-1", "one")).await, SendOutcome::Sent);
        let written = fs::read(transport.path_for("d-1")).expect("file");
        assert_eq!(written, b"Subject: hi\r\n\r\none\r\n");
    }

    #[tokio::test]
    async fn sending_the_same_delivery_again_replaces_the_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let transport = FileTransport::new(tmp.path());
        let mut sender = transport.sender();
        sender.send(&email("d-1", "first")).await;
        sender.send(&email("d-1", "second")).await;
        let names: Vec<_> = fs::read_dir(tmp.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("d-1.eml")],
            "no temp files left"
        );
        assert!(
            fs::read_to_string(transport.path_for("d-1"))
                .expect("file")
                .contains("second")
        );
    }

    #[tokio::test]
    async fn delivery_ids_that_could_escape_the_folder_are_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut sender = FileTransport::new(tmp.path().join("out")).sender();
        for id in ["../evil", "a/b", "", ".hidden", "x\0y"] {
            let outcome = sender.send(&email(id, "x")).await;
            assert!(
                matches!(outcome, SendOutcome::Failed { .. }),
                "{id:?}: {outcome:?}"
            );
        }
        assert!(!tmp.path().join("evil.eml").exists());
    }

    #[tokio::test]
    async fn unwritable_folder_is_a_retry_not_a_failure() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let blocker = tmp.path().join("not-a-dir");
        fs::write(&blocker, b"file").expect("write");
        let mut sender = FileTransport::new(blocker.join("outbox")).sender();
        assert!(sender.send(&email("d-1", "x")).await.is_retry());
    }
}
