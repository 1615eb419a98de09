//! The operator's endpoints on the admin listener (`--admin`): `/metrics` (Prometheus), `/healthz`
//! (the loop answers), `/readyz` (Application-Start has done its work and the app is not
//! draining). Gauges are sampled here, at scrape time.

use super::Driver;
use crate::net::http::response::Response;
use crate::reactor::ConnId;
use crate::telemetry::metrics::{
    FeatureSetLabels, RepositoryLabels, StateLabels, CONTENT_TYPE, METRICS,
};
use std::sync::Arc;

impl Driver<'_> {
    /// True once Application-Start has finished or waits in Keepalive, until shutdown begins.
    pub(super) fn ready(&self) -> bool {
        self.started && !self.shutting_down
    }

    /// Answers one admin request.
    pub(super) fn admin_request(
        &mut self,
        conn: ConnId,
        method: &str,
        path: &str,
        keep_alive: bool,
    ) {
        let resp = if method != "GET" && method != "HEAD" {
            let mut r = Response::error(405, "Method Not Allowed");
            r.headers.push(("Allow".into(), "GET, HEAD".into()));
            r
        } else {
            match path {
                "/metrics" => {
                    self.sample_gauges();
                    Response {
                        status: 200,
                        headers: vec![("Content-Type".into(), CONTENT_TYPE.into())],
                        body: crate::alloc_count::metrics_body(METRICS.encode()).into_bytes(),
                    }
                }
                "/healthz" => Response::json(200, r#"{"status":"ok"}"#.into()),
                "/readyz" if self.ready() => Response::json(200, r#"{"status":"ready"}"#.into()),
                "/readyz" => {
                    let why = if self.shutting_down {
                        "draining"
                    } else {
                        "starting"
                    };
                    Response::json(503, format!(r#"{{"status":"{why}"}}"#))
                }
                _ => Response::error(404, "Not Found"),
            }
        };
        if let Some(r) = self.reactor.as_mut() {
            r.respond(conn, &resp, method == "HEAD", keep_alive);
        }
    }

    /// Sets the gauges that are read, not counted: fibers, queues, repositories, readiness.
    fn sample_gauges(&mut self) {
        let (ready, waiting) = self.sched.fiber_counts();
        METRICS
            .fibers
            .get_or_create(&StateLabels { state: "ready" })
            .set(ready as i64);
        METRICS
            .fibers
            .get_or_create(&StateLabels { state: "suspended" })
            .set(waiting as i64);
        if let Some(r) = self.reactor.as_ref() {
            let (sum, max) = r.queued_output();
            METRICS.queued_bytes.set(sum as i64);
            METRICS.queued_bytes_max.set(max as i64);
        }
        METRICS.queued_events.set(self.ws.queued_events() as i64);
        for (name, n) in self.sched.host.repos.sizes() {
            METRICS
                .repository_entries
                .get_or_create(&RepositoryLabels {
                    repository: name.to_string(),
                })
                .set(n as i64);
        }
        METRICS.ready.set(i64::from(self.ready()));
        self.sync_feature_sets();
    }

    /// Brings the feature-set counters up to the `<metrics>` collector's counts (the same
    /// numbers the language shows; counters only grow, so each scrape adds the difference).
    fn sync_feature_sets(&self) {
        for (name, activity, stats) in self.sched.metrics.iter() {
            let labels = FeatureSetLabels {
                feature_set: Arc::new(name.to_string()),
                activity: Arc::new(activity.to_string()),
            };
            let runs = METRICS.runs.get_or_create_owned(&labels);
            runs.inc_by(stats.executions.saturating_sub(runs.get()));
            let failures = METRICS.handler_failures.get_or_create_owned(&labels);
            failures.inc_by(stats.failures.saturating_sub(failures.get()));
            let secs = METRICS.run_seconds.get_or_create_owned(&labels);
            let d = stats.total.as_secs_f64() - secs.get();
            if d > 0.0 {
                secs.inc_by(d);
            }
        }
    }
}
