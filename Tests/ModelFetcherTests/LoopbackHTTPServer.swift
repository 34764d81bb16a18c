import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 file server on 127.0.0.1 (an ephemeral port), started by a test: GET with `Range: bytes=N-`,
/// one request per connection, and faults on demand (cut the connection, stall, wrong status).
final class LoopbackHTTPServer: @unchecked Sendable {
    /// What one path serves.
    struct Route {
        var body: Data
        /// Answer with this status and no body (404, 403, 500 …).
        var status: Int? = nil
        /// On the first `faultyResponses` responses, stop after this absolute file offset…
        var cutAt: Int? = nil
        /// …and then close the connection (false: keep it open, silent — a stall).
        var closeAtCut = true
        var faultyResponses = 1
        /// Pause after each 64 KiB chunk (to make concurrent fetches overlap).
        var chunkDelay: TimeInterval = 0
        /// Ignore Range headers (always 200 with the whole body).
        var ignoreRange = false
        /// Answer 302 to this path instead.
        var redirect: String? = nil
    }

    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    // Guarded by `lock`.
    private var routes: [String: Route] = [:]
    private var bodyBytesSent = 0
    private var bodyResponses = 0
    private var faultsLeft: [String: Int] = [:]
    private var stopped = false
    private var openConnections: Set<Int32> = []

    init() throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard sock >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(sock, 16) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &length) }
        }
        listener = sock
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    func set(_ path: String, _ route: Route) {
        lock.withLock {
            routes[path] = route
            faultsLeft[path] = route.faultyResponses
        }
    }

    /// Body bytes written to sockets so far, and responses that carried a body.
    var stats: (bytes: Int, responses: Int) { lock.withLock { (bodyBytesSent, bodyResponses) } }

    func stop() {
        let fds: Set<Int32> = lock.withLock {
            stopped = true
            return openConnections
        }
        for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            lock.withLock { _ = openConnections.insert(fd) }
            Thread.detachNewThread { [self] in
                serve(fd)
                lock.withLock { _ = openConnections.remove(fd) }
                close(fd)
            }
        }
    }

    private func serve(_ fd: Int32) {
        var request = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.contains(Data("\r\n\r\n".utf8)) {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { return }
            request.append(contentsOf: buffer[0..<n])
        }
        let lines = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n")
        let path = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let rangeLine = lines.first { $0.lowercased().hasPrefix("range:") }
        let (route, faulty): (Route?, Bool) = lock.withLock {
            guard let route = routes[path] else { return (nil, false) }
            let left = faultsLeft[path] ?? 0
            if route.cutAt != nil && left > 0 { faultsLeft[path] = left - 1 }
            return (route, route.cutAt != nil && left > 0)
        }
        guard let route else { return respond(fd, head: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n") }
        if let target = route.redirect { return respond(fd, head: "HTTP/1.1 302 Found\r\nLocation: \(target)\r\nContent-Length: 0\r\n") }
        if let status = route.status { return respond(fd, head: "HTTP/1.1 \(status) Status\r\nContent-Length: 0\r\n") }
        var start = 0
        if let rangeLine, !route.ignoreRange,
           let spec = rangeLine.split(separator: "=").last?.split(separator: "-", omittingEmptySubsequences: false).first,
           let from = Int(spec.trimmingCharacters(in: .whitespaces)) {
            start = from
        }
        guard start < route.body.count else {
            return respond(fd, head: "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */\(route.body.count)\r\nContent-Length: 0\r\n")
        }
        let length = route.body.count - start
        let head = start > 0
            ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes \(start)-\(route.body.count - 1)/\(route.body.count)\r\nContent-Length: \(length)\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Length: \(length)\r\n"
        respond(fd, head: head)
        lock.withLock { bodyResponses += 1 }
        let end = faulty ? min(route.cutAt!, route.body.count) : route.body.count
        var offset = start
        while offset < end {
            let chunk = min(64 << 10, end - offset)
            // Bounds: offset + chunk <= end <= body.count.
            let written = route.body.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, chunk, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return }
            offset += written
            lock.withLock { bodyBytesSent += written }
            if route.chunkDelay > 0 { Thread.sleep(forTimeInterval: route.chunkDelay) }
        }
        if faulty && !route.closeAtCut {
            // Stall: hold the connection open and silent until the client gives up or the server stops.
            while read(fd, &buffer, buffer.count) > 0 {}
        }
    }

    private func respond(_ fd: Int32, head: String) {
        let bytes = Array((head + "Connection: close\r\n\r\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
