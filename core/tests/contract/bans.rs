use std::net::IpAddr;
use std::time::Duration;

use noctis_core::domain::{Ban, BanPolicy, now};

use crate::support::Fixture;

crate::contract_tests!(
    reaching_the_threshold_bans_the_address,
    failures_in_a_new_window_start_over,
    a_ban_ends_when_it_expires,
    lifting_a_ban_forgets_the_failures,
    lifting_where_there_is_no_ban_changes_nothing,
    a_ban_counted_by_one_handle_holds_for_another,
    ipv4_mapped_addresses_are_the_same_address,
    a_restored_ban_is_in_force_as_it_was_and_can_be_lifted,
);

const POLICY: BanPolicy =
    BanPolicy { threshold: 3, window: Duration::from_secs(600), ban_for: Duration::from_secs(3600) };

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

/// A time in the middle of a window, so the test never straddles two.
fn mid_window() -> noctis_core::domain::Timestamp {
    let t = now();
    let into = t.timestamp().rem_euclid(600);
    t - chrono::Duration::seconds(into) + chrono::Duration::seconds(300)
}

async fn reaching_the_threshold_bans_the_address(fx: &Fixture) {
    let at = mid_window();
    let addr = ip("198.51.100.10");
    for expected in 1..=2 {
        let count = fx.ports.bans.record_failure(addr, "unknown calling AE", &POLICY, at).await.expect("counts");
        assert_eq!((count.failures_in_window, count.banned), (expected, None));
        assert_eq!(fx.ports.bans.active_ban(addr, at).await.expect("checks"), None);
    }
    let third = fx.ports.bans.record_failure(addr, "unknown calling AE", &POLICY, at).await.expect("counts");
    let ban = third.banned.expect("the third failure bans");
    assert_eq!((ban.address, ban.failures, ban.reason.as_str()), (addr, 3, "unknown calling AE"));
    assert_eq!(ban.expires_at, at + chrono::Duration::hours(1));
    assert_eq!(fx.ports.bans.active_ban(addr, at).await.expect("checks"), Some(ban.clone()));
    let fourth = fx.ports.bans.record_failure(addr, "again", &POLICY, at).await.expect("counts");
    assert_eq!((fourth.failures_in_window, fourth.banned), (4, None), "one ban, not a new one per failure");
    assert_eq!(fx.ports.bans.list_active(at).await.expect("lists"), [ban]);
    assert_eq!(fx.ports.bans.active_ban(ip("198.51.100.11"), at).await.expect("checks"), None);
}

async fn failures_in_a_new_window_start_over(fx: &Fixture) {
    let at = mid_window();
    let addr = ip("198.51.100.20");
    for _ in 0..2 {
        fx.ports.bans.record_failure(addr, "x", &POLICY, at).await.expect("counts");
    }
    let later = at + chrono::Duration::seconds(600);
    let count = fx.ports.bans.record_failure(addr, "x", &POLICY, later).await.expect("counts");
    assert_eq!((count.failures_in_window, count.banned), (1, None));
}

async fn a_ban_ends_when_it_expires(fx: &Fixture) {
    let at = mid_window();
    let addr = ip("2001:db8::7");
    for _ in 0..3 {
        fx.ports.bans.record_failure(addr, "x", &POLICY, at).await.expect("counts");
    }
    let just_before = at + chrono::Duration::seconds(3599);
    let expiry = at + chrono::Duration::seconds(3600);
    assert!(fx.ports.bans.active_ban(addr, just_before).await.expect("checks").is_some());
    assert_eq!(fx.ports.bans.active_ban(addr, expiry).await.expect("checks"), None);
    assert!(fx.ports.bans.list_active(expiry).await.expect("lists").is_empty());
}

async fn lifting_a_ban_forgets_the_failures(fx: &Fixture) {
    let at = mid_window();
    let addr = ip("198.51.100.30");
    for _ in 0..3 {
        fx.ports.bans.record_failure(addr, "x", &POLICY, at).await.expect("counts");
    }
    assert!(fx.ports.bans.lift(addr).await.expect("lifts"));
    assert_eq!(fx.ports.bans.active_ban(addr, at).await.expect("checks"), None);
    let count = fx.ports.bans.record_failure(addr, "x", &POLICY, at).await.expect("counts");
    assert_eq!(count.failures_in_window, 1);
    assert!(!fx.ports.bans.lift(ip("198.51.100.31")).await.expect("lifts"), "nothing to lift");
}

async fn a_ban_counted_by_one_handle_holds_for_another(fx: &Fixture) {
    let at = mid_window();
    let addr = ip("198.51.100.40");
    let other = fx.second_handle().await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let bans = if i % 2 == 0 { fx.ports.bans.clone() } else { other.bans.clone() };
        tasks.push(tokio::spawn(async move { bans.record_failure(addr, "x", &POLICY, at).await }));
    }
    let mut counts = Vec::new();
    let mut bans_created = 0;
    for task in tasks {
        let count = task.await.expect("task").expect("counts");
        counts.push(count.failures_in_window);
        bans_created += usize::from(count.banned.is_some());
    }
    counts.sort();
    assert_eq!(counts, [1, 2, 3, 4, 5, 6], "every failure counted once");
    assert_eq!(bans_created, 1);
    assert!(other.bans.active_ban(addr, at).await.expect("checks").is_some());
}

async fn ipv4_mapped_addresses_are_the_same_address(fx: &Fixture) {
    let at = mid_window();
    for _ in 0..3 {
        fx.ports.bans.record_failure(ip("::ffff:198.51.100.50"), "x", &POLICY, at).await.expect("counts");
    }
    let ban = fx.ports.bans.active_ban(ip("198.51.100.50"), at).await.expect("checks").expect("banned");
    assert_eq!(ban.address, ip("198.51.100.50"));
}

async fn lifting_where_there_is_no_ban_changes_nothing(fx: &Fixture) {
    let at = mid_window();
    let addr = ip("198.51.100.77");
    for _ in 0..2 {
        fx.ports.bans.record_failure(addr, "unknown calling AE", &POLICY, at).await.expect("counts");
    }
    assert!(!fx.ports.bans.lift(addr).await.expect("answers"), "there was no ban to lift");
    let third = fx.ports.bans.record_failure(addr, "unknown calling AE", &POLICY, at).await.expect("counts");
    assert_eq!(third.failures_in_window, 3, "the failures counted before were kept");
    assert!(third.banned.is_some());
}

async fn a_restored_ban_is_in_force_as_it_was_and_can_be_lifted(fx: &Fixture) {
    let at = mid_window();
    let ban = Ban {
        address: ip("203.0.113.77"),
        reason: "unknown calling AE".into(),
        failures: 12,
        banned_at: at - chrono::Duration::minutes(5),
        expires_at: at + chrono::Duration::minutes(55),
    };
    fx.ports.bans.restore(&ban).await.expect("restores");
    assert_eq!(fx.ports.bans.active_ban(ban.address, at).await.expect("checks"), Some(ban.clone()));
    assert_eq!(fx.ports.bans.list_active(at).await.expect("lists"), vec![ban.clone()]);
    assert_eq!(fx.ports.bans.active_ban(ban.address, ban.expires_at).await.expect("checks"), None, "it expires");
    assert!(fx.ports.bans.lift(ban.address).await.expect("lifts"));
    assert_eq!(fx.ports.bans.active_ban(ban.address, at).await.expect("checks"), None);
}
