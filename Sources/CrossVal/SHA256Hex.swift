import Crypto

/// Lower-case hex SHA-256 (swift-crypto), for model file hashes and receipt digests.
enum SHA256Hex {
    /// SHA-256 of `bytes`, as 64 lower-case hex digits.
    static func of(_ bytes: UnsafeRawBufferPointer) -> String {
        var hash = SHA256()
        hash.update(bufferPointer: bytes)
        return hex(hash.finalize())
    }

    /// SHA-256 of `bytes`, as 64 lower-case hex digits.
    static func of(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { of($0) }
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
