import Foundation
import GGUF
import TestSupport
import Testing

/// The streaming writer lays out files exactly as `GGUFWriter` does and never leaves a partial file behind.
struct GGUFStreamingWriterTests {
    static let plans = [GGUFTensorPlan(name: "a", type: .f32, shape: [3]), GGUFTensorPlan(name: "b", type: .f16, shape: [5, 2])]
    static let a: [UInt8] = Array(0..<12), b: [UInt8] = Array(100..<120)

    @Test func matchesTheInMemoryWriter() throws {
        let dir = try TestModels.scratchDirectory("gguf-streaming")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var md = GGUFMetadata()
        md["general.architecture"] = .string("llama")
        md["x.list"] = .array(.uint32, [.uint32(1), .uint32(2)])
        var memory = GGUFWriter()
        for (k, v) in md.entries { memory.metadata[k] = v }
        try memory.addTensor(name: "a", type: .f32, shape: [3], bytes: Self.a)
        try memory.addTensor(name: "b", type: .f16, shape: [5, 2], bytes: Self.b)

        let path = dir + "/s.gguf"
        let w = try GGUFStreamingWriter(path: path, metadata: md, tensors: Self.plans)
        try w.append(Array(Self.a[0..<5]))
        try w.append(Array(Self.a[5...]))
        #expect(w.pendingTensor == "b")
        try w.append(Self.b)
        #expect(w.pendingTensor == nil)
        try w.commit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(memory.serialized()))
        #expect(try GGUFFile(path: path).tensors.map(\.name) == ["a", "b"])
    }

    @Test func overlongPiecesAndEarlyCommitsAreRefusedAndLeaveNothing() throws {
        let dir = try TestModels.scratchDirectory("gguf-streaming-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s.gguf"
        do {
            let w = try GGUFStreamingWriter(path: path, metadata: GGUFMetadata(), tensors: Self.plans)
            #expect(throws: GGUFError.invalidTensorData(tensor: "a", reason: "piece of 13 bytes, only 12 left of 12")) {
                try w.append([UInt8](repeating: 0, count: 13))
            }
            try w.append(Self.a)
            #expect(throws: GGUFError.invalidTensorData(tensor: "b", reason: "only 0 of 20 bytes written before commit")) {
                try w.commit()
            }
            #expect(FileManager.default.fileExists(atPath: path + ".partial"))
        }
        #expect(!FileManager.default.fileExists(atPath: path) && !FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(throws: GGUFError.self) {
            _ = try GGUFStreamingWriter(path: path, metadata: GGUFMetadata(), tensors: Self.plans + [Self.plans[0]])
        }
    }
}
