import Foundation
import Kernels
import LlamaReference

/// The llama.cpp build a bit-exact test compares with: the reference level whose kernel routes the engine takes on
/// this host (`ReferenceLevel.exactMatch`), never another. `BITNET_REFERENCE_LEVEL` does not move it.
public enum ExactReference {
    /// The engine's kernel level and the reference level that reproduces its routes.
    public struct Pairing: CustomStringConvertible, Sendable {
        public let kernelLevel: KernelLevel
        public let referenceLevel: ReferenceLevel

        public var description: String {
            "exact tier: engine kernels \(kernelLevel), llama.cpp \(referenceLevel); host \(HostCPU.current.model) "
                + "[\(HostCPU.current.simdFlags.joined(separator: " "))]"
        }
    }

    /// No reference build takes this kernel level's routes, so no exact test can run here.
    public struct NoMatchingLevel: Error, CustomStringConvertible {
        public let kernelLevel: KernelLevel
        public var description: String {
            "no llama.cpp reference level takes the routes of the engine's \(kernelLevel) kernels; the exact tier "
                + "cannot run on this host"
        }
    }

    /// The pairing on this host.
    public static func pairing() throws -> Pairing {
        let kernels = KernelLevel.active
        guard let level = ReferenceLevel.exactMatch(forKernelLevel: kernels.rawValue) else {
            throw NoMatchingLevel(kernelLevel: kernels)
        }
        return Pairing(kernelLevel: kernels, referenceLevel: level)
    }

    /// Loads the matching reference build (checking its `reference.json` names that level) and prints the pairing
    /// once per process, so every exact test's output says what it compared.
    public static func library() throws -> ReferenceLibrary {
        let pairing = try pairing()
        let library = try ReferenceLibrary.load(level: pairing.referenceLevel)
        announce.once { print("[\(pairing)] \(library.path)") }
        return library
    }

    private static let announce = Once()
}

/// Runs a closure the first time only.
final class Once: @unchecked Sendable {
    // @unchecked: `done` is only read and written under `lock`.
    private let lock = NSLock()
    private var done = false

    func once(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        body()
    }
}
