import Foundation
import Metrics
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// The server's counters and gauges (swift-metrics API), kept in a registry of its own and rendered in the
/// Prometheus text format by `GET /metrics`. Per-server rather than `MetricsSystem.bootstrap`, which may run only
/// once per process (tests start several servers).
final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let promptTokens: Counter
    private let predictedTokens: Counter
    private let decodeRate: Gauge
    private let queueDepth: Gauge
    private let busySlots: Gauge

    init() {
        factory = PrometheusMetricsFactory(registry: registry)
        promptTokens = Counter(label: "bitnet_prompt_tokens_total", factory: factory)
        predictedTokens = Counter(label: "bitnet_predicted_tokens_total", factory: factory)
        decodeRate = Gauge(label: "bitnet_decode_tokens_per_second", factory: factory)
        queueDepth = Gauge(label: "bitnet_queue_depth", factory: factory)
        busySlots = Gauge(label: "bitnet_busy_slots", factory: factory)
    }

    /// Counts one answered request by endpoint and status code.
    func request(_ endpoint: String, status: Int) {
        Counter(label: "bitnet_requests_total", dimensions: [("endpoint", endpoint), ("status", String(status))],
                factory: factory).increment()
    }

    /// Records a finished generation (called on the slot's thread); `kvUsed` is the slot's cache fill in [0, 1].
    func generation(promptTokens p: Int, predicted: Int, tokensPerSecond: Double, slot: Int, kvUsed: Double) {
        promptTokens.increment(by: p)
        predictedTokens.increment(by: predicted)
        if predicted > 0 { decodeRate.record(tokensPerSecond) }
        Gauge(label: "bitnet_kv_cache_usage_ratio", dimensions: [("slot", String(slot))], factory: factory).record(kvUsed)
    }

    /// Records one batched decode step of `rows` sequences (continuous batching).
    func batchedStep(rows: Int) {
        Counter(label: "bitnet_batched_decode_steps_total", factory: factory).increment()
        Counter(label: "bitnet_batched_decode_rows_total", factory: factory).increment(by: rows)
    }

    /// Records an answered embeddings request.
    func embedded(inputs: Int, tokens: Int) {
        Counter(label: "bitnet_embedding_inputs_total", factory: factory).increment(by: inputs)
        promptTokens.increment(by: tokens)
    }

    /// The Prometheus text exposition, with the queue and slot gauges read now.
    func exposition(queue: Int, busy: Int) -> String {
        queueDepth.record(queue)
        busySlots.record(busy)
        return registry.emitToString()
    }
}
