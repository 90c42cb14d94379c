//! `Field`: a labelled form control, the shape every form on the screens repeats.

use leptos::prelude::*;

use crate::i18n::{Key, tr};

/// `<div class="field">` with a label for the control `id`, the control (the children, which
/// carry that `id` themselves), and an optional hint under them. The children are erased
/// (`Children`), so every field shares one rendering path.
#[component]
pub fn Field(
    /// The control's `id`, which the label names.
    id: &'static str,
    /// The label's text.
    label: Key,
    /// The hint under the control.
    #[prop(optional)]
    hint: Option<Signal<String>>,
    /// The hint's `id`, which the control names in its `aria-describedby`.
    #[prop(optional)]
    hint_id: Option<&'static str>,
    /// The control, and anything else that belongs to the field.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{tr(label)}</label>
            {children()}
            {hint.map(|text| view! { <p id=hint_id class="hint">{text}</p> })}
        </div>
    }
}
