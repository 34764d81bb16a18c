import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ReferenceLibrary {
    /// llama.cpp's rendering of `messages` (role, content) with the built-in template it recognises in `template`
    /// (`llama_chat_apply_template`), ending with the assistant opener when `addAssistant`.
    /// - Throws: `invalidArgument` when llama.cpp recognises no template.
    public func applyChatTemplate(_ template: String, messages: [(role: String, content: String)],
                                  addAssistant: Bool) throws(ReferenceError) -> String {
        let roles = messages.map { strdup($0.role) }, contents = messages.map { strdup($0.content) }
        defer { (roles + contents).forEach { free($0) } }
        let r = roles.map { UnsafePointer($0) }, c = contents.map { UnsafePointer($0) }
        var needed: Int32 = 0
        let query = template.withCString { t in
            r.withUnsafeBufferPointer { rp in
                c.withUnsafeBufferPointer { cp in
                    symbols.chatApply(t, rp.baseAddress, cp.baseAddress, Int32(messages.count), addAssistant ? 1 : 0,
                                      nil, 0, &needed)
                }
            }
        }
        guard query == ShimStatus.ok.rawValue else { throw .invalidArgument(reason: lastError()) }
        var buffer = [CChar](repeating: 0, count: Int(needed) + 1)
        let fill = template.withCString { t in
            r.withUnsafeBufferPointer { rp in
                c.withUnsafeBufferPointer { cp in
                    buffer.withUnsafeMutableBufferPointer { out in
                        // `out` holds needed + 1 bytes; the shim writes at most `needed` (no NUL).
                        symbols.chatApply(t, rp.baseAddress, cp.baseAddress, Int32(messages.count), addAssistant ? 1 : 0,
                                          out.baseAddress, needed, &needed)
                    }
                }
            }
        }
        guard fill == ShimStatus.ok.rawValue else { throw .invalidArgument(reason: lastError()) }
        return String(decoding: buffer[0..<Int(needed)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
