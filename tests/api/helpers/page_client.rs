//! A person's browser without a browser engine: a cookie-keeping HTTP client that reads pages,
//! posts forms with their CSRF token and signs in with the second factor. (The real Chromium
//! tests are in `crate::browser`.)

use std::sync::Arc;

use reqwest::cookie::CookieStore;

use super::{Person, TestApp};

impl TestApp {
    pub fn browser(&self) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Browser {
            client,
            base: self.address.clone(),
            jar,
        }
    }

    /// A browser whose requests come from `addr` as a trusted proxy says (`X-Forwarded-For`; the
    /// app must trust 127.0.0.1 as a proxy for this to count).
    pub fn browser_from(&self, addr: &str) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", addr.parse().unwrap());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .default_headers(headers)
            .build()
            .unwrap();
        Browser {
            client,
            base: self.address.clone(),
            jar,
        }
    }

    /// A browser signed in as `person` (enrolling the second factor on first use).
    pub async fn signed_in(&self, person: &mut Person) -> Browser {
        let b = self.browser();
        b.sign_in(person).await;
        b
    }
}

/// A person's browser: keeps cookies, does not follow redirects.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    jar: Arc<reqwest::cookie::Jar>,
}

/// A page as the browser received it.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The CSRF token in the page's first form.
    pub fn csrf(&self) -> String {
        between(&self.body, "name=\"csrf_token\" value=\"", "\"").expect("page has a CSRF field")
    }
}

/// The text between the first `start` in `haystack` and the `end` after it.
pub fn between(haystack: &str, start: &str, end: &str) -> Option<String> {
    let from = haystack.find(start)? + start.len();
    let to = haystack[from..].find(end)? + from;
    Some(haystack[from..to].to_owned())
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn page_of(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = res.text().await.unwrap();
        Page {
            status,
            location,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page_of(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::page_of(
            self.client
                .post(self.url(path))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts a form with the CSRF token taken from `from` (a page with a form).
    pub async fn submit(&self, from: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(from).await.csrf();
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        form.extend_from_slice(fields);
        self.post(path, &form).await
    }

    /// The same browser (its cookies) talking to another instance at `base`.
    pub fn at(&self, base: &str) -> Browser {
        Browser {
            client: self.client.clone(),
            base: base.to_owned(),
            jar: self.jar.clone(),
        }
    }

    /// The session cookie as the browser would send it.
    pub fn cookie(&self) -> Option<String> {
        let url = url::Url::parse(&self.base).unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// Password, then the second factor; enrols on first use. Panics if sign-in fails.
    pub async fn sign_in(&self, person: &mut Person) {
        let res = self
            .submit(
                "/sign-in",
                "/sign-in",
                &[("email", &person.email), ("password", &person.password)],
            )
            .await;
        assert_eq!(res.status, 303, "password step: {}", res.body);
        match res.location.as_deref() {
            Some("/sign-in/enrol") => {
                let page = self.get("/sign-in/enrol").await;
                assert_eq!(page.status, 200);
                let secret = between(&page.body, "<span class=\"secret\">", "</span>")
                    .expect("secret shown");
                person.totp_secret = Some(secret);
                let code = person.next_code().await;
                let done = self
                    .submit("/sign-in/enrol", "/sign-in/enrol", &[("code", &code)])
                    .await;
                assert_eq!(done.status, 200, "enrolment: {}", done.body);
                assert!(done.body.contains("Save your recovery codes"));
            }
            Some("/sign-in/code") => {
                let code = person.next_code().await;
                let done = self
                    .submit("/sign-in/code", "/sign-in/code", &[("code", &code)])
                    .await;
                assert_eq!(done.status, 303, "code step: {}", done.body);
            }
            other => panic!("unexpected redirect {other:?}"),
        }
    }

    pub async fn sign_out(&self) -> Page {
        self.submit("/account", "/sign-out", &[]).await
    }
}
