//! Validated tokens, remembered for at most `token_cache_time` and never
//! past their expiry, in bounded memory. Keys are digests: the cache never
//! holds a usable token.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::token::TokenInfo;

/// A token's digest → its identity and the time the entry stops counting.
type Entries = HashMap<[u8; 32], (TokenInfo, DateTime<Utc>)>;

pub struct TokenCache {
    entries: Mutex<Entries>,
    ttl: chrono::Duration,
    capacity: usize,
}

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl TokenCache {
    pub fn new(ttl_seconds: u64, capacity: usize) -> Self {
        TokenCache {
            entries: Mutex::new(HashMap::new()),
            ttl: chrono::Duration::seconds(ttl_seconds.min(i64::MAX as u64 / 1000) as i64),
            capacity: capacity.max(1),
        }
    }

    /// The cached identity, if it is still good at `now`.
    pub fn get(&self, token: &str, now: DateTime<Utc>) -> Option<TokenInfo> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let k = key(token);
        match entries.get(&k) {
            Some((info, until)) if *until > now => Some(info.clone()),
            Some(_) => {
                entries.remove(&k);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, token: &str, info: &TokenInfo, now: DateTime<Utc>) {
        if self.ttl <= chrono::Duration::zero() {
            return;
        }
        let until = (now + self.ttl).min(info.expires_at);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, u)| *u > now);
        }
        if entries.len() >= self.capacity {
            // Still full of live entries: forget the half closest to
            // expiry; they are re-validated on their next use.
            let mut ends: Vec<DateTime<Utc>> = entries.values().map(|(_, u)| *u).collect();
            ends.sort_unstable();
            let cut = ends[ends.len() / 2];
            entries.retain(|_, (_, u)| *u > cut);
        }
        entries.insert(key(token), (info.clone(), until));
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(expires_at: DateTime<Utc>) -> TokenInfo {
        TokenInfo {
            user_id: Some("u".into()),
            user_domain_id: None,
            project_id: Some("p".into()),
            project_domain_id: None,
            domain_id: None,
            system_scope: None,
            roles: vec!["reader".into()],
            expires_at,
            catalog: Default::default(),
        }
    }

    #[test]
    fn entries_last_the_ttl_but_never_past_expiry() {
        let now = Utc::now();
        let cache = TokenCache::new(300, 10);
        cache.put("long", &info(now + chrono::Duration::hours(1)), now);
        cache.put("short", &info(now + chrono::Duration::seconds(10)), now);
        let later = now + chrono::Duration::seconds(60);
        assert!(cache.get("long", later).is_some());
        assert!(cache.get("short", later).is_none());
        assert!(cache
            .get("long", now + chrono::Duration::seconds(301))
            .is_none());
        assert!(cache.get("other", now).is_none());
    }

    #[test]
    fn zero_ttl_caches_nothing() {
        let now = Utc::now();
        let cache = TokenCache::new(0, 10);
        cache.put("t", &info(now + chrono::Duration::hours(1)), now);
        assert!(cache.get("t", now).is_none());
    }

    #[test]
    fn stays_within_capacity() {
        let now = Utc::now();
        let cache = TokenCache::new(300, 8);
        for i in 0..100 {
            let expires = now + chrono::Duration::seconds(100 + i);
            cache.put(&format!("t{i}"), &info(expires), now);
            assert!(cache.len() <= 8, "{} entries", cache.len());
        }
        assert!(cache.get("t99", now).is_some());
    }
}
