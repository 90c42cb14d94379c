//! `load`: what the screens need of `LocalResource` (the latest result of an async fetch
//! that re-runs when its signals change), without its async-derived machinery, which cost
//! several KB of wasm per use.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use leptos::prelude::*;

/// The latest result of `fetch`, which runs now and again whenever a signal it reads
/// (before its first `.await`) changes. `None` until the first result; a reload keeps
/// showing the previous result until its own arrives, and a load overtaken by a newer
/// one is dropped.
pub fn load<T, Fut>(fetch: impl Fn() -> Fut + 'static) -> ReadSignal<Option<T>, LocalStorage>
where
    T: 'static,
    Fut: Future<Output = T> + 'static,
{
    let (value, set_value) = signal_local(None::<T>);
    let latest = Rc::new(Cell::new(0u32));
    Effect::new(move |_| {
        let future = fetch();
        let this = latest.get().wrapping_add(1);
        latest.set(this);
        let latest = Rc::clone(&latest);
        leptos::task::spawn_local(async move {
            let result = future.await;
            if latest.get() == this {
                set_value.set(Some(result));
            }
        });
    });
    value
}
