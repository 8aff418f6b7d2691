//! A client of the JSON API (`/api/v1`) that calls as one person, with a bearer token.

use reqwest::Method;
use serde_json::Value;

use super::{Person, TestApp};

/// One person's API client. Answers are `(status, body)`, the body `Null` when it is not JSON.
#[derive(Clone)]
pub struct Api {
    /// Where the portal answers (`http://127.0.0.1:port`).
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
}

impl TestApp {
    /// An API client calling as `person`, with a new token of theirs.
    pub async fn api(&self, person: &Person) -> Api {
        Api {
            base: self.address.clone(),
            token: self.token_for(person).await,
            client: reqwest::Client::new(),
        }
    }

    /// An API client calling with `token` as it is (a token a page showed, or none valid).
    pub fn api_with_token(&self, token: &str) -> Api {
        Api {
            base: self.address.clone(),
            token: token.to_owned(),
            client: reqwest::Client::new(),
        }
    }
}

impl Api {
    /// The same caller (the same token) talking to another instance at `base`.
    pub fn at(&self, base: &str) -> Api {
        Api {
            base: base.to_owned(),
            ..self.clone()
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Takes an action of the life cycle on request `id`, stating the version the caller sees
    /// just now (so `body` needs no `version`).
    pub async fn act(&self, id: &str, body: Value) -> (u16, Value) {
        let (_, r) = self.get(&format!("/api/v1/requests/{id}")).await;
        let mut body = body;
        body["version"] = r["version"].clone();
        self.post(&format!("/api/v1/requests/{id}/transitions"), body)
            .await
    }

    /// Starts a draft (`POST /api/v1/requests`), which must succeed; returns it.
    pub async fn create_request(&self, body: Value) -> Value {
        let (status, draft) = self.post("/api/v1/requests", body).await;
        assert_eq!(status, 201, "a draft is created: {draft}");
        draft
    }
}
