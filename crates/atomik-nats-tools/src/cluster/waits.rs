//! Waits that adapt to a fail-over, and say what they waited for.
//!
//! A wait has a base limit. When it passes, the cluster is asked (over
//! the run's own connections, which no fault touches) whether it is still
//! recovering: a server that does not answer JetStream requests (it is
//! down, or still catching up after a cut), a stream without a leader, a
//! replica that is not current or is offline, or no answer at all. If so, the limit grows by another
//! base period, up to a cap; if the cluster looks healthy, or the cap is
//! reached, the wait fails with an error that names what it waited for,
//! how long, and what the cluster looked like.

use std::future::Future;
use std::time::{Duration, Instant};

use async_nats::jetstream;

/// How long waits last, and whom to ask whether the cluster is recovering.
#[derive(Clone, Debug)]
pub struct Waits {
    /// The first limit of every wait, and each extension.
    pub base: Duration,
    /// The longest any wait may last.
    pub cap: Duration,
    js: jetstream::Context,
    /// The streams whose health counts.
    streams: Vec<String>,
    /// One connection to each server alone.
    servers: Vec<async_nats::Client>,
}

impl Waits {
    /// Waits asking `js` about `streams`, and each of `servers` about itself.
    pub fn new(
        (base, cap): (Duration, Duration),
        js: jetstream::Context,
        streams: Vec<String>,
        servers: Vec<async_nats::Client>,
    ) -> Self {
        Waits {
            base,
            cap,
            js,
            streams,
            servers,
        }
    }

    /// Why a server does not serve JetStream requests, if one does not.
    async fn server_down(&self) -> Option<String> {
        for (i, c) in self.servers.iter().enumerate() {
            let ask = c.request("$JS.API.INFO", "".into());
            let why = match tokio::time::timeout(Duration::from_secs(5), ask).await {
                Err(_) => "no answer within 5 s".to_owned(),
                Ok(Err(e)) => e.to_string(),
                Ok(Ok(m)) => match serde_json::from_slice::<serde_json::Value>(&m.payload) {
                    Ok(v) if v.get("error").is_none() => continue,
                    Ok(v) => v["error"].to_string(),
                    Err(e) => e.to_string(),
                },
            };
            return Some(format!("server s{i} does not serve JetStream: {why}"));
        }
        None
    }

    /// Why the cluster is still recovering, if it is.
    pub async fn recovering(&self) -> Option<String> {
        if let Some(why) = self.server_down().await {
            return Some(why);
        }
        for name in &self.streams {
            let info = tokio::time::timeout(Duration::from_secs(5), self.js.get_stream(name)).await;
            let info = match info {
                Err(_) => return Some(format!("stream {name} did not answer within 5 s")),
                Ok(Err(e)) => return Some(format!("stream {name}: {e}")),
                Ok(Ok(s)) => s.cached_info().clone(),
            };
            let Some(c) = info.cluster else { continue };
            if c.leader.is_none() {
                return Some(format!("stream {name} has no leader"));
            }
            if let Some(r) = c.replicas.iter().find(|r| !r.current || r.offline) {
                return Some(format!("stream {name}: replica {} is not current", r.name));
            }
        }
        None
    }

    /// Runs `fut` under an adaptive limit; `what` names the wait in errors.
    pub async fn until<T>(
        &self,
        what: &str,
        fut: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let start = Instant::now();
        let mut limit = self.base;
        let mut extended = Vec::new();
        tokio::pin!(fut);
        loop {
            let deadline = tokio::time::Instant::from_std(start + limit);
            if let Ok(r) = tokio::time::timeout_at(deadline, &mut fut).await {
                return r;
            }
            let why = self.recovering().await;
            match why {
                Some(w) if limit + self.base <= self.cap => {
                    extended.push(w);
                    limit += self.base;
                }
                _ => return Err(timed_out(what, start.elapsed(), self.base, &extended, why)),
            }
        }
    }
}

/// The error of a wait that ran out.
pub(super) fn timed_out(
    what: &str,
    waited: Duration,
    base: Duration,
    extended: &[String],
    now: Option<String>,
) -> anyhow::Error {
    let ext = match extended {
        [] => String::new(),
        [.., last] => format!(
            ", extended {} times while the cluster recovered ({last})",
            extended.len()
        ),
    };
    let state = match now {
        Some(w) => format!("still recovering at the cap: {w}"),
        None => {
            "the cluster looked healthy (every stream had a leader and current replicas)".into()
        }
    };
    anyhow::anyhow!(
        "timed out {what}: no result after {:.1} s (limit {} s{ext}); {state}",
        waited.as_secs_f64(),
        base.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_out_wait_names_what_it_waited_for_and_why_it_gave_up() {
        let e = timed_out(
            "waiting for node 3 to answer `sync`",
            Duration::from_millis(94_100),
            Duration::from_secs(30),
            &[
                "stream ATOMIK_t0 has no leader".into(),
                "stream ATOMIK_t0 has no leader".into(),
            ],
            None,
        )
        .to_string();
        assert!(e.contains("node 3 to answer `sync`"), "{e}");
        assert!(e.contains("94.1 s"), "{e}");
        assert!(e.contains("extended 2 times"), "{e}");
        assert!(e.contains("no leader"), "{e}");
        assert!(e.contains("looked healthy"), "{e}");
    }
}
