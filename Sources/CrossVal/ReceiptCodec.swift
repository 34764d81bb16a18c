import Foundation

/// Writes and reads receipts: snake_case keys, sorted, pretty-printed; non-finite numbers as the strings
/// `"NaN"`, `"Infinity"`, `"-Infinity"` (so a run that produced them still leaves a receipt, which the verifier
/// then rejects); and a `digest` field holding `sha256:<hex>` of the canonical body without the digest.
public enum ReceiptCodec {
    /// The field holding the digest; it is left out of the bytes it covers.
    public static let digestField = "digest"
    /// The digest's prefix, naming the algorithm.
    public static let digestPrefix = "sha256:"

    static func encoder(pretty: Bool) -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }

    /// `receipt` as pretty JSON with its digest filled in (any digest it carried is replaced).
    /// - Throws: `EncodingError` (not expected: every field is encodable).
    public static func encode<Receipt: Encodable & DigestCarrying>(_ receipt: Receipt) throws -> Data {
        var body = receipt
        body.digest = nil
        body.digest = try digest(ofBody: JSONValue.parse(encoder(pretty: false).encode(body)))
        var data = try encoder(pretty: true).encode(body)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Decodes a receipt of type `Receipt` (the schema check: a missing or mistyped field throws).
    public static func decode<Receipt: Decodable>(_ type: Receipt.Type, from data: Data) throws -> Receipt {
        try decoder().decode(type, from: data)
    }

    /// `sha256:<hex>` of the canonical bytes of `document` with its top-level `digest` removed.
    public static func digest(ofBody document: JSONValue) -> String {
        var body = document
        if case .object(var members) = document {
            members.removeValue(forKey: digestField)
            body = .object(members)
        }
        return digestPrefix + SHA256Hex.of(body.canonicalBytes)
    }
}

/// A receipt type whose JSON carries a `digest` field.
public protocol DigestCarrying {
    /// `sha256:<hex>` of the canonical body; nil while the receipt is being built.
    var digest: String? { get set }
}

extension CrossValReceipt: DigestCarrying {}
