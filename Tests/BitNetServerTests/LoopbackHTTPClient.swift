import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a blocking loopback socket: one request per connection (`Connection: close`),
/// chunked bodies decoded. Blocking calls run on a Dispatch queue, never on the cooperative pool the server uses.
struct LoopbackHTTPClient {
    let port: Int

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try (JSONSerialization.jsonObject(with: body) as? [String: Any]).unwrap("JSON object in \(text)")
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Sends a request and reads the whole reply.
    func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        let port = port
        return try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                do {
                    let fd = try Self.connect(port)
                    defer { close(fd) }
                    try Self.write(fd, Self.request(method, path, body: body, headers: headers))
                    c.resume(returning: try Self.parse(Self.readAll(fd)))
                } catch { c.resume(throwing: error) }
            }
        }
    }

    /// POSTs a JSON object.
    func post(_ path: String, json: Any, headers: [String: String] = [:]) async throws -> Reply {
        try await send("POST", path, body: JSONSerialization.data(withJSONObject: json), headers: headers)
    }

    /// Opens a connection, sends the request, reads until `marker` appears, and returns the still-open socket.
    func openStream(_ path: String, json: Any, until marker: String) async throws -> Int32 {
        let port = port
        let payload = try JSONSerialization.data(withJSONObject: json)
        return try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                do {
                    let fd = try Self.connect(port)
                    try Self.write(fd, Self.request("POST", path, body: payload, headers: [:]))
                    var got = Data()
                    var buf = [UInt8](repeating: 0, count: 4096)
                    while !String(decoding: got, as: UTF8.self).contains(marker) {
                        let n = read(fd, &buf, buf.count)
                        guard n > 0 else { close(fd); throw Failure(description: "stream ended before \(marker)") }
                        got.append(contentsOf: buf[0..<n])
                    }
                    c.resume(returning: fd)
                } catch { c.resume(throwing: error) }
            }
        }
    }

    static func request(_ method: String, _ path: String, body: Data?, headers: [String: String]) -> Data {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        return Data((head + "\r\n").utf8) + (body ?? Data())
    }

    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw Failure(description: "connect to 127.0.0.1:\(port) failed") }
        return fd
    }

    static func write(_ fd: Int32, _ data: Data) throws {
        var sent = 0
        try data.withUnsafeBytes { (p: UnsafeRawBufferPointer) in
            while sent < p.count {
                // Bounds: `sent < p.count`, so the pointer and length stay inside the buffer.
                let n = Glibc.send(fd, p.baseAddress! + sent, p.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw Failure(description: "send failed") }
                sent += n
            }
        }
    }

    static func readAll(_ fd: Int32) -> Data {
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { return out }
            out.append(contentsOf: buf[0..<n])
        }
    }

    static func parse(_ raw: Data) throws -> Reply {
        guard let split = raw.range(of: Data("\r\n\r\n".utf8)) else { throw Failure(description: "no HTTP header in reply") }
        let head = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(raw[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        return Reply(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) throws -> Data {
        var out = Data()
        var i = data.startIndex
        while let lineEnd = data[i...].range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure(description: "bad chunk size '\(sizeText)'")
            }
            if size == 0 { break }
            let start = lineEnd.upperBound
            guard data.distance(from: start, to: data.endIndex) >= size + 2 else { throw Failure(description: "short chunk") }
            out.append(data[start..<data.index(start, offsetBy: size)])
            i = data.index(start, offsetBy: size + 2)
        }
        return out
    }
}

extension Optional {
    func unwrap(_ what: String) throws -> Wrapped {
        guard let self else { throw LoopbackHTTPClient.Failure(description: "expected \(what)") }
        return self
    }
}
