/// Why a benchmark could not run.
public enum BenchError: Error, CustomStringConvertible, Equatable {
    /// The flags do not describe a runnable benchmark.
    case invalidConfiguration(String)
    /// The model file could not be loaded (the engine's message).
    case model(String)
    /// Evaluating tokens failed (the engine's message).
    case evaluation(String)
    /// The reference `llama-bench` is not at `path`.
    case referenceMissing(path: String)
    /// The reference `llama-bench` ran but failed or printed something we could not read.
    case referenceFailed(command: String, status: Int32, output: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let why): "invalid benchmark: \(why)"
        case .model(let why): "could not load the model: \(why)"
        case .evaluation(let why): "evaluation failed during the benchmark: \(why)"
        case .referenceMissing(let path):
            "no llama-bench at \(path); build the pinned reference with `bitnet setup-reference` "
                + "(or scripts/setup-reference.sh), or run without --reference"
        case .referenceFailed(let command, let status, let output):
            "the reference benchmark `\(command)` failed (exit status \(status)): \(output.suffix(2000))"
        }
    }
}
