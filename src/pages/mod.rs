//! One screen per file, and which screens each build carries.

use leptos::prelude::*;
use ots_core::link::Route;

pub mod create;
mod receipt;
mod recent;
mod request_answer;
mod request_new;
mod request_open;
mod reveal;
mod sent;

pub use create::Create;
pub use receipt::Receipt;
pub use recent::Recent;
pub use request_answer::RequestAnswer;
pub use request_new::RequestNew;
pub use request_open::RequestOpen;
pub use reveal::Reveal;
pub use sent::Sent;

/// The screens a build carries, by route.
pub type Screens = fn(Route) -> AnyView;

/// Every screen: the full app.
pub fn all(route: Route) -> AnyView {
    match route {
        Route::Create => view! { <Create /> }.into_any(),
        Route::Reveal(link) => view! { <Reveal link=link /> }.into_any(),
        Route::Receipt(link) => view! { <Receipt link=link /> }.into_any(),
        Route::Recent => view! { <Recent /> }.into_any(),
        Route::History => view! { <Sent /> }.into_any(),
        Route::Ask => view! { <RequestNew /> }.into_any(),
        Route::Request(link) => view! { <RequestAnswer link=link /> }.into_any(),
        Route::Answer(link) => view! { <RequestOpen link=link /> }.into_any(),
    }
}

/// The recipient's screen alone, for the small build that opens secret links. Any other
/// route loads the page again, and the boot script then starts the full app.
pub fn recipient(route: Route) -> AnyView {
    match route {
        Route::Reveal(link) => view! { <Reveal link=link /> }.into_any(),
        _ => {
            let _ = window().location().reload();
            ().into_any()
        }
    }
}
