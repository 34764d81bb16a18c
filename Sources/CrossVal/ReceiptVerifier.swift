import Foundation

/// Checks one kind of receipt. `bitnet verify-receipt` dispatches on the document's `kind` field to the verifiers in
/// `ReceiptVerifier.standard` (`CrossValReceiptVerifier`, `BenchReceiptVerifier`).
public protocol ReceiptKindVerifier: Sendable {
    /// The `kind` value this verifier accepts.
    var kind: String { get }
    /// The problems found in `document` (already parsed from `data`); empty means valid.
    func problems(in data: Data, document: JSONValue) -> [String]
}

/// The verdict on a receipt file.
public struct ReceiptVerdict: Sendable, Equatable {
    /// The receipt's kind, when it could be read.
    public var kind: String?
    /// Everything wrong with it; empty means valid.
    public var problems: [String]
    /// True when nothing is wrong.
    public var isValid: Bool { problems.isEmpty }
}

/// Verifies receipt files: JSON, a known `kind`, an intact digest, then the kind's own checks.
public struct ReceiptVerifier: Sendable {
    /// The verifiers by kind.
    public var verifiers: [any ReceiptKindVerifier]

    /// A verifier for the given kinds.
    public init(verifiers: [any ReceiptKindVerifier]) { self.verifiers = verifiers }

    /// The kinds this module knows: cross-validation and bench receipts.
    public static let standard = ReceiptVerifier(verifiers: [CrossValReceiptVerifier(), BenchReceiptVerifier()])

    /// Checks `data`.
    public func verify(_ data: Data) -> ReceiptVerdict {
        let document: JSONValue
        do { document = try JSONValue.parse(data) } catch {
            return ReceiptVerdict(kind: nil, problems: ["not JSON: \(error)"])
        }
        guard case .string(let kind)? = document["kind"] else {
            return ReceiptVerdict(kind: nil, problems: ["schema: no string field `kind`"])
        }
        guard let verifier = verifiers.first(where: { $0.kind == kind }) else {
            let known = verifiers.map(\.kind).joined(separator: ", ")
            return ReceiptVerdict(kind: kind, problems: ["unknown receipt kind \"\(kind)\" (known: \(known))"])
        }
        var problems: [String] = []
        if case .string(let stated)? = document[ReceiptCodec.digestField] {
            let actual = ReceiptCodec.digest(ofBody: document)
            if stated != actual {
                problems.append("digest mismatch: the receipt states \(stated) but its body hashes to \(actual); "
                    + "it was edited after it was written")
            }
        } else {
            problems.append("schema: no string field `digest`")
        }
        problems += verifier.problems(in: data, document: document)
        return ReceiptVerdict(kind: kind, problems: problems)
    }
}

/// Whether an identity string in a receipt (engine name or version, reference commit, paths) is empty, `unknown`,
/// or names a mock or fake: what both receipt verifiers reject.
func isPlaceholderIdentity(_ s: String) -> Bool {
    let t = s.trimmingCharacters(in: .whitespaces).lowercased()
    return t.isEmpty || t.contains("mock") || t.contains("fake") || t == "unknown"
}
