//! The engine's own URLs in an email: unsubscribe, survey scores, partnership accept, the open
//! pixel and the click tracker, all under `http.public_url` and signed per delivery.

use crate::tracking::{Purpose, Signer};
use serde::Serialize;
use uuid::Uuid;

/// Where customers reach the HTTP endpoint and the secret that signs their links.
#[derive(Debug, Clone)]
pub struct Tracking {
    public_url: String,
    signer: Signer,
}

impl Tracking {
    pub fn new(public_url: &str, signer: Signer) -> Tracking {
        Tracking {
            public_url: public_url.trim_end_matches('/').to_string(),
            signer,
        }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The links templates see as `{{links.…}}` for one delivery.
    pub fn links(&self, delivery_id: Uuid) -> Links {
        let base = self.public_url.as_str();
        let survey = join(&[
            base,
            "/s/",
            &self.signer.sign(Purpose::Survey, delivery_id),
            "?score=",
        ]);
        Links {
            unsubscribe: join(&[
                base,
                "/u/",
                &self.signer.sign(Purpose::Unsubscribe, delivery_id),
            ]),
            survey: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
                .iter()
                .map(|score| join(&[&survey, score]))
                .collect(),
            partnership_accept: join(&[
                base,
                "/p/",
                &self.signer.sign(Purpose::Partnership, delivery_id),
            ]),
            confirm: join(&[
                base,
                "/c/",
                &self.signer.sign(Purpose::Confirm, delivery_id),
            ]),
        }
    }

    pub fn open_pixel(&self, delivery_id: Uuid) -> String {
        join(&[
            &self.public_url,
            "/t/o/",
            &self.signer.sign(Purpose::Open, delivery_id),
        ])
    }

    pub fn click(&self, delivery_id: Uuid, link: u16) -> String {
        join(&[
            &self.public_url,
            "/t/c/",
            &self.signer.sign_click(delivery_id, link),
        ])
    }

    /// Whether `url` is one of this engine's click-tracker URLs.
    pub fn is_click_url(&self, url: &str) -> bool {
        url.strip_prefix(&self.public_url)
            .is_some_and(|rest| rest.starts_with("/t/c/"))
    }
}

/// Concatenation without `format!`'s machinery: a dozen links per email.
fn join(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

#[derive(Debug, Clone, Serialize)]
pub struct Links {
    /// `/u/{token}`: the only link that is not rewritten through the click tracker, so that
    /// unsubscribing never depends on tracking.
    pub unsubscribe: String,
    /// Eleven one-click answers, `survey.[0]` … `survey.[10]`.
    pub survey: Vec<String>,
    pub partnership_accept: String,
    /// `/c/{token}`: the confirmation of double opt-in (a page whose button confirms).
    pub confirm: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_signed_for_their_purpose_under_the_public_url() {
        let t = Tracking::new("https://mail.shop.example/", Signer::new(b"k"));
        let id = Uuid::new_v4();
        let l = t.links(id);
        let token = l
            .unsubscribe
            .strip_prefix("https://mail.shop.example/u/")
            .unwrap();
        assert_eq!(
            t.signer()
                .verify(Purpose::Unsubscribe, token)
                .unwrap()
                .delivery_id,
            id
        );
        assert_eq!(l.survey.len(), 11);
        assert!(l.survey[10].ends_with("?score=10"));
        let token = l.partnership_accept.rsplit('/').next().unwrap();
        assert!(t.signer().verify(Purpose::Partnership, token).is_some());
        let token = l
            .confirm
            .strip_prefix("https://mail.shop.example/c/")
            .unwrap();
        assert!(t.signer().verify(Purpose::Confirm, token).is_some());
        assert!(t.signer().verify(Purpose::Unsubscribe, token).is_none());
        assert!(t.is_click_url(&t.click(id, 0)));
    }
}
