//! The engine as a stream processor: determinism across batch splits, reruns, rebuilding from
//! the look-back, bounded state.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use entra_model::SignIn;
use oort_checks::{merge, CheckConfig, Finding, Fingerprint, ThreatEngine};

/// Every planted attack, shifted so each starts on its own day, with benign traffic around.
fn mixed_stream() -> (Vec<SignIn>, CheckConfig) {
    reset_ids();
    let mut config = CheckConfig::default();
    let mut all = Vec::new();
    for (i, (_, sign_ins, c)) in planted().into_iter().enumerate() {
        config.break_glass_accounts.extend(c.break_glass_accounts);
        for s in sign_ins {
            let mut s = s;
            s.created_date_time = s
                .created_date_time
                .map(|t| t + time::Duration::days(i as i64));
            all.push(s);
        }
    }
    for day in 0..20 {
        for u in 0..30 {
            for k in 0..4 {
                let b = sign_in(
                    &format!("bystander{u}"),
                    day * DAY + 7 * HOUR + u * 53 + k * 2 * HOUR,
                )
                .ip("192.0.2.44");
                all.push(if (u + k) % 11 == 0 { b.code(50126) } else { b }.build());
            }
        }
    }
    all.sort_by(|a, b| (a.created_date_time, &a.id).cmp(&(b.created_date_time, &b.id)));
    (all, config)
}

fn fold(store: &mut BTreeMap<Fingerprint, Finding>, findings: Vec<Finding>) {
    for f in findings {
        store.insert(f.fingerprint.clone(), f);
    }
}

#[test]
fn the_same_stream_split_into_different_batches_gives_the_same_findings() {
    let (stream, config) = mixed_stream();
    let mut whole = BTreeMap::new();
    let mut engine = ThreatEngine::new(config.clone()).unwrap();
    engine.feed_all(&stream);
    fold(&mut whole, engine.take_findings());
    let checks: BTreeSet<_> = whole.values().map(|f| f.check_id).collect();
    assert_eq!(
        checks.len(),
        16,
        "every planted attack is in the stream: {checks:?}"
    );

    for sizes in [&[1usize][..], &[7, 1, 300, 2], &[999, 13], &[5000]] {
        let mut split = BTreeMap::new();
        let mut engine = ThreatEngine::new(config.clone()).unwrap();
        let mut rest = &stream[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].min(rest.len());
            engine.feed_all(&rest[..n]);
            fold(&mut split, engine.take_findings());
            rest = &rest[n..];
            i += 1;
        }
        assert_eq!(split, whole, "batch sizes {sizes:?}");
    }
}

#[test]
fn merging_batch_by_batch_stores_what_one_pass_finds() {
    let (stream, config) = mixed_stream();
    let limit = config.evidence_limit;
    let now = stream.last().unwrap().created_date_time.unwrap();
    let mut engine = ThreatEngine::new(config.clone()).unwrap();
    engine.feed_all(&stream);
    let one_pass = merge(&[], &engine.take_findings(), &BTreeSet::new(), now, limit).new;

    let mut stored: Vec<Finding> = Vec::new();
    let mut engine = ThreatEngine::new(config).unwrap();
    for chunk in stream.chunks(97) {
        engine.feed_all(chunk);
        let changes = merge(
            &stored,
            &engine.take_findings(),
            &BTreeSet::new(),
            now,
            limit,
        );
        let mut by_fp: BTreeMap<_, _> = stored
            .into_iter()
            .map(|f| (f.fingerprint.clone(), f))
            .collect();
        for f in changes
            .new
            .into_iter()
            .chain(changes.updated)
            .chain(changes.reopened)
        {
            by_fp.insert(f.fingerprint.clone(), f);
        }
        stored = by_fp.into_values().collect();
    }
    assert_eq!(stored, one_pass);
}

