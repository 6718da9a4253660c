import Foundation
import LabelStore
import Pipeline
import Prometheus
import Synchronization
import VideoDecoding

/// The daemon's Prometheus metrics. The stages record their histograms through swift-metrics into `factory`;
/// per-input counters are read from each `SupervisedInput` when scraped (the inputs own their counters, the
/// exporter only mirrors them), labelled `{pipeline, input}` with the input's redacted URI.
final class MetricsExporter: Sendable {
    /// The swift-metrics backend the stages record `framewise_inference_seconds`, `framewise_db_commit_seconds` and
    /// (per live input) `framewise_frame_age_seconds` into.
    let factory: PrometheusMetricsFactory
    private let registry: PrometheusCollectorRegistry
    private let queueDepth: Gauge
    private let database: DatabaseMetrics
    private let exported = Mutex<[ObjectIdentifier: InputMetrics]>([:])

    /// The labels of an input's `framewise_frame_age_seconds` histogram.
    private struct FrameAgeSeries: Hashable {
        let pipeline: String
        let input: String
        var labels: [(String, String)] { [("pipeline", pipeline), ("input", input)] }
    }

    /// The buckets of `framewise_frame_age_seconds`.
    private static let ageBuckets: [Duration] = [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000].map { .milliseconds($0) }

    /// One input's series.
    private struct InputMetrics {
        let decoded: Counter
        let labeled: Counter
        let droppedByQueue: Counter
        let droppedByStore: Counter
        let reconnects: Counter
        let up: Gauge
        let lastFrame: Gauge
        let frameAges: FrameAgeSeries

        var all: (counters: [Counter], gauges: [Gauge]) {
            ([decoded, labeled, droppedByQueue, droppedByStore, reconnects], [up, lastFrame])
        }
    }

    init(version: String, modelSHA256: String, precision: String) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let milliseconds: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map { .milliseconds($0) }
        factory.durationHistogramBuckets = [
            "framewise_inference_seconds": milliseconds, "framewise_db_commit_seconds": milliseconds,
            "framewise_frame_age_seconds": Self.ageBuckets,
        ]
        self.factory = factory
        queueDepth = registry.makeGauge(descriptor: Self.name("queue", "depth", "Frames waiting for a worker, over all inputs."))
        database = DatabaseMetrics(
            bytes: registry.makeGauge(descriptor: Self.name("database", "bytes",
                "What the database takes on disk (SQLite: the file and its write-ahead log; PostgreSQL: pg_database_size).")),
            oldestFrame: registry.makeGauge(descriptor: Self.name("oldest_frame_timestamp", "seconds",
                "When the oldest stored frame was captured, or its file's run ended (Unix time).")),
            pruned: registry.makeCounter(descriptor: Self.name("frames_pruned", "total",
                "Frames deleted by retention and the size and free-disk guards.")),
            freeDisk: registry.makeGauge(descriptor: Self.name("database_disk_free", "bytes",
                "Free bytes of the file system the SQLite database is on.")))
        registry.makeGauge(
            descriptor: Self.name("build", "info", "The running build, its model and precision (always 1)."),
            labels: [("version", version), ("model_sha256", modelSHA256), ("precision", precision)]
        ).set(to: 1)
    }

    /// The database's series (they stay at 0 until first measured, and the free disk on PostgreSQL).
    private struct DatabaseMetrics {
        let bytes: Gauge
        let oldestFrame: Gauge
        let pruned: Counter
        let freeDisk: Gauge
    }

    /// The Prometheus text for the current state of `inputs`, the stages and the database.
    func scrape(inputs: [SupervisedInput], queueDepth depth: Int, database vitals: DatabaseVitals) -> String {
        exported.withLock { exported in
            var gone = Set(exported.keys)
            for input in inputs {
                let key = ObjectIdentifier(input)
                gone.remove(key)
                let metrics = exported[key] ?? makeMetrics(for: input)
                exported[key] = metrics
                update(metrics, from: input.status)
            }
            let live = Set(inputs.map { FrameAgeSeries(pipeline: $0.pipeline, input: $0.location.description) })
            for key in gone {
                let metrics = exported.removeValue(forKey: key)!
                for counter in metrics.all.counters { registry.unregisterCounter(counter) }
                for gauge in metrics.all.gauges { registry.unregisterGauge(gauge) }
                // The input's sessions recorded its frame ages through swift-metrics under these labels; unless an
                // input with the same labels runs now (a changed file restarts it), its series goes too.
                if !live.contains(metrics.frameAges) {
                    registry.unregisterDurationHistogram(registry.makeDurationHistogram(
                        descriptor: MetricNameDescriptor(namespace: "framewise", metricName: "frame_age", unitName: "seconds", helpText: ""),
                        labels: metrics.frameAges.labels, buckets: Self.ageBuckets))
                }
            }
            queueDepth.set(to: Double(depth))
            database.bytes.set(to: Double(vitals.bytes ?? 0))
            database.oldestFrame.set(to: vitals.oldestFrame ?? 0)
            database.freeDisk.set(to: Double(vitals.freeDisk?.free ?? 0))
            set(database.pruned, to: vitals.framesPruned)
            return registry.emitToString()
        }
    }

    private func makeMetrics(for input: SupervisedInput) -> InputMetrics {
        let labels = [("pipeline", input.pipeline), ("input", input.location.description)]
        func counter(_ name: String, _ help: String, _ extra: [(String, String)] = []) -> Counter {
            registry.makeCounter(descriptor: Self.name(name, "total", help), labels: labels + extra)
        }
        let dropped = "Sampled frames not stored: the live queue was full or a stop dropped them (queue), or the database refused them (store)."
        return InputMetrics(
            decoded: counter("frames_decoded", "Frames the decoder produced, sampled or not."),
            labeled: counter("frames_labeled", "Frames labelled and stored."),
            droppedByQueue: counter("frames_dropped", dropped, [("reason", "queue")]),
            droppedByStore: counter("frames_dropped", dropped, [("reason", "store")]),
            reconnects: counter("reconnects", "Reconnects of the input and reopenings after a failure."),
            up: registry.makeGauge(
                descriptor: Self.name("input", "up", "1 while frames of the input are flowing, else 0."), labels: labels),
            lastFrame: registry.makeGauge(
                descriptor: Self.name("last_frame_timestamp", "seconds", "When the latest frame of the input was labelled (Unix time)."),
                labels: labels),
            frameAges: FrameAgeSeries(pipeline: input.pipeline, input: input.location.description))
    }

    /// `framewise_NAME_UNIT`, with its help text.
    private static func name(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "framewise", metricName: name, unitName: unit, helpText: help)
    }

    private func update(_ metrics: InputMetrics, from status: SupervisedInput.Status) {
        let progress = status.progress
        set(metrics.decoded, to: progress.decoded)
        set(metrics.labeled, to: progress.labeled)
        set(metrics.droppedByQueue, to: progress.dropped - progress.droppedByStore)
        set(metrics.droppedByStore, to: progress.droppedByStore)
        set(metrics.reconnects, to: progress.reconnects + max(0, status.sessions - 1))
        metrics.up.set(to: status.state == .running ? 1 : 0)
        metrics.lastFrame.set(to: progress.lastLabelledAt?.timeIntervalSince1970 ?? 0)
    }

    /// Mirrors a counter the input owns (always under the exporter's lock, so scrapes never see it half-set).
    private func set(_ counter: Counter, to value: Int) {
        counter.reset()
        counter.increment(by: Int64(value))
    }
}
