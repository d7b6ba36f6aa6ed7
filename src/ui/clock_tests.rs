//! Ages move with the clock: `:errors` says how long ago each error happened, and that
//! age keeps counting while the screen is open (no new data needed).

use chrono::Duration;

use super::action::Msg;
use super::k9s_tests::{command, loaded, screen};
use super::update::update;

#[test]
fn errors_ages_tick_with_the_clock() {
    let (mut s, k) = loaded();
    command(&mut s, &k, "errors");
    let before = screen(&mut s, &k, 200, 60);
    let row = |text: &str| text.lines().nth(3).unwrap_or_default().to_string();
    let now = s.now;
    update(&mut s, Msg::Tick(now + Duration::hours(3)), &k);
    let after = screen(&mut s, &k, 200, 60);
    assert_ne!(row(&before), row(&after), "the AGE column moved");
    let (t, src) = s.view().table().unwrap();
    let r = t.order[0] as usize;
    let age_col = src.columns().iter().position(|c| c.title == "AGE").unwrap();
    let e = &s.data.as_ref().unwrap().snapshot.errors[r];
    assert_eq!(
        src.text(r, age_col),
        super::views::fmt::age(now + Duration::hours(3), e.at)
    );
}
