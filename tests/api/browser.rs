//! Real-browser tests: Debian's Chromium, headless with a fresh profile, driven through WebDriver
//! (chromedriver, with fantoccini). What they need is installed here when missing: Chromium,
//! its driver and poppler's `pdftotext` from Debian's packages (apt-get, as root), axe-core from
//! the npm registry. No tool downloads a browser of its own. A missing browser is a failure,
//! never a skip.
//!
//! Steps return `anyhow::Result` rather than panicking, so that a failed journey can still take
//! its screenshot and page source (under `target/e2e-artifacts/`) before the test fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, anyhow, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::{Person, TestApp, crate_dir, free_port};
use protection_portal::i18n::{Lang, tr_in};

/// The version of axe-core the accessibility checks run.
const AXE_CORE: &str = "axe-core@4.14.1";
/// The second, independent checker: HTML_CodeSniffer, the engine pa11y runs by default.
const HTML_CODESNIFFER: &str = "html_codesniffer@2.5.1";
/// Texts HTML_CodeSniffer 2.5.1 uses for errors but does not ship in English.
const HTMLCS_MISSING_TEXTS: &str = "(function (en) { \
    ['Date', 'Month', 'Multiline', 'Numeric', 'Password', 'Telephone', 'Text', 'Url'].forEach(function (group) { \
      en['1_3_5_H98.InvalidAutoComplete_' + group] = \
        'The autocomplete value \"{{x}}\" does not fit a control of this kind (' + group + ').'; \
    }); \
    en['4_1_2_attribute'] = 'attribute'; \
  })(window.translation.en);";
/// The phone the layout is checked at (CSS pixels).
pub const PHONE_WIDTH: u32 = 390;

pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// axe-core's browser build, injected into pages.
    pub axe: String,
    /// HTML_CodeSniffer's browser build, injected into pages.
    pub htmlcs: String,
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let status = Command::new(program)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("{program} could not be started: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed: {status}", args.join(" ")))
    }
}

fn install() -> Result<Tools, String> {
    let chromium = PathBuf::from("/usr/bin/chromium");
    let chromedriver = PathBuf::from("/usr/bin/chromedriver");
    let pdftotext = Path::new("/usr/bin/pdftotext");
    if !chromium.exists() || !chromedriver.exists() || !pdftotext.exists() {
        // Debian's packages only: the browser and its driver come from the same build.
        run("apt-get", &["update", "-q"])?;
        run(
            "apt-get",
            &[
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
                "poppler-utils",
            ],
        )?;
    }
    let node = crate_dir().join("target/e2e-node");
    let axe_path = node.join("node_modules/axe-core/axe.min.js");
    let htmlcs_path = node.join("node_modules/html_codesniffer/build/HTMLCS.js");
    if !axe_path.exists() || !htmlcs_path.exists() {
        std::fs::create_dir_all(&node).map_err(|e| e.to_string())?;
        run(
            "npm",
            &[
                "install",
                "--prefix",
                node.to_str().unwrap(),
                "--no-audit",
                "--no-fund",
                "--silent",
                AXE_CORE,
                HTML_CODESNIFFER,
            ],
        )?;
    }
    let axe = std::fs::read_to_string(&axe_path).map_err(|e| format!("{axe_path:?}: {e}"))?;
    let htmlcs =
        std::fs::read_to_string(&htmlcs_path).map_err(|e| format!("{htmlcs_path:?}: {e}"))?;
    Ok(Tools {
        chromium,
        chromedriver,
        axe,
        htmlcs,
    })
}

/// The browser, its driver and axe-core, installed once per test run.
pub fn tools() -> &'static Tools {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    match TOOLS.get_or_init(install) {
        Ok(t) => t,
        Err(e) => panic!(
            "the browser tests need Chromium, chromedriver, pdftotext, axe-core and \
             HTML_CodeSniffer, and they could not be installed: {e}"
        ),
    }
}

/// One headless Chromium with a fresh profile, driven by its own chromedriver.
pub struct Chrome {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    base: String,
    /// Names the artifacts this browser leaves (screenshots).
    pub name: String,
    /// The language the browser asks for (and so the sign-in pages are in).
    pub lang: Lang,
}

