import BitNetRuntime
import Synchronization

/// A context: the parameters its models' inferences use.
final class ContextObject: Sendable {
    /// Session options (threads, context length) from `bitnet_params`.
    let options: SessionOptions
    init(options: SessionOptions) { self.options = options }
}

/// A loaded model and the context it belongs to.
final class ModelObject: Sendable {
    let engine: Engine
    let contextID: UInt
    let options: SessionOptions
    init(engine: Engine, contextID: UInt, options: SessionOptions) {
        self.engine = engine
        self.contextID = contextID
        self.options = options
    }
}

/// An inference: its token stream behind a lock, so calls on one handle from two threads are serialised.
final class InferenceObject: Sendable {
    let modelID: UInt
    let stream: Mutex<TokenStream>
    init(modelID: UInt, stream: consuming sending TokenStream) {
        self.modelID = modelID
        self.stream = Mutex(stream)
    }
}

/// Every live handle, by id. The handles C sees are these ids as pointer values: they are never dereferenced,
/// never reused (the counter only grows), and a lookup checks both liveness and kind, so a freed, foreign or
/// wrong-kind handle is an error code instead of undefined behaviour.
///
/// Lookups return the object (retained) and release the lock before any work, so a long `next_token` never
/// blocks other handles; freeing a handle that another thread is using only ends the registry's reference.
final class HandleRegistry: Sendable {
    enum Entry {
        case context(ContextObject)
        case model(ModelObject)
        case inference(InferenceObject)
    }

    private struct State: ~Copyable {
        var nextID: UInt = 1
        var entries: [UInt: Entry] = [:]
    }

    private let state = Mutex(State())

    /// The process-wide registry.
    static let shared = HandleRegistry()

    /// Registers `entry` and returns its handle.
    func add(_ entry: Entry) -> OpaquePointer {
        let id = state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            s.entries[id] = entry
            return id
        }
        // Ids start at 1 and only grow, so the pointer is never NULL.
        return OpaquePointer(bitPattern: id)!
    }

    /// The id behind a C handle, or an error for NULL.
    static func id(_ handle: OpaquePointer?, kind: String) throws(CAPIError) -> UInt {
        guard let handle else { throw .invalidArgument("the \(kind) handle is NULL") }
        return UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))
    }

    func context(_ handle: OpaquePointer?) throws(CAPIError) -> (UInt, ContextObject) {
        let id = try Self.id(handle, kind: "context")
        guard case .context(let c)? = state.withLock({ $0.entries[id] }) else { throw .invalidHandle("context") }
        return (id, c)
    }

    func model(_ handle: OpaquePointer?) throws(CAPIError) -> (UInt, ModelObject) {
        let id = try Self.id(handle, kind: "model")
        guard case .model(let m)? = state.withLock({ $0.entries[id] }) else { throw .invalidHandle("model") }
        return (id, m)
    }

    func inference(_ handle: OpaquePointer?) throws(CAPIError) -> InferenceObject {
        let id = try Self.id(handle, kind: "inference")
        guard case .inference(let i)? = state.withLock({ $0.entries[id] }) else { throw .invalidHandle("inference") }
        return i
    }

    /// Models of context `contextID` and inferences of model `modelID` (for health checks).
    func children(ofContext contextID: UInt) -> (models: [ModelObject], inferences: [InferenceObject]) {
        state.withLock { s in
            var models: [UInt: ModelObject] = [:]
            for (id, e) in s.entries { if case .model(let m) = e, m.contextID == contextID { models[id] = m } }
            var inferences: [InferenceObject] = []
            for e in s.entries.values {
                if case .inference(let i) = e, models[i.modelID] != nil { inferences.append(i) }
            }
            return (Array(models.values), inferences)
        }
    }

    /// Removes a handle of the given kind and everything created from it (a context's models, a model's
    /// inferences). The objects are released after the lock is dropped, so their deinits (joining threads,
    /// unmapping files) never run under it.
    func remove(_ handle: OpaquePointer?, kind: String) throws(CAPIError) {
        let id = try Self.id(handle, kind: kind)
        var removed: [Entry] = []
        let found = state.withLock { s -> Bool in
            guard let e = s.entries[id], Self.kind(of: e) == kind else { return false }
            var doomed: Set<UInt> = [id]
            // Two passes reach grandchildren: context → models → inferences.
            for _ in 0..<2 {
                for (child, e) in s.entries where !doomed.contains(child) {
                    switch e {
                    case .model(let m) where doomed.contains(m.contextID): doomed.insert(child)
                    case .inference(let i) where doomed.contains(i.modelID): doomed.insert(child)
                    default: break
                    }
                }
            }
            for d in doomed { if let e = s.entries.removeValue(forKey: d) { removed.append(e) } }
            return true
        }
        guard found else { throw .invalidHandle(kind) }
        removed.removeAll()  // the last references, outside the lock
    }

    private static func kind(of e: Entry) -> String {
        switch e {
        case .context: "context"
        case .model: "model"
        case .inference: "inference"
        }
    }
}
