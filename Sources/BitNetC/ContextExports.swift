import BitNetRuntime

// The context, version and error functions of include/bitnet.h. Every exported function runs its body through
// `cBoundary`, so no Swift error escapes; input pointers are checked for NULL and never force-unwrapped.

/// The most threads a context may ask for (each inference starts `n_threads − 1` workers).
let maxThreads: Int32 = 256
/// The largest context length accepted before a model is known (the model's own limit is checked at load).
let maxContextLength: Int32 = 1 << 20
/// The version `bitnet_version` reports, and the API version it was built against.
let libraryVersion: StaticString = "bitnet-swift 0.1.0 (C API 1)\0"
let apiVersion: Int32 = 1

/// `bitnet_context *bitnet_init(const bitnet_params *params, bitnet_error *err)`
@_cdecl("bitnet_init")
public func bitnet_init(_ params: UnsafeRawPointer?, _ err: UnsafeMutablePointer<Int32>?) -> OpaquePointer? {
    cBoundary(err, onError: { _ in nil }) { () throws(CAPIError) -> OpaquePointer? in
        var options = SessionOptions()
        if let params {
            // bitnet_params: int32 n_threads at offset 0, int32 n_ctx at offset 4 (8 bytes, see the header).
            let threads = params.loadUnaligned(fromByteOffset: 0, as: Int32.self)
            let context = params.loadUnaligned(fromByteOffset: 4, as: Int32.self)
            guard (0...maxThreads).contains(threads) else {
                throw .invalidArgument("n_threads must be in 0...\(maxThreads) (0 = physical cores), not \(threads)")
            }
            guard (0...maxContextLength).contains(context) else {
                throw .invalidArgument("n_ctx must be in 0...\(maxContextLength) (0 = the model's), not \(context)")
            }
            if threads > 0 { options.threads = Int(threads) }
            options.contextLength = Int(context)
        }
        return HandleRegistry.shared.add(.context(ContextObject(options: options)))
    }
}

/// `bitnet_error bitnet_destroy(bitnet_context *ctx)`
@_cdecl("bitnet_destroy")
public func bitnet_destroy(_ ctx: OpaquePointer?) -> Int32 {
    cBoundary { () throws(CAPIError) in try HandleRegistry.shared.remove(ctx, kind: "context") }
}

/// `const char *bitnet_version(int32_t *api_version)`
@_cdecl("bitnet_version")
public func bitnet_version(_ api: UnsafeMutablePointer<Int32>?) -> UnsafePointer<CChar> {
    api?.pointee = apiVersion
    return UnsafeRawPointer(libraryVersion.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// `const char *bitnet_error_message(bitnet_error code)`
@_cdecl("bitnet_error_message")
public func bitnet_error_message(_ code: Int32) -> UnsafePointer<CChar> {
    let unknown: StaticString = "unknown error code\0"
    let text = BitNetErrorCode(rawValue: code)?.message ?? unknown
    return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// `const char *bitnet_last_error_detail(void)`
@_cdecl("bitnet_last_error_detail")
public func bitnet_last_error_detail() -> UnsafePointer<CChar> {
    LastErrorDetail.current
}

/// `bitnet_error bitnet_check_health(const bitnet_context *ctx)`
@_cdecl("bitnet_check_health")
public func bitnet_check_health(_ ctx: OpaquePointer?) -> Int32 {
    cBoundary { () throws(CAPIError) in
        let (id, _) = try HandleRegistry.shared.context(ctx)
        let (models, inferences) = HandleRegistry.shared.children(ofContext: id)
        for m in models { try HealthCheck.mapping(of: m.engine.file) }
        for i in inferences { try HealthCheck.workers(of: i) }
    }
}
