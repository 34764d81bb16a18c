import BitNetRuntime
import Foundation
import Hummingbird

/// Why a request was refused or failed, mapped to an HTTP status and an OpenAI-style error body
/// `{"error":{"message","type","code"}}`.
public enum ServerError: Error, Sendable, CustomStringConvertible {
    /// The body is not JSON, or a field has the wrong type or is missing.
    case malformedRequest(String)
    /// A field is out of range (negative, absurd, unsupported value).
    case invalidParameter(String)
    /// The request names a model this server does not serve.
    case unknownModel(requested: String, served: String)
    /// The prompt plus `max_tokens` do not fit the slot's context.
    case contextOverflow(promptTokens: Int, requested: Int, contextLength: Int)
    /// The body exceeded the configured limit.
    case bodyTooLarge(limit: Int)
    /// The API key is missing or wrong.
    case unauthorized
    /// Every slot is busy and the queue is full.
    case overloaded(retryAfterSeconds: Int)
    /// The model is still loading (or failed to load, with the reason).
    case unavailable(String)
    /// The request ran past the per-request timeout.
    case timeout(seconds: Double)
    /// The engine failed while running the request.
    case engine(String)

    /// The HTTP status the error is reported with.
    public var status: HTTPResponse.Status {
        switch self {
        case .malformedRequest, .invalidParameter, .contextOverflow: .badRequest
        case .unknownModel: .notFound
        case .bodyTooLarge: .contentTooLarge
        case .unauthorized: .unauthorized
        case .overloaded, .unavailable: .serviceUnavailable
        case .timeout: .gatewayTimeout
        case .engine: .internalServerError
        }
    }

    /// OpenAI's error `type`.
    public var type: String {
        switch self {
        case .malformedRequest, .invalidParameter, .contextOverflow, .unknownModel, .bodyTooLarge: "invalid_request_error"
        case .unauthorized: "authentication_error"
        case .overloaded, .unavailable: "server_busy"
        case .timeout: "timeout_error"
        case .engine: "server_error"
        }
    }

    /// A machine-readable `code`.
    public var code: String {
        switch self {
        case .malformedRequest: "invalid_json"
        case .invalidParameter: "invalid_parameter"
        case .unknownModel: "model_not_found"
        case .contextOverflow: "context_length_exceeded"
        case .bodyTooLarge: "body_too_large"
        case .unauthorized: "invalid_api_key"
        case .overloaded: "queue_full"
        case .unavailable: "model_loading"
        case .timeout: "timeout"
        case .engine: "engine_error"
        }
    }

    public var description: String {
        switch self {
        case .malformedRequest(let m): "malformed request: \(m)"
        case .invalidParameter(let m): "invalid parameter: \(m)"
        case .unknownModel(let r, let s): "model '\(r)' is not served here; this server serves '\(s)' (see GET /v1/models)"
        case .contextOverflow(let p, let r, let c):
            "the prompt has \(p) tokens and \(r) more were requested, but a slot's context holds \(c); "
                + "shorten the prompt or lower max_tokens"
        case .bodyTooLarge(let limit): "the request body exceeds the limit of \(limit) bytes"
        case .unauthorized: "missing or wrong API key; send 'Authorization: Bearer <key>'"
        case .overloaded(let s): "all slots are busy and the queue is full; retry in \(s) s"
        case .unavailable(let m): m
        case .timeout(let s): "the request took longer than the server's timeout of \(s) s"
        case .engine(let m): "inference failed: \(m)"
        }
    }

    /// Maps an engine error: parameter and context errors are the client's, the rest the server's.
    init(_ error: EngineError) {
        switch error {
        case .contextOverflow(let p, let r, let c): self = .contextOverflow(promptTokens: p, requested: r, contextLength: c)
        case .emptyPrompt: self = .invalidParameter(error.description)
        case .invalidParameter(let m): self = .invalidParameter(m)
        case .unsupportedChatTemplate(let m): self = .invalidParameter("chat completions are unavailable: \(m)")
        default: self = .engine(error.description)
        }
    }

    /// The JSON error body.
    var body: ErrorBody { ErrorBody(error: .init(message: description, type: type, code: code)) }

    /// The full HTTP response.
    func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if case .overloaded(let s) = self { headers[.retryAfter] = String(s) }
        if case .unavailable = self { headers[.retryAfter] = "1" }
        if case .unauthorized = self { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: JSONCoding.buffer(body)))
    }
}

/// `{"error":{"message","type","code"}}`.
struct ErrorBody: Codable, Sendable {
    struct Detail: Codable, Sendable { let message: String, type: String, code: String }
    let error: Detail
}
