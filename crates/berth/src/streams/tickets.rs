//! Short-lived single-use tickets that authenticate one WebSocket or event-stream request (a
//! browser cannot set headers on a WebSocket, and an API key must never sit in a URL).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::tokens;

/// How long a ticket lives.
pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// Tickets not yet used: hash → (user id, expiry).
#[derive(Default)]
pub struct Tickets {
    open: Mutex<HashMap<String, (i64, Instant)>>,
}

impl Tickets {
    /// Issues a ticket for a user.
    pub fn issue(&self, user_id: i64) -> String {
        let ticket = tokens::random_token(32);
        let now = Instant::now();
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        open.retain(|_, (_, expires)| *expires > now);
        open.insert(tokens::hash(&ticket), (user_id, now + TICKET_TTL));
        ticket
    }

    /// Uses a ticket up: the user it was issued to, if it is valid.
    pub fn redeem(&self, ticket: &str) -> Option<i64> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (user_id, expires) = open.remove(&tokens::hash(ticket))?;
        (expires > Instant::now()).then_some(user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_works_once() {
        let t = Tickets::default();
        let ticket = t.issue(7);
        assert_eq!(t.redeem(&ticket), Some(7));
        assert_eq!(t.redeem(&ticket), None);
        assert_eq!(t.redeem("made-up"), None);
    }
}
