//! `When`: its children while a condition holds, else the fallback, like Leptos's `Show`,
//! but every use shares one concrete view type, so the rendering code is generated once
//! instead of once per use.

use std::sync::Arc;

use leptos::prelude::*;

/// Shows `children` while `when` returns true, else `fallback` (nothing by default). As
/// with `Show`, the children are rebuilt only when the condition's value changes.
#[component]
pub fn When(
    /// The condition.
    when: impl Fn() -> bool + Send + Sync + 'static,
    /// What is shown while the condition holds.
    children: ChildrenFn,
    /// What is shown otherwise.
    #[prop(optional, into)]
    fallback: ViewFn,
) -> impl IntoView {
    shown_when(Arc::new(when), children, fallback)
}

fn shown_when(
    when: Arc<dyn Fn() -> bool + Send + Sync>,
    children: ChildrenFn,
    fallback: ViewFn,
) -> AnyView {
    let shown = Memo::new(move |_| when());
    (move || {
        if shown.get() {
            children()
        } else {
            fallback.run()
        }
    })
    .into_any()
}
