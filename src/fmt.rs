//! Dates, times and durations in the user's language, through the browser's `Intl`.

use js_sys::{Array, Date, Intl, Object, Reflect};
use wasm_bindgen::JsValue;

fn options(pairs: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&object, &(*k).into(), &(*v).into());
    }
    object
}

fn locales(locale: &str) -> Array {
    Array::of1(&locale.into())
}

/// The largest whole unit of a duration: `(amount, Intl unit name)`.
pub fn largest_unit(seconds: u64) -> (u64, &'static str) {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 86_400 => (s.div_ceil(3_600), "hour"),
        s if s >= 3_600 && s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s >= 3_600 => (s.div_ceil(60), "minute"),
        s if s >= 60 => (s.div_ceil(60), "minute"),
        s => (s, "second"),
    }
}

/// "4 hours", "7 days", "4시간"…
pub fn duration(locale: &str, seconds: u64) -> String {
    let (amount, unit) = largest_unit(seconds);
    let format = Intl::NumberFormat::new(
        &locales(locale),
        &options(&[("style", "unit"), ("unit", unit), ("unitDisplay", "long")]),
    );
    format
        .format()
        .call1(&JsValue::UNDEFINED, &JsValue::from_f64(amount as f64))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| format!("{amount} {unit}"))
}

/// "in 3 hours", "3시간 후"…
pub fn time_left(locale: &str, seconds: u64) -> String {
    let (amount, unit) = largest_unit(seconds);
    let format =
        Intl::RelativeTimeFormat::new(&locales(locale), &options(&[("numeric", "always")]));
    format.format(amount as f64, unit).into()
}

/// A date and time in the user's time zone.
pub fn datetime(locale: &str, epoch_seconds: u64) -> String {
    let date = Date::new(&JsValue::from_f64(epoch_seconds as f64 * 1000.0));
    let format = Intl::DateTimeFormat::new(
        &locales(locale),
        &options(&[("dateStyle", "medium"), ("timeStyle", "short")]),
    );
    format
        .format()
        .call1(&JsValue::UNDEFINED, &date)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// A whole number with grouping ("10,000").
pub fn number(locale: &str, n: usize) -> String {
    let format = Intl::NumberFormat::new(&locales(locale), &Object::new());
    format
        .format()
        .call1(&JsValue::UNDEFINED, &JsValue::from_f64(n as f64))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| n.to_string())
}

/// Seconds since the epoch, now.
pub fn now() -> u64 {
    (Date::now() / 1000.0) as u64
}

#[cfg(test)]
mod tests {
    use super::largest_unit;

    #[test]
    fn durations_use_their_largest_whole_unit() {
        assert_eq!(largest_unit(300), (5, "minute"));
        assert_eq!(largest_unit(4 * 3600), (4, "hour"));
        assert_eq!(largest_unit(7 * 86_400), (7, "day"));
        assert_eq!(largest_unit(90 * 60), (90, "minute"));
        assert_eq!(largest_unit(86_400 + 3600), (25, "hour"));
        assert_eq!(largest_unit(42), (42, "second"));
    }
}
