//! The header's refresh progress while accounts are discovered; `:ctx` and `:region`
//! (switching profile and region scope inside the console) through update and the screen.

use super::action::Msg;
use super::fixture;
use super::tests::{loaded, screen, send};
use crate::model::Progress;

fn header(s: &mut super::state::State, w: u16) -> String {
    screen(s, w, 40)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// While discovery streams accounts the unit count is no total (it grows with each
/// account): the header counts accounts found instead of showing a fraction that would
/// move backwards (2/3 → 2/9); once discovery ended, done/total only moves forward.
#[test]
fn refresh_progress_never_moves_backwards_while_accounts_are_discovered() {
    let mut s = loaded();
    let regions = fixture::snapshot().regions.len() as u32;
    let partial = |done: u32, total: u32, discovering: bool| {
        let mut snap = fixture::snapshot();
        snap.complete = false;
        snap.in_progress = true;
        snap.progress = Progress {
            done,
            total,
            discovering,
        };
        Msg::Fleet(fixture::update_of(snap))
    };
    let mut shown = Vec::new();
    for (done, accounts) in [(0, 1), (2, 3), (5, 6)] {
        send(&mut s, partial(done, accounts * regions, true));
        let head = header(&mut s, 120);
        assert!(
            head.contains(&format!("discovering accounts… {accounts}")),
            "{head}"
        );
        assert!(
            !head.contains(&format!("{done}/{}", accounts * regions)),
            "no fraction while the total still grows: {head}"
        );
        shown.push(head);
    }
    // discovery over: a fraction, and its total no longer changes
    let total = 6 * regions;
    let mut last = 0.0;
    for done in [5, 9, total] {
        send(&mut s, partial(done, total, false));
        let head = header(&mut s, 120);
        assert!(head.contains(&format!("{done}/{total}")), "{head}");
        assert!(!head.contains("discovering"), "{head}");
        let frac = f64::from(done) / f64::from(total);
        assert!(frac >= last, "the fraction never moves backwards");
        last = frac;
    }
    // it fits at 80 columns too
    send(&mut s, partial(0, regions, true));
    assert!(header(&mut s, 80).contains("discovering accounts… 1"));
}
