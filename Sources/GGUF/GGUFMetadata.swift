/// The key/value metadata of a GGUF file, in file order, with keyed lookup and typed accessors.
public struct GGUFMetadata: Sendable, Equatable {
    /// Entries in the order they appear in the file.
    public private(set) var entries: [(key: String, value: GGUFValue)]
    private var index: [String: Int]

    /// An empty set of metadata.
    public init() { entries = []; index = [:] }

    public static func == (a: GGUFMetadata, b: GGUFMetadata) -> Bool {
        a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// Number of entries.
    public var count: Int { entries.count }

    /// All keys in file order.
    public var keys: [String] { entries.map(\.key) }

    /// The value for `key`, or nil. Setting replaces an existing value in place or appends a new key.
    public subscript(key: String) -> GGUFValue? {
        get { index[key].map { entries[$0].value } }
        set {
            if let i = index[key] {
                if let newValue { entries[i].value = newValue } else { remove(at: i) }
            } else if let newValue {
                index[key] = entries.count
                entries.append((key, newValue))
            }
        }
    }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { index[key] != nil }

    private mutating func remove(at i: Int) {
        entries.remove(at: i)
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.key, $0) })
    }

    /// Appends an entry that must not already exist; returns false for a duplicate key.
    mutating func appendUnique(_ key: String, _ value: GGUFValue) -> Bool {
        guard index[key] == nil else { return false }
        index[key] = entries.count
        entries.append((key, value))
        return true
    }

    /// Integer value of `key`, or nil when absent or not an integer.
    public func int(_ key: String) -> Int? { self[key]?.int }
    /// Floating-point value of `key` (any numeric type), or nil.
    public func float(_ key: String) -> Float? { self[key]?.float }
    /// String value of `key`, or nil.
    public func string(_ key: String) -> String? { self[key]?.string }
    /// Boolean value of `key`, or nil.
    public func bool(_ key: String) -> Bool? { self[key]?.bool }

    /// Integer value of `key`.
    /// - Throws: `GGUFError.missingKey` or `.keyTypeMismatch` naming the key.
    public func requireInt(_ key: String) throws(GGUFError) -> Int {
        guard let v = self[key] else { throw .missingKey(key: key) }
        guard let i = v.int else { throw .keyTypeMismatch(key: key, expected: "integer", found: v.type.name) }
        return i
    }

    /// Numeric value of `key` as `Float`.
    /// - Throws: `GGUFError.missingKey` or `.keyTypeMismatch` naming the key.
    public func requireFloat(_ key: String) throws(GGUFError) -> Float {
        guard let v = self[key] else { throw .missingKey(key: key) }
        guard let f = v.float else { throw .keyTypeMismatch(key: key, expected: "number", found: v.type.name) }
        return f
    }

    /// String value of `key`.
    /// - Throws: `GGUFError.missingKey` or `.keyTypeMismatch` naming the key.
    public func requireString(_ key: String) throws(GGUFError) -> String {
        guard let v = self[key] else { throw .missingKey(key: key) }
        guard let s = v.string else { throw .keyTypeMismatch(key: key, expected: "string", found: v.type.name) }
        return s
    }

    /// `general.architecture`, when present.
    public var architecture: String? { string("general.architecture") }
}
