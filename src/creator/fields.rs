//! The create form's markup, with the full app's test ids: its controls, and the parts
//! that come and go. What the form does with them is `form.rs`'s.

use ots_core::password::CharSets;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

use crate::dom::{self, El};
use crate::i18n::{Key, text};
use crate::widgets::field;

/// The form's controls, and the parts that come and go.
pub(super) struct Fields {
    pub(super) form: El,
    pub(super) tabs: El,
    pub(super) generate: HtmlInputElement,
    pub(super) share_part: El,
    pub(super) secret: HtmlTextAreaElement,
    pub(super) byte_count: El,
    pub(super) generate_part: El,
    pub(super) length: HtmlInputElement,
    /// Uppercase, lowercase, numbers, symbols, no look-alikes.
    pub(super) sets: [HtmlInputElement; 5],
    pub(super) passphrase: HtmlInputElement,
    pub(super) passphrase_hint: El,
    pub(super) ttl: HtmlSelectElement,
    pub(super) ttl_custom_part: El,
    pub(super) ttl_custom: HtmlInputElement,
    pub(super) ttl_hint: El,
    pub(super) encrypt_part: El,
    pub(super) encrypt: HtmlInputElement,
    pub(super) encrypt_hint: El,
    pub(super) recipient_part: El,
    pub(super) recipient: HtmlInputElement,
    pub(super) share_domain: HtmlInputElement,
    pub(super) advanced: El,
    pub(super) submit: El,
    pub(super) error: El,
}

fn label_text(key: Key) -> El {
    El::new("span").text_with(move || text(key))
}

fn input(id: &str, testid: &str) -> El {
    El::new("input").attr("id", id).attr("data-testid", testid)
}

fn checkbox(testid: &str, label: Key) -> (El, HtmlInputElement) {
    let input = El::new("input")
        .attr("type", "checkbox")
        .attr("data-testid", testid);
    let typed = input.cast();
    let label = El::new("label")
        .attr("class", "check")
        .child(&input)
        .child(label_text(label));
    (label, typed)
}