/// The processes descended from `root` (read from /proc), children before their parents' end.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after ')'.
            if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat"))
                && let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r)
                && let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok())
            {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, _) in parent_of.iter().filter(|(_, ppid)| *ppid == parent) {
            found.push(*pid);
            frontier.push(*pid);
        }
    }
    found
}

impl Drop for Chrome {
    /// Ends the driver and every browser process it started, also when a test failed before
    /// closing its session (killing the driver alone leaves Chromium running). Each process is
    /// named by its own id: never a process group, never a negative id.
    fn drop(&mut self) {
        for pid in descendants(self.driver.id()) {
            if pid > 1 {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub fn artifacts_dir() -> PathBuf {
    let dir = crate_dir().join("target/e2e-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Chrome {
    pub async fn start(app: &TestApp, name: &str) -> Chrome {
        Self::start_with(app, name, "en-GB").await
    }

    /// A browser whose preferred language is `lang` (sent as `Accept-Language`).
    pub async fn start_with(app: &TestApp, name: &str, lang: &str) -> Chrome {
        let tools = tools();
        let port = free_port();
        let driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,1000",
                    format!("--lang={lang}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": lang },
            }
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        // The driver takes a moment to listen, and a browser a moment to start on 2 cores.
        for _ in 0..60 {
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    let _ = client
                        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                            Some(Duration::from_secs(30)),
                            Some(Duration::from_secs(30)),
                            Some(Duration::from_secs(2)),
                        ))
                        .await;
                    return Chrome {
                        client,
                        driver,
                        _profile: profile,
                        base: app.address.clone(),
                        name: name.to_owned(),
                        lang: Lang::from_accept_language(lang),
                    };
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("no WebDriver session: {last:?}");
    }

    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .with_context(|| format!("open {path}"))
    }

    /// The path (and query) of the page shown.
    pub async fn path(&self) -> anyhow::Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// The text a person reads on the page.
    pub async fn text(&self) -> anyhow::Result<String> {
        Ok(self.client.find(Locator::Css("body")).await?.text().await?)
    }

    pub async fn title(&self) -> anyhow::Result<String> {
        Ok(self.client.title().await?)
    }

    /// Types into the field named `name` (replacing what was there).
    pub async fn fill(&self, name: &str, value: &str) -> anyhow::Result<()> {
        let field = self
            .client
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .with_context(|| format!("field {name}"))?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// The keys a person types for `iso` in a date field: its digits in the order the
    /// browser's locale shows day, month and year (en-GB: day, month, year).
    pub async fn date_keys(&self, iso: &str) -> anyhow::Result<String> {
        let (y, rest) = iso.split_once('-').context("an ISO date")?;
        let (m, d) = rest.split_once('-').context("an ISO date")?;
        let order = self
            .client
            .execute(
                "return new Intl.DateTimeFormat().formatToParts(new Date(2000, 10, 22))\
                 .filter(p => p.type !== 'literal').map(p => p.type[0]).join('');",
                vec![],
            )
            .await?;
        let order = order.as_str().unwrap_or("dmy");
        Ok(order
            .chars()
            .map(|part| match part {
                'd' => d,
                'm' => m,
                _ => y,
            })
            .collect())
    }

    /// Types a date into a date field the way a person does.
    pub async fn fill_date(&self, name: &str, iso: &str) -> anyhow::Result<()> {
        let field = self
            .client
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .with_context(|| format!("date field {name}"))?;
        field.send_keys(&self.date_keys(iso).await?).await?;
        let value = field.prop("value").await?.unwrap_or_default();
        ensure!(value == iso, "date field {name} shows {value:?}, not {iso}");
        Ok(())
    }

    pub async fn choose(&self, name: &str, value: &str) -> anyhow::Result<()> {
        self.client
            .find(Locator::Css(&format!("select[name=\"{name}\"]")))
            .await
            .with_context(|| format!("select {name}"))?
            .select_by_value(value)
            .await?;
        Ok(())
    }

    /// Presses the button labelled `label` (the first one, in page order).
    pub async fn press(&self, label: &str) -> anyhow::Result<()> {
        let xpath = format!(
            "//button[normalize-space()=\"{label}\"] | //a[contains(@class, 'button') and normalize-space()=\"{label}\"]"
        );
        let where_ = self.path_or_unknown().await;
        let button = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("button {label:?} on {where_}"))?;
        self.activate(button).await
    }

    /// Follows the link reading `text`.
    pub async fn press_link(&self, text: &str) -> anyhow::Result<()> {
        let xpath = format!("//a[normalize-space()=\"{text}\"]");
        let link = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("link {text:?}"))?;
        self.activate(link).await
    }

    /// Clicks `element` and waits for the page it leads to (every button and link here loads a
    /// new page: the portal needs no JavaScript).
    pub async fn activate(&self, element: fantoccini::elements::Element) -> anyhow::Result<()> {
        let old = self.client.find(Locator::Css("html")).await?;
        element.click().await?;
        self.wait_for_new_page(old).await
    }

    /// Waits until the document `old` belonged to has been replaced and the new one has loaded.
    pub async fn wait_for_new_page(
        &self,
        old: fantoccini::elements::Element,
    ) -> anyhow::Result<()> {
        for _ in 0..200 {
            if old.tag_name().await.is_err() {
                let ready = self
                    .client
                    .execute("return document.readyState;", vec![])
                    .await?;
                if ready == json!("complete") {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("no new page was loaded")
    }

    async fn path_or_unknown(&self) -> String {
        self.path().await.unwrap_or_else(|_| "?".into())
    }

    /// Signs in with password and second factor, enrolling it on first use.
    pub async fn sign_in(&self, person: &mut Person) -> anyhow::Result<()> {
        self.goto("/sign-in").await?;
        self.fill("email", &person.email).await?;
        self.fill("password", &person.password).await?;
        self.press(tr_in(self.lang, "Continue")).await?;
        match self.path().await?.as_str() {
            "/sign-in/enrol" => {
                let secret = self
                    .client
                    .find(Locator::Css("span.secret"))
                    .await?
                    .text()
                    .await?;
                person.totp_secret = Some(secret);
                let code = person.next_code().await;
                self.fill("code", &code).await?;
                self.press(tr_in(self.lang, "Confirm")).await?;
                ensure!(
                    self.text()
                        .await?
                        .contains(tr_in(self.lang, "Save your recovery codes")),
                    "recovery codes shown after enrolment"
                );
                self.press(tr_in(self.lang, "I have saved them — continue"))
                    .await?;
            }
            "/sign-in/code" => {
                let code = person.next_code().await;
                self.fill("code", &code).await?;
                self.press(tr_in(self.lang, "Sign in")).await?;
            }
            other => bail!("after the password: {other}"),
        }
        let home = self.path().await?;
        ensure!(
            home == "/" || home == "/admin/users",
            "signed in lands on the start page, not {home}"
        );
        Ok(())
    }

    pub async fn sign_out(&self) -> anyhow::Result<()> {
        self.press("Sign out").await?;
        ensure!(self.path().await? == "/sign-in");
        Ok(())
    }

    /// Runs axe-core on the page shown: the WCAG 2.0/2.1 A and AA rules. Returns each violation
    /// as `rule (impact): help — where`.
    pub async fn axe(&self) -> anyhow::Result<Vec<String>> {
        let tools = tools();
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await?;
        if loaded != Value::Bool(true) {
            self.client
                .execute(&format!("{}\n;return true;", tools.axe), vec![])
                .await
                .context("inject axe-core")?;
        }
        let result = self
            .client
            .execute(
                "return axe.run(document, { runOnly: { type: 'tag', values: \
                 ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then(r => r.violations.map(v => \
                 v.id + ' (' + v.impact + '): ' + v.help + ' — ' + \
                 v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')));",
                vec![],
            )
            .await
            .context("run axe-core")?;
        Ok(serde_json::from_value(result)?)
    }

    /// Runs HTML_CodeSniffer on the page shown, at WCAG 2 AA as pa11y does, and returns its
    /// errors (not its warnings and notices, which ask a person to check) as `code — element`.
    pub async fn htmlcs(&self) -> anyhow::Result<Vec<String>> {
        let tools = tools();
        let loaded = self
            .client
            .execute("return typeof window.HTMLCS === 'object';", vec![])
            .await?;
        if loaded != Value::Bool(true) {
            // The build exposes its globals on `this`: run it with the window as `this`. Its
            // English catalogue lacks the texts of a few errors (version 2.5.1): without them
            // the checker stops at the first such error instead of reporting it.
            self.client
                .execute(
                    &format!(
                        "(function () {{\n{}\n}}).call(window);\n{}\nreturn true;",
                        tools.htmlcs, HTMLCS_MISSING_TEXTS
                    ),
                    vec![],
                )
                .await
                .context("inject HTML_CodeSniffer")?;
        }
        let result = self
            .client
            .execute(
                "return new Promise(function (resolve) { try { \
                   HTMLCS.process('WCAG2AA', document, function () { \
                     resolve(HTMLCS.getMessages().filter(function (m) { return m.type === 1; }) \
                       .map(function (m) { \
                         var e = m.element && m.element.outerHTML ? m.element.outerHTML.slice(0, 160) : ''; \
                         return m.code + ': ' + m.msg + ' — ' + e; })); \
                   }, function () { resolve(['HTML_CodeSniffer could not run']); }, 'en'); \
                 } catch (e) { resolve(['HTML_CodeSniffer failed: ' + e.stack]); } });",
                vec![],
            )
            .await
            .context("run HTML_CodeSniffer")?;
        Ok(serde_json::from_value(result)?)
    }

    /// Shows the page at a phone's width and answers how far it scrolls sideways (0: not at
    /// all), then goes back to the desktop width.
    pub async fn sideways_at_phone_width(&self) -> anyhow::Result<i64> {
        let (width, height) = (PHONE_WIDTH, 900);
        self.client.set_window_size(width, height).await?;
        let measured = self
            .client
            .execute(
                "return [window.innerWidth, \
                 document.documentElement.scrollWidth - document.documentElement.clientWidth];",
                vec![],
            )
            .await;
        self.client.set_window_size(1280, 1000).await?;
        let measured = measured?;
        let viewport = measured[0].as_i64().unwrap_or(0);
        ensure!(
            viewport <= i64::from(PHONE_WIDTH),
            "the browser shows the page {viewport} px wide, not a phone's {PHONE_WIDTH} px"
        );
        Ok(measured[1].as_i64().unwrap_or(0))
    }

    pub async fn screenshot(&self, file: &Path) -> anyhow::Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(file, png)?;
        Ok(())
    }

    /// Saves what the browser shows (screenshot and page source) after a failed step.
    pub async fn keep_evidence(&self, step: &str) -> String {
        let dir = artifacts_dir();
        let stem = format!("{}-failed", self.name);
        let png = dir.join(format!("{stem}.png"));
        let _ = self.screenshot(&png).await;
        if let Ok(source) = self.client.source().await {
            let _ = std::fs::write(dir.join(format!("{stem}.html")), source);
        }
        format!(
            "{step} failed at {}; screenshot {}",
            self.path_or_unknown().await,
            png.display()
        )
    }

    /// Prints the page to PDF (as a person's "Print" would) and returns each page's text.
    pub async fn print_pages(&self) -> anyhow::Result<Vec<String>> {
        let pdf = self
            .client
            .print(
                fantoccini::wd::PrintConfiguration::builder()
                    .build()
                    .map_err(|e| anyhow!("{e:?}"))?,
            )
            .await?;
        // Kept as an artifact: what the printer would have received.
        let file = artifacts_dir().join(format!("{}.pdf", self.name));
        std::fs::write(&file, pdf)?;
        let out = Command::new("pdftotext")
            .args(["-layout", file.to_str().unwrap(), "-"])
            .output()?;
        ensure!(out.status.success(), "pdftotext failed");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        // pdftotext ends every page with a form feed.
        Ok(text
            .split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .map(str::to_owned)
            .collect())
    }

    pub async fn close(self) {
        let client = self.client.clone();
        let _ = client.close().await;
    }
}

/// Fails with `what` unless `cond` holds.
pub fn check(cond: bool, what: impl Into<String>) -> anyhow::Result<()> {
    if cond {
        Ok(())
    } else {
        Err(anyhow!(what.into()))
    }
}
