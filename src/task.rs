//! `Task`: what the screens need of Leptos's `Action` (dispatch an async job, watch
//! whether it runs, read its latest result), without `Action`'s versioning and abort
//! bookkeeping, which cost several KB of wasm per use.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;

type Job<I, O> = Rc<dyn Fn(&I) -> Pin<Box<dyn Future<Output = O>>>>;

/// An async job started by [`Task::dispatch`], as a `Copy` handle.
pub struct Task<I: 'static, O: 'static> {
    job: StoredValue<Job<I, O>, LocalStorage>,
    pending: RwSignal<bool>,
    value: RwSignal<Option<O>, LocalStorage>,
}

impl<I: 'static, O: 'static> Clone for Task<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: 'static, O: 'static> Copy for Task<I, O> {}

impl<I: 'static, O: 'static> Task<I, O> {
    /// A task that runs `job` on each dispatched input.
    pub fn new<F: Future<Output = O> + 'static>(job: impl Fn(&I) -> F + 'static) -> Self {
        let job: Job<I, O> = Rc::new(move |input| Box::pin(job(input)));
        Self {
            job: StoredValue::new_local(job),
            pending: RwSignal::new(false),
            value: RwSignal::new_local(None),
        }
    }

    /// Starts the job; its result becomes [`Task::value`] when it is done.
    pub fn dispatch(self, input: I) {
        let Some(job) = self.job.try_get_value() else {
            return; // the screen is gone
        };
        let future = job(&input);
        self.pending.set(true);
        leptos::task::spawn_local(async move {
            let output = future.await;
            // Either may be gone by now, if the screen was left meanwhile.
            let _ = self.value.try_set(Some(output));
            let _ = self.pending.try_set(false);
        });
    }

    /// Whether the job is running (reactive).
    pub fn pending(self) -> RwSignal<bool> {
        self.pending
    }

    /// The latest result, `None` before the first (reactive, and may be cleared).
    pub fn value(self) -> RwSignal<Option<O>, LocalStorage> {
        self.value
    }
}
