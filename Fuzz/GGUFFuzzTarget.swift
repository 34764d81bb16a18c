// libFuzzer entry point for the GGUF parser. Built by scripts/fuzz-gguf.sh together with Sources/GGUF/*.swift
// into one module; never part of the package build.

/// Parses arbitrary bytes; on success touches every tensor's first and last byte and renders the summary, so a
/// byte range that escaped validation would be caught by AddressSanitizer.
@_cdecl("LLVMFuzzerTestOneInput")
public func ggufFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? GGUFFile(bytes: bytes, label: "fuzz-input") else { return 0 }
    var sink: UInt8 = 0
    for t in file.tensors {
        let d = file.data(of: t)
        if let first = d.first, let last = d.last { sink ^= first ^ last }
    }
    _ = ModelSummary(file).text(tensors: file.tensors)
    return CInt(sink & 0)
}