/// The form's markup, with the full app's test ids.
pub(super) fn fields() -> Fields {
    let share = El::new("input")
        .attr("type", "radio")
        .attr("name", "mode")
        .attr("data-testid", "mode-share")
        .attr("checked", "");
    let generate = El::new("input")
        .attr("type", "radio")
        .attr("name", "mode")
        .attr("data-testid", "mode-generate");
    let tab = |input: &El, label: Key| {
        El::new("label")
            .attr("class", "tab")
            .child(input)
            .child(label_text(label))
    };
    let tabs = El::new("div")
        .attr("class", "tabs")
        .attr("role", "radiogroup")
        .child(tab(&share, Key::ModeShare))
        .child(tab(&generate, Key::ModeGenerate));
    dom::set_attribute_with(&tabs.0, "aria-label", Box::new(|| text(Key::ModeLabel)));

    let secret = El::new("textarea")
        .attr("id", "secret")
        .attr("data-testid", "secret")
        .attr("rows", "7")
        .attr("autocomplete", "off")
        .attr("spellcheck", "false")
        .attr("aria-describedby", "byte-count");
    dom::set_attribute_with(
        &secret.0,
        "placeholder",
        Box::new(|| text(Key::SecretPlaceholder)),
    );
    let byte_count = El::new("p")
        .attr("id", "byte-count")
        .attr("data-testid", "byte-count");
    let share_part = field("secret", Key::SecretLabel, &secret).child(&byte_count);

    let length = El::new("input")
        .attr("type", "number")
        .attr("min", "4")
        .attr("max", "128")
        .attr("value", "20")
        .attr("data-testid", "length");
    let defaults = CharSets::default();
    let sets = [
        (Key::SetUppercase, "set-uppercase", defaults.uppercase),
        (Key::SetLowercase, "set-lowercase", defaults.lowercase),
        (Key::SetNumbers, "set-numbers", defaults.numbers),
        (Key::SetSymbols, "set-symbols", defaults.symbols),
        (
            Key::SetExcludeAmbiguous,
            "set-exclude-ambiguous",
            defaults.exclude_ambiguous,
        ),
    ]
    .map(|(label, testid, on)| {
        let (label, input) = checkbox(testid, label);
        input.set_checked(on);
        (label, input)
    });
    let generate_part = El::new("fieldset")
        .attr("class", "field generate")
        .child(El::new("legend").text_with(|| text(Key::GenerateOptions)))
        .child(
            El::new("label")
                .child(label_text(Key::GenerateLength))
                .child(&length),
        );
    for (label, _) in &sets {
        let _ = generate_part.0.append_child(&label.0);
    }

    let passphrase = input("passphrase", "passphrase")
        .attr("type", "password")
        .attr("autocomplete", "new-password")
        .attr("aria-describedby", "passphrase-hint");
    let toggle = El::new("button")
        .attr("type", "button")
        .attr("data-testid", "toggle-passphrase")
        .attr("aria-pressed", "false")
        .attr("aria-controls", "passphrase")
        .text_with(|| text(Key::Show));
    let shown: HtmlInputElement = passphrase.cast();
    let pressed = toggle.clone();
    let toggle = toggle.on("click", move |_| {
        let showing = shown.type_() == "password";
        shown.set_type(if showing { "text" } else { "password" });
        let _ = pressed
            .0
            .set_attribute("aria-pressed", &showing.to_string());
        let label = if showing { Key::Hide } else { Key::Show };
        dom::set_text_with(&pressed.0, Box::new(move || text(label)));
    });
    let passphrase_hint = El::new("p")
        .attr("id", "passphrase-hint")
        .attr("class", "hint");
    let passphrase_part = El::new("div")
        .attr("class", "with-button")
        .child(&passphrase)
        .child(&toggle);
    let passphrase_field =
        field("passphrase", Key::PassphraseLabel, &passphrase_part).child(&passphrase_hint);

    let ttl = El::new("select")
        .attr("id", "ttl")
        .attr("data-testid", "ttl");
    let ttl_custom = El::new("input")
        .attr("data-testid", "ttl-custom")
        .attr("aria-describedby", "ttl-hint")
        .attr("placeholder", "90m, 2d");
    dom::set_attribute_with(
        &ttl_custom.0,
        "aria-label",
        Box::new(|| text(Key::TtlCustom)),
    );
    let ttl_hint = El::new("p").attr("id", "ttl-hint").attr("class", "hint");
    let ttl_custom_part = El::new("div").child(&ttl_custom).child(&ttl_hint);
    let ttl_field = field("ttl", Key::TtlLabel, &ttl).child(&ttl_custom_part);

    let (encrypt_label, encrypt) = checkbox("encrypt", Key::EncryptLabel);
    let _ = encrypt.set_attribute("aria-describedby", "encrypt-hint");
    encrypt.set_checked(true);
    let encrypt_hint = El::new("p")
        .attr("id", "encrypt-hint")
        .attr("class", "hint");
    let encrypt_part = El::new("div")
        .attr("class", "field")
        .child(&encrypt_label)
        .child(&encrypt_hint);

    let recipient = input("recipient", "recipient")
        .attr("type", "email")
        .attr("autocomplete", "email");
    let recipient_part = field("recipient", Key::RecipientLabel, &recipient);
    let share_domain =
        input("share-domain", "share-domain").attr("placeholder", "secrets.example.com");
    let advanced = El::new("details")
        .attr("class", "advanced")
        .child(
            El::new("summary")
                .attr("data-testid", "advanced")
                .text_with(|| text(Key::Advanced)),
        )
        .child(field("share-domain", Key::ShareDomainLabel, &share_domain));

    let submit = El::new("button")
        .attr("type", "submit")
        .attr("class", "primary")
        .attr("data-testid", "create");
    let error = El::new("p")
        .attr("class", "error")
        .attr("role", "alert")
        .attr("data-testid", "error");
    let form = El::new("form")
        .attr("class", "card create")
        .attr("novalidate", "")
        .attr("aria-labelledby", "create-title")
        .child(&tabs)
        .child(&share_part)
        .child(&generate_part)
        .child(&passphrase_field)
        .child(&ttl_field)
        .child(&encrypt_part)
        .child(&recipient_part)
        .child(&advanced)
        .child(&submit)
        .child(&error);
    Fields {
        form,
        tabs,
        generate: generate.cast(),
        share_part,
        secret: secret.cast(),
        byte_count,
        generate_part,
        length: length.cast(),
        sets: sets.map(|(_, input)| input),
        passphrase: passphrase.cast(),
        passphrase_hint,
        ttl: ttl.cast(),
        ttl_custom_part,
        ttl_custom: ttl_custom.cast(),
        ttl_hint,
        encrypt_part,
        encrypt,
        encrypt_hint,
        recipient_part,
        recipient: recipient.cast(),
        share_domain: share_domain.cast(),
        advanced,
        submit,
        error,
    }
}
