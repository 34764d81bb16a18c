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
        for name in ["llamacpp:prompt_tokens_total", "vllm:prompt_tokens_total"] {
            Counter(label: name, factory: factory).increment(by: p)
        }
        for name in ["llamacpp:tokens_predicted_total", "vllm:generation_tokens_total"] {
            Counter(label: name, factory: factory).increment(by: predicted)
        }
        if predicted > 0 { decodeRate.record(tokensPerSecond) }
        Gauge(label: "bitnet_kv_cache_usage_ratio", dimensions: [("slot", String(slot))], factory: factory).record(kvUsed)
    }

    /// Records one batched decode step of `rows` sequences (continuous batching).
    func batchedStep(rows: Int) {
        Counter(label: "bitnet_batched_decode_steps_total", factory: factory).increment()
        Counter(label: "bitnet_batched_decode_rows_total", factory: factory).increment(by: rows)
    }

    /// Records one prompt chunk evaluated between decode steps (chunked prefill under continuous batching).
    func prefillChunk() {
        Counter(label: "bitnet_prefill_chunks_total", factory: factory).increment()
    }

    /// Records a request's use of the prompt cache: `reused` prompt tokens taken from the slot's KV cache.
    func promptCache(reused: Int, evaluated: Int) {
        Counter(label: "bitnet_prompt_cache_requests_total", factory: factory).increment()
        if reused > 0 { Counter(label: "bitnet_prompt_cache_hits_total", factory: factory).increment() }
        Counter(label: "bitnet_prompt_cache_reused_tokens_total", factory: factory).increment(by: reused)
        // vLLM counts prefix-cache queries and hits in tokens.
        Counter(label: "vllm:prefix_cache_queries_total", factory: factory).increment(by: reused + evaluated)
        Counter(label: "vllm:prefix_cache_hits_total", factory: factory).increment(by: reused)
    }

    /// Records an answered embeddings request.
    func embedded(inputs: Int, tokens: Int) {
        Counter(label: "bitnet_embedding_inputs_total", factory: factory).increment(by: inputs)
        promptTokens.increment(by: tokens)
    }

    /// The Prometheus text exposition, with the queue and slot gauges read now; the gauges a gateway routes on also
    /// under llama-server's (`llamacpp:*`) and vLLM's (`vllm:*`) names.
    func exposition(queue: Int, busy: Int, slots: [SlotTable.Entry], contextLength: Int) -> String {
        queueDepth.record(queue)
        busySlots.record(busy)
        for name in ["llamacpp:requests_deferred", "vllm:num_requests_waiting"] {
            Gauge(label: name, factory: factory).record(queue)
        }
        for name in ["llamacpp:requests_processing", "vllm:num_requests_running"] {
            Gauge(label: name, factory: factory).record(busy)
        }
        // The slots' caches together: tokens held over positions available.
        let held = slots.reduce(0) { $0 + $1.cached_tokens }
        let usage = Double(held) / Double(max(1, slots.count * contextLength))
        for name in ["llamacpp:kv_cache_usage_ratio", "vllm:kv_cache_usage_perc"] {
            Gauge(label: name, factory: factory).record(usage)
        }
        return registry.emitToString()
    }
}