#[test]
fn rerunning_over_the_same_sign_ins_adds_no_fingerprint_and_changes_nothing() {
    let (stream, config) = mixed_stream();
    let now = stream.last().unwrap().created_date_time.unwrap();
    let mut first = ThreatEngine::new(config.clone()).unwrap();
    first.feed_all(&stream);
    let stored = merge(&[], &first.take_findings(), &BTreeSet::new(), now, 50).new;

    let mut second = ThreatEngine::new(config).unwrap();
    second.feed_all(&stream);
    let changes = merge(&stored, &second.take_findings(), &BTreeSet::new(), now, 50);
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn an_engine_rebuilt_from_the_look_back_finds_what_the_long_running_one_finds_after_it() {
    let (stream, config) = mixed_stream();
    let end = stream.last().unwrap().created_date_time.unwrap();
    let mut long = ThreatEngine::new(config.clone()).unwrap();
    let mut rebuilt = ThreatEngine::new(config).unwrap();
    let lookback = time::Duration::try_from(rebuilt.lookback()).unwrap();
    assert_eq!(lookback, time::Duration::days(8));
    // Resume point: the start of the last planted attack's day.
    let resume = end - time::Duration::days(5);
    long.feed_all(&stream);
    rebuilt.feed_all(
        stream
            .iter()
            .filter(|s| s.created_date_time.unwrap() >= resume - lookback),
    );
    let after = |fs: Vec<Finding>| -> Vec<Finding> {
        fs.into_iter().filter(|f| f.first_seen >= resume).collect()
    };
    let a = after(long.take_findings());
    let b = after(rebuilt.take_findings());
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn retained_state_stays_bounded_over_sixty_days_of_sign_ins() {
    // 200 users, 6 sign-ins a day each, from an IP that changes every day, with failures,
    // MFA denials and conditional access failures in the mix.
    let mut engine = ThreatEngine::new(CheckConfig::default()).unwrap();
    let mut per_day = Vec::new();
    let mut fed = 0u64;
    // Built by editing one parsed sign-in: parsing 72,000 JSON documents in a debug build is slow.
    let template = sign_in("u0", 0).build();
    for day in 0..60i64 {
        let mut batch = Vec::new();
        for u in 0..200i64 {
            for k in 0..6i64 {
                let mut s = template.clone();
                s.id = format!("{day}-{u}-{k}");
                s.created_date_time = Some(at(day * DAY + u * 97 + k * 3 * HOUR));
                s.user_id = Some(format!("id-u{u}"));
                s.user_principal_name = Some(format!("u{u}@contoso.com"));
                s.ip_address = Some(format!("10.{}.{}.{}", day % 250, u % 250, k));
                let code = match (u + k + day) % 9 {
                    0 => 50126,
                    1 => 500121,
                    2 => {
                        s.conditional_access_status =
                            Some(entra_model::ConditionalAccessStatus::Failure);
                        53003
                    }
                    _ => 0,
                };
                if let Some(status) = s.status.as_mut() {
                    status.error_code = Some(code);
                }
                batch.push(s);
            }
        }
        batch.sort_by_key(|s| s.created_date_time);
        fed += batch.len() as u64;
        engine.feed_all(&batch);
        engine.take_findings();
        per_day.push(engine.state_size());
    }
    assert_eq!(engine.stats().analysed, fed);
    let early = per_day[10..20].iter().map(|s| s.total()).max().unwrap();
    let late = per_day[30..60].iter().map(|s| s.total()).max().unwrap();
    assert!(
        late <= early + early / 4,
        "state grew with the stream: days 10-20 max {early}, days 30-60 max {late}"
    );
    let last = per_day[59];
    println!("fed {fed}; state max days 10-20: {early}, days 30-60: {late}; last: {last:?}");
    // IPs older than the longest window (7 days) are gone: at most 8 days of daily IPs remain.
    assert!(last.ips <= 8 * 200 * 6, "{last:?}");
    assert!(last.users <= 200);
}

#[test]
fn sign_ins_without_time_or_user_are_counted_and_skipped() {
    let mut engine = ThreatEngine::new(CheckConfig::default()).unwrap();
    let mut no_time = sign_in("a", 0).build();
    no_time.created_date_time = None;
    let mut no_user = sign_in("b", 0).build();
    no_user.user_id = None;
    no_user.user_principal_name = Some(String::new());
    engine.feed(&no_time);
    engine.feed(&no_user);
    engine.feed(&sign_in("c", 10).build());
    engine.feed(&sign_in("c", 5).build());
    let stats = engine.stats();
    assert_eq!(stats.skipped_without_time, 1);
    assert_eq!(stats.skipped_without_user, 1);
    assert_eq!(stats.analysed, 2);
    assert_eq!(stats.out_of_order, 1);
    assert_eq!(engine.watermark(), Some(at(10)));
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ThreatEngine>();
    assert_send_sync::<Finding>();
    assert_send_sync::<CheckConfig>();
    assert_send_sync::<oort_checks::DirectorySnapshot>();
    assert_send_sync::<oort_checks::Error>();
}

#[test]
fn overlapping_batches_count_each_sign_in_once() {
    let (stream, config) = mixed_stream();
    let mut once = ThreatEngine::new(config.clone()).unwrap();
    once.feed_all(&stream);
    let mut expected = BTreeMap::new();
    fold(&mut expected, once.take_findings());

    // Each collection re-reads the 30 minutes before its start, as the collector's overlap
    // behind its watermark does.
    let mut overlapped = ThreatEngine::new(config).unwrap();
    let mut got = BTreeMap::new();
    let mut start = 0;
    let mut refed = 0;
    while start < stream.len() {
        let end = (start + 500).min(stream.len());
        let overlap_from = stream[start].created_date_time.unwrap() - time::Duration::minutes(30);
        let from = stream[..start].partition_point(|s| s.created_date_time.unwrap() < overlap_from);
        refed += start - from;
        overlapped.feed_all(&stream[from..end]);
        fold(&mut got, overlapped.take_findings());
        start = end;
    }
    assert!(refed > 100, "the batches overlap: {refed}");
    assert_eq!(overlapped.stats().duplicates, refed as u64);
    assert_eq!(overlapped.stats().analysed, once.stats().analysed);
    assert_eq!(got, expected);
}
