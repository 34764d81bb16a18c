import Foundation

/// A `models.lock.json` that cannot be used.
public enum LockfileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case notJSON(origin: String, reason: String)
    case unsupportedSchemaVersion(found: Int, supported: Int)
    case missingField(model: String?, field: String)
    case invalidField(model: String, field: String, reason: String)
    case invalidSource(model: String, index: Int, reason: String)
    case duplicateName(String)
    case unknownModel(name: String, known: [String])

    /// What is wrong with the lockfile and how to fix it, for a person.
    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read lockfile \(path): check the path (or pass --lockfile FILE)"
        case .notJSON(let origin, let reason): "lockfile \(origin) is not valid JSON: \(reason)"
        case .unsupportedSchemaVersion(let found, let supported):
            "lockfile schema_version \(found) is not supported (this bitnet reads \(supported)); update bitnet or the lockfile"
        case .missingField(let model, let field):
            "lockfile: \(model.map { "model '\($0)'" } ?? "top level") is missing '\(field)'"
        case .invalidField(let model, let field, let reason): "lockfile: model '\(model)': '\(field)' is invalid: \(reason)"
        case .invalidSource(let model, let index, let reason): "lockfile: model '\(model)': sources[\(index)]: \(reason)"
        case .duplicateName(let name): "lockfile: the name '\(name)' appears twice; names must be unique"
        case .unknownModel(let name, let known):
            "no model named '\(name)' in the lockfile (known: \(known.joined(separator: ", ")))"
        }
    }
}
