//! Form building blocks shared by every page: labelled fields with their errors, the error
//! summary, the CSRF field. Accessible by construction (labels, aria-describedby, aria-invalid).

use crate::i18n::{self, tr, tr_text};
use maud::{Markup, html};

use super::csrf;
use crate::domain::FieldError;

/// The hidden field carrying the session's CSRF token; every state-changing form has one.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(csrf::FIELD) value=(token); }
}

/// Which item of a list a field belongs to, for a message that names the field but not the item
/// ("Measure 2: Choose a kind of measure"); `None` outside lists.
pub fn list_item(field: &str) -> Option<String> {
    let (_, rest) = field.split_once('[')?;
    let (index, _) = rest.split_once("].")?;
    let n: usize = index.parse().ok()?;
    Some(i18n::tr_text(&format!("Measure {}:", n + 1)))
}

/// The box at the top of a page listing every error, each linking to its field. It takes the
/// focus when the page opens (as GOV.UK's error summary does), and `layout::page` starts the
/// title of a page that has one with "Error: ". A message written as a sentence is shown as it
/// is; a rule fragment (from an older message) follows its field's label.
pub fn error_summary(errors: &[FieldError], label: impl Fn(&str) -> String) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus {
                h2 id="error-summary-title" { (tr("There is a problem")) }
                ul {
                    @for e in errors {
                        li { a href={ "#" (e.field) } {
                            @if e.message.starts_with(char::is_uppercase) {
                                @if let Some(item) = list_item(&e.field) { (item) " " }
                            } @else {
                                (tr_text(&label(&e.field))) " "
                            }
                            (tr_text(&e.message))
                        } }
                    }
                }
            }
        }
    }
}

/// Whether a rendered page shows an error summary (its title then starts with "Error: ").
pub fn has_error_summary(body: &str) -> bool {
    body.contains("class=\"error-summary\"")
}

/// A field's describing ids and its error, for the markup around its control.
fn describe<'a>(
    errors: &'a [FieldError],
    field: &str,
    hint: Option<&str>,
) -> (Option<&'a FieldError>, Option<String>) {
    let error = errors.iter().find(|e| e.field == field);
    let mut ids = Vec::new();
    if hint.is_some() {
        ids.push(format!("{field}-hint"));
    }
    if error.is_some() {
        ids.push(format!("{field}-error"));
    }
    (error, (!ids.is_empty()).then(|| ids.join(" ")))
}

/// One input of any type with its label, hint and error.
pub struct Input<'a> {
    pub field: &'static str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub autocomplete: &'a str,
    pub hint: Option<&'a str>,
    pub required: bool,
}

impl<'a> Input<'a> {
    pub fn new(field: &'static str, label: &'a str) -> Self {
        Input {
            field,
            label,
            kind: "text",
            value: "",
            autocomplete: "off",
            hint: None,
            required: true,
        }
    }
    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub fn value(mut self, value: &'a str) -> Self {
        self.value = value;
        self
    }
    pub fn autocomplete(mut self, autocomplete: &'a str) -> Self {
        self.autocomplete = autocomplete;
        self
    }
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn render(&self, errors: &[FieldError]) -> Markup {
        let (error, described) = describe(errors, self.field, self.hint);
        html! {
            div class={ "field" @if error.is_some() { " has-error" } } {
                label for=(self.field) { (self.label) @if !self.required { (tr(" (optional)")) } }
                @if let Some(h) = self.hint { span class="hint" id={ (self.field) "-hint" } { (h) } }
                @if let Some(e) = error {
                    span class="field-error" id={ (self.field) "-error" } { (tr("Error: ")) (tr_text(&e.message)) }
                }
                input type=(self.kind) id=(self.field) name=(self.field) value=(self.value)
                    autocomplete=(self.autocomplete)
                    aria-describedby=[described.as_deref()]
                    aria-invalid=[error.map(|_| "true")];
            }
        }
    }
}

/// A drop-down list with its label and error.
pub fn select(
    errors: &[FieldError],
    field: &'static str,
    label: &str,
    options: &[(String, String)],
    selected: &str,
    hint: Option<&str>,
) -> Markup {
    let (error, described) = describe(errors, field, hint);
    html! {
        div class={ "field" @if error.is_some() { " has-error" } } {
            label for=(field) { (label) }
            @if let Some(h) = hint { span class="hint" id={ (field) "-hint" } { (h) } }
            @if let Some(e) = error {
                span class="field-error" id={ (field) "-error" } { (tr("Error: ")) (tr_text(&e.message)) }
            }
            select id=(field) name=(field) aria-describedby=[described.as_deref()] aria-invalid=[error.map(|_| "true")] {
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
        }
    }
}
