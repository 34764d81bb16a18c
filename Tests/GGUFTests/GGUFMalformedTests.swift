import Foundation
import GGUF
import TestSupport
import Testing

/// Every malformed-file class gets a typed error, never a crash. Each case corrupts the real SmolLM2 file.
@Suite(.serialized) struct GGUFMalformedTests {
    /// The real file's bytes, read once.
    static let real: Result<[UInt8], Error> = Result { try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestModels.smolLM2()))) }

    /// Byte offset of the GGUF string `s` (its u64 length prefix) in `bytes`.
    static func offsetOfString(_ s: String, in bytes: [UInt8]) throws -> Int {
        var needle: [UInt8] = []
        withUnsafeBytes(of: UInt64(s.utf8.count).littleEndian) { needle.append(contentsOf: $0) }
        needle.append(contentsOf: s.utf8)
        let limit = min(bytes.count, 4_000_000) - needle.count
        for i in 0..<limit where bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle { return i }
        throw TestModels.Missing(what: "string '\(s)' in the model header", searched: ["header"], fix: "check the fixture")
    }

    /// Offset just past the tensor name `name`, i.e. where its n_dims field starts.
    static func tensorInfo(_ name: String, in bytes: [UInt8]) throws -> Int {
        try offsetOfString(name, in: bytes) + 8 + name.utf8.count
    }

    static func put<T: FixedWidthInteger>(_ v: T, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }

    static func get<T: FixedWidthInteger>(_: T.Type, at offset: Int, in bytes: [UInt8]) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// Parses `bytes` and returns the error, failing the test if parsing succeeds or throws something else.
    static func parseError(_ bytes: [UInt8]) -> GGUFError? {
        do {
            _ = try GGUFFile(bytes: bytes, label: "corrupt.gguf")
            Issue.record("corrupt file parsed without error")
            return nil
        } catch {
            #expect(error.description.contains("corrupt.gguf"), "error names the file: \(error)")
            return error
        }
    }

    @Test func badMagic() throws {
        var b = try Self.real.get()
        b[0] = 0x47 ^ 0xff
        guard case .badMagic(_, let found)? = Self.parseError(b) else { Issue.record("expected badMagic"); return }
        #expect(found & 0xff == 0xb8)
    }

    @Test func unsupportedVersion() throws {
        var b = try Self.real.get()
        for v: UInt32 in [1, 4, 0xffff_ffff] {
            Self.put(v, at: 4, in: &b)
            guard case .unsupportedVersion(_, v)? = Self.parseError(b) else { Issue.record("expected unsupportedVersion \(v)"); return }
        }
    }

    @Test(arguments: [0, 3, 7, 12, 20])
    func truncatedHeader(length: Int) throws {
        let b = Array(try Self.real.get().prefix(length))
        guard case .truncated? = Self.parseError(b) else { Issue.record("expected truncated at \(length)"); return }
    }

    @Test func truncatedMetadata() throws {
        let real = try Self.real.get()
        let tokens = try Self.offsetOfString("tokenizer.ggml.tokens", in: real)
        for cut in [30, 500, tokens + 10, tokens + 40_000] {
            let err = Self.parseError(Array(real.prefix(cut)))
            switch err {
            case .truncated?, .lengthBeyondFile?: break
            default: Issue.record("cut at \(cut): expected truncated/lengthBeyondFile, got \(String(describing: err))")
            }
        }
    }

    @Test func truncatedTensorTable() throws {
        let real = try Self.real.get()
        // Cut inside the last tensor's dimensions, so the directory is short by a few bytes.
        let last = try GGUFFile(bytes: real).tensors.last!.name
        let dims = try Self.tensorInfo(last, in: real) + 4
        guard case .truncated(_, let offset, let what, 8, _)? = Self.parseError(Array(real.prefix(dims + 5))) else {
            Issue.record("expected truncated"); return
        }
        #expect(offset == dims)
        #expect(what.contains("dimensions of '\(last)'"))
        // A cut inside the name itself: the declared name length reaches past the end.
        let nameAt = try Self.offsetOfString(last, in: real)
        guard case .lengthBeyondFile(_, nameAt, _, _, _)? = Self.parseError(Array(real.prefix(nameAt + 12))) else {
            Issue.record("expected lengthBeyondFile"); return
        }
    }

    @Test func truncatedTensorData() throws {
        let real = try Self.real.get()
        let cut = real.count - 1000
        guard case .tensorOutOfBounds(_, _, _, _, let size)? = Self.parseError(Array(real.prefix(cut))) else {
            Issue.record("expected tensorOutOfBounds"); return
        }
        #expect(size == cut)
    }

    @Test func stringLengthBeyondFile() throws {
        var b = try Self.real.get()
        let at = try Self.offsetOfString("general.name", in: b)
        Self.put(UInt64(1) << 40, at: at, in: &b)
        guard case .lengthBeyondFile(_, at, _, UInt64(1) << 40, _)? = Self.parseError(b) else {
            Issue.record("expected lengthBeyondFile at \(at)"); return
        }
    }

    @Test func arrayLengthBeyondFile() throws {
        var b = try Self.real.get()
        let key = "tokenizer.ggml.tokens"
        let countAt = try Self.offsetOfString(key, in: b) + 8 + key.utf8.count + 4 + 4
        #expect(Self.get(UInt64.self, at: countAt, in: b) == 49152)
        Self.put(UInt64.max / 2, at: countAt, in: &b)
        guard case .lengthBeyondFile(_, _, let what, _, _)? = Self.parseError(b) else {
            Issue.record("expected lengthBeyondFile"); return
        }
        #expect(what.contains(key))
    }

    @Test func unknownMetadataValueType() throws {
        var b = try Self.real.get()
        let at = try Self.offsetOfString("general.type", in: b) + 8 + 12
        Self.put(UInt32(13), at: at, in: &b)
        guard case .unknownValueType(_, at, "general.type", 13)? = Self.parseError(b) else {
            Issue.record("expected unknownValueType"); return
        }
    }

    @Test func tensorAndMetadataCountsThatOverflow() throws {
        var b = try Self.real.get()
        Self.put(UInt64.max, at: 8, in: &b)
        guard case .lengthBeyondFile(_, 8, "tensor count", _, _)? = Self.parseError(b) else {
            Issue.record("expected tensor count error"); return
        }
        b = try Self.real.get()
        Self.put(UInt64(1) << 62, at: 16, in: &b)
        guard case .lengthBeyondFile(_, 16, "metadata count", _, _)? = Self.parseError(b) else {
            Issue.record("expected metadata count error"); return
        }
    }

    @Test func dimensionsThatOverflow() throws {
        var b = try Self.real.get()
        let info = try Self.tensorInfo("blk.0.attn_q.weight", in: b)
        #expect(Self.get(UInt32.self, at: info, in: b) == 2)
        Self.put(UInt64(1) << 40, at: info + 4, in: &b)
        Self.put(UInt64(1) << 40, at: info + 12, in: &b)
        guard case .dimensionOverflow(_, _, "blk.0.attn_q.weight", _)? = Self.parseError(b) else {
            Issue.record("expected dimensionOverflow"); return
        }
        b = try Self.real.get()
        Self.put(UInt32(7), at: info, in: &b)
        guard case .invalidDimensions(_, _, "blk.0.attn_q.weight", 7)? = Self.parseError(b) else {
            Issue.record("expected invalidDimensions"); return
        }
    }

    @Test func unknownTensorType() throws {
        var b = try Self.real.get()
        let info = try Self.tensorInfo("blk.0.attn_q.weight", in: b)
        Self.put(UInt32(99), at: info + 4 + 16, in: &b)
        guard case .unknownTensorType(_, _, "blk.0.attn_q.weight", 99)? = Self.parseError(b) else {
            Issue.record("expected unknownTensorType"); return
        }
    }

    @Test func tensorDataOutsideFile() throws {
        var b = try Self.real.get()
        let info = try Self.tensorInfo("blk.0.attn_q.weight", in: b)
        Self.put(UInt64(1) << 40, at: info + 4 + 16 + 4, in: &b)
        guard case .tensorOutOfBounds(_, "blk.0.attn_q.weight", _, _, _)? = Self.parseError(b) else {
            Issue.record("expected tensorOutOfBounds"); return
        }
    }

    @Test func misalignedTensor() throws {
        var b = try Self.real.get()
        let info = try Self.tensorInfo("blk.0.attn_q.weight", in: b)
        let offAt = info + 4 + 16 + 4
        Self.put(Self.get(UInt64.self, at: offAt, in: b) + 4, at: offAt, in: &b)
        guard case .misalignedTensor(_, "blk.0.attn_q.weight", _, 32)? = Self.parseError(b) else {
            Issue.record("expected misalignedTensor"); return
        }
    }

    @Test func overlappingTensors() throws {
        var b = try Self.real.get()
        let q = try Self.tensorInfo("blk.0.attn_q.weight", in: b) + 4 + 16 + 4
        let k = try Self.tensorInfo("blk.0.attn_k.weight", in: b) + 4 + 16 + 4
        Self.put(Self.get(UInt64.self, at: q, in: b), at: k, in: &b)
        guard case .overlappingTensors? = Self.parseError(b) else { Issue.record("expected overlappingTensors"); return }
    }

    @Test func duplicateKey() throws {
        var b = try Self.real.get()
        let at = try Self.offsetOfString("general.type", in: b)
        b.replaceSubrange((at + 8)..<(at + 20), with: Array("general.name".utf8))
        guard case .duplicateKey(_, _, "general.name")? = Self.parseError(b) else { Issue.record("expected duplicateKey"); return }
    }

    @Test func duplicateTensorName() throws {
        var b = try Self.real.get()
        let at = try Self.offsetOfString("blk.0.attn_k.weight", in: b)
        b.replaceSubrange((at + 8)..<(at + 8 + 19), with: Array("blk.0.attn_q.weight".utf8))
        guard case .duplicateTensorName(_, _, "blk.0.attn_q.weight")? = Self.parseError(b) else {
            Issue.record("expected duplicateTensorName"); return
        }
    }

    @Test func invalidAlignment() throws {
        var w = GGUFWriter()
        w.metadata["general.alignment"] = .uint32(24)
        guard case .invalidAlignment? = Self.parseError(w.serialized()) else { Issue.record("expected invalidAlignment"); return }
    }

    @Test func emptyAndMissingFiles() throws {
        guard case .truncated? = Self.parseError([]) else { Issue.record("expected truncated"); return }
        #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        #expect(throws: GGUFError.self) { try GGUFFile(path: "/tmp") }
    }

    @Test func deeplyNestedArraysAreRejected() throws {
        var v = GGUFValue.array(.int32, [])
        for _ in 0..<12 { v = .array(.array, [v]) }
        var w = GGUFWriter()
        w.metadata["deep"] = v
        guard case .nestingTooDeep? = Self.parseError(w.serialized()) else { Issue.record("expected nestingTooDeep"); return }
    }
}
