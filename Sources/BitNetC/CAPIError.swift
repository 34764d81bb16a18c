import BitNetModels
import BitNetRuntime
import Foundation
import GGUF

/// The codes of `enum bitnet_error_code` in include/bitnet.h (same values; keep the two in step).
enum BitNetErrorCode: Int32, CaseIterable {
    case ok = 0
    case invalidArgument = 1
    case fileNotFound = 2
    case invalidModel = 3
    case unsupported = 4
    case outOfMemory = 5
    case contextOverflow = 6
    case inferenceFailed = 7
    case cancelled = 8
    case `internal` = 9
    case invalidHandle = 10
    case bufferTooSmall = 11

    /// The static text `bitnet_error_message` returns (NUL-terminated literals live for the whole process).
    var message: StaticString {
        switch self {
        case .ok: "success\0"
        case .invalidArgument: "invalid argument\0"
        case .fileNotFound: "file not found\0"
        case .invalidModel: "invalid model file\0"
        case .unsupported: "unsupported model\0"
        case .outOfMemory: "out of memory\0"
        case .contextOverflow: "context overflow\0"
        case .inferenceFailed: "inference failed\0"
        case .cancelled: "cancelled\0"
        case .internal: "internal error\0"
        case .invalidHandle: "invalid handle (freed, foreign or of the wrong kind)\0"
        case .bufferTooSmall: "buffer too small (the return value is the size needed)\0"
        }
    }
}

/// Why a C API call failed: a code for the caller's `switch` and a message for `bitnet_last_error_detail`.
struct CAPIError: Error, CustomStringConvertible {
    /// The code returned through `bitnet_error*`.
    let code: BitNetErrorCode
    /// What happened and what to do next.
    let description: String
    /// The size a two-pass call needed (only for `.bufferTooSmall`).
    var neededSize = 0

    init(_ code: BitNetErrorCode, _ description: String) {
        self.code = code
        self.description = description
    }

    static func invalidArgument(_ what: String) -> CAPIError { CAPIError(.invalidArgument, what) }

    static func invalidHandle(_ kind: String) -> CAPIError {
        CAPIError(.invalidHandle, "the \(kind) handle is not live: it was freed (or its parent was), or it was "
            + "never returned by this library, or it is another kind of handle")
    }

    static func bufferTooSmall(needed: Int, capacity: Int, unit: String) -> CAPIError {
        var e = CAPIError(.bufferTooSmall, "the buffer holds \(capacity) \(unit) but \(needed) are needed; "
            + "call again with a buffer of that size")
        e.neededSize = needed
        return e
    }

    /// Maps an engine error to the code a C caller can act on.
    init(_ error: EngineError) {
        switch error {
        case .file(let e):
            switch e {
            case .cannotOpen: self.init(.fileNotFound, e.description)
            case .unsupportedVersion, .unknownTensorType: self.init(.unsupported, e.description)
            default: self.init(.invalidModel, e.description)
            }
        case .model(let e):
            switch e {
            case .contextOverflow: self.init(.contextOverflow, e.description)
            case .unsupportedArchitecture: self.init(.unsupported, e.description)
            default: self.init(.invalidModel, e.description)
            }
        case .tokenizer: self.init(.invalidModel, error.description)
        case .contextOverflow: self.init(.contextOverflow, error.description)
        case .emptyPrompt, .invalidParameter: self.init(.invalidArgument, error.description)
        case .unsupportedChatTemplate: self.init(.unsupported, error.description)
        }
    }
}
