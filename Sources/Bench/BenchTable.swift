import Foundation

/// `BenchReport` as llama-bench's markdown table, plus llama.cpp's rate and the ratio when the reference ran.
public enum BenchTable {
    /// The table, one row per test.
    public static func markdown(_ report: BenchReport) -> String {
        let withReference = report.tests.contains { $0.referenceSamples != nil }
        var header = ["model", "size", "params", "backend", "threads", "test", "t/s"]
        if withReference { header += ["llama.cpp t/s", "vs llama.cpp"] }
        let withTraffic = report.tests.contains { $0.gigabytesPerSecond != nil }
        if withTraffic { header += ["GB/s", "% of bound"] }
        let size = String(format: "%.2f MiB", Double(report.sizeBytes) / 1_048_576)
        let params = String(format: "%.2f M", Double(report.parameters) / 1e6)
        let rows = report.tests.map { t -> [String] in
            var row = [report.model, size, params, report.backend, "\(report.threads)", t.test,
                       rate(t.mean, t.standardDeviation)]
            if withReference {
                row += [t.referenceMean.map { rate($0, t.referenceStandardDeviation ?? 0) } ?? "–",
                        t.ratio.map { String(format: "%.2f×", $0) } ?? "–"]
            }
            if withTraffic {
                row += [t.gigabytesPerSecond.map { String(format: "%.2f", $0) } ?? "–",
                        t.percentOfBound.map { String(format: "%.1f %%", $0) } ?? "–"]
            }
            return row
        }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max()! }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i < 4 ? c + pad : pad + c  // text left, numbers right, as llama-bench
            }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.enumerated().map { i, w in
            String(repeating: "-", count: w + 1) + (i < 4 ? "-" : ":")
        }.joined(separator: "|") + "|"
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    /// The lines under the table: kernels, reference build, load time, peak RSS, bandwidth and decode traffic.
    public static func footer(_ report: BenchReport) -> String {
        var lines = ["kernels: \(report.kernels.joined(separator: ", "))"
            + (report.reference.map { "; llama.cpp build \($0.build)" } ?? "")]
        if let other = report.referenceModelPath { lines.append("llama.cpp ran another file: \(other)") }
        lines.append(String(format: "load: %.3f s", report.loadSeconds)
            + (report.referenceLoadSeconds.map { String(format: " (llama.cpp %.3f s)", $0) } ?? "")
            + String(format: "; peak RSS: %.1f MiB", Double(report.peakResidentBytes) / 1_048_576)
            + (report.referencePeakResidentBytes.map {
                String(format: " (llama-bench %.1f MiB)", Double($0) / 1_048_576)
            } ?? "")
            + String(format: "; file + KV cache + 10 %%: %.1f MiB",
                     Double(report.fileBytes + report.kvCacheBytes) * 1.1 / 1_048_576))
        if let b = report.bandwidth {
            if let samples = b.samples {
                lines.append(String(format: "memory read bandwidth: %.2f GB/s, median of %d probes (one after each decode "
                    + "repetition: %@), %d thread(s), %d MiB", b.gigabytesPerSecond, samples.count,
                    samples.map { String(format: "%.1f", $0) }.joined(separator: " "), b.threads, b.bufferBytes >> 20))
            } else {
                lines.append(String(format: "memory read bandwidth: %.2f GB/s (%d thread(s), best of %d passes over %d MiB)",
                                    b.gigabytesPerSecond, b.threads, b.passes, b.bufferBytes >> 20))
            }
        }
        if report.tests.contains(where: { $0.bytesPerToken != nil }) {
            lines.append(String(format: "decode traffic: %.2f MB weights + %.1f KB KV per attended position per token",
                                Double(report.traffic.weightBytes) / 1e6,
                                Double(report.traffic.kvBytesPerPosition) / 1e3))
        }
        return lines.joined(separator: "\n")
    }

    static func rate(_ mean: Double, _ std: Double) -> String { String(format: "%.2f ± %.2f", mean, std) }

    /// The report as one JSON object (sorted keys).
    public static func json(_ report: BenchReport) throws -> String { try jsonText(report) }

    /// Any of the bench values as pretty JSON with sorted keys (camelCase, as the Swift properties are named).
    public static func jsonText<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
