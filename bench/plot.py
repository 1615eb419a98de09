"""`make bench-plot`: draws bench/results/bench.csv as one PNG, one panel per scenario's main
figure, one line per server across the recorded runs (oldest left), so a regression shows as a
drop in arovm's line. Usage: plot.py CSV PNG"""
import csv
import sys
from collections import OrderedDict, defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# One colour per server in every panel.
COLORS = {
    "arovm": "black",
    "ceiling": "tab:gray",
    "hyper": "tab:blue",
    "tokio-tungstenite": "tab:blue",
    "node": "tab:green",
    "python": "tab:orange",
    "python3": "tab:orange",
    "lua5.4": "tab:purple",
}

# (scenario, metric, title, higher is better)
PANELS = [
    ("http-hello", "req_per_s", "HTTP hello, req/s", True),
    ("post-broadcast-100", "deliveries_per_s", "POST -> Store -> Broadcast to 100, deliveries/s", True),
    ("ws-chat-16-w16", "deliveries_per_s", "WS chat room, 16 clients, 16 in flight, deliveries/s", True),
    ("ws-chat-16-w1", "deliveries_per_s", "WS chat room, 16 clients, 1 in flight, deliveries/s", True),
    ("ws-broadcast-100-w1", "deliveries_per_s", "WS broadcast 1->100, 1 in flight, deliveries/s", True),
    ("ws-broadcast-100-w16", "deliveries_per_s", "WS broadcast 1->100, 16 in flight, deliveries/s", True),
    ("ws-broadcast-1000-w1", "deliveries_per_s", "WS broadcast 1->1000, 1 in flight, deliveries/s", True),
    ("ws-broadcast-1000-w16", "deliveries_per_s", "WS broadcast 1->1000, 16 in flight, deliveries/s", True),
    ("ws-echo-100", "round_trips_per_s", "WS echo, 100 connections, round trips/s", True),
    ("ws-idle-10k", "bytes_per_conn", "10k idle WS connections, bytes per connection", False),
    ("startup", "to_listening_ms", "start-up to listening, ms", False),
    ("core", "compile_lines_per_s", "compile, lines/s", True),
    ("core", "foreach_ns_per_iter", "for each + Compute, ns per iteration", False),
    ("interp-loop", "seconds", "interpreter loop (2M iterations), s", False),
    ("allocs-fit", "allocs_per_message", "heap allocations per handled WS message", False),
    ("tcp-echo-100", "round_trips_per_s", "TCP echo, 100 connections, round trips/s", True),
    ("tcp-broadcast-1000", "deliveries_per_s", "TCP broadcast 1->1000, deliveries/s", True),
]


def main(src, out):
    rows = list(csv.DictReader(open(src)))
    runs = OrderedDict()  # (date minute, rev) in file order: one x position per bench run
    for r in rows:
        runs.setdefault((r["date"][:13], r["rev"]), None)
    xs = {k: i for i, k in enumerate(runs)}
    data = defaultdict(lambda: defaultdict(list))  # (scenario, metric) -> server -> [(x, v)]
    for r in rows:
        try:
            v = float(r["value"])
        except ValueError:
            continue
        data[(r["scenario"], r["metric"])][r["server"]].append((xs[(r["date"][:13], r["rev"])], v))
    panels = [p for p in PANELS if (p[0], p[1]) in data]
    cols = 3
    rows_n = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows_n, cols, figsize=(6 * cols, 3.6 * rows_n), squeeze=False)
    labels = [f"{rev}\n{date[5:10]}" for (date, rev) in runs]
    for ax, (scenario, metric, title, higher) in zip(axes.flat, panels):
        for server, points in sorted(data[(scenario, metric)].items(), key=lambda s: s[0] != "arovm"):
            points = sorted(dict(points).items())  # one value per run: the last one recorded
            style = dict(linewidth=2.5 if server == "arovm" else 1, color=COLORS.get(server, "gray"))
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=server, **style)
        ax.set_title(title + ("" if higher else " (lower is better)"), fontsize=9)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, fontsize=6)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle("arovm bench history (bench/results/bench.csv)")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    print(f"wrote {out} ({len(runs)} runs, {len(panels)} panels)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
