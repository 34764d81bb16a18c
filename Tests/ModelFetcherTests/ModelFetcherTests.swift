import Crypto
import Foundation
import ModelFetcher
import TestSupport
import XCTest

/// Fetches against a loopback server this test starts: full download, resume, corruption, errors, concurrency.
final class ModelFetcherTests: XCTestCase {
    var server: LoopbackHTTPServer!
    var cacheRoot: String!

    override func setUpWithError() throws {
        server = try LoopbackHTTPServer()
        cacheRoot = try TestModels.scratchDirectory("fetcher")
    }

    override func tearDown() {
        server.stop()
        try? FileManager.default.removeItem(atPath: cacheRoot)
    }

    /// Deterministic pseudo-random bytes.
    static func body(_ count: Int, seed: UInt64) -> Data {
        var rng = SeededRandom(seed: seed)
        return Data((0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    func entry(_ name: String = "toy", body: Data, sources: [ModelSource]) -> ModelEntry {
        ModelEntry(name: name, tier: .ci, sha256: Self.sha256(body), sizeBytes: Int64(body.count), license: "test",
                   description: "test model", sources: sources)
    }

    func fetcher() -> ModelFetcher {
        var http = HTTPDownloader()
        http.initialBackoff = 0.05
        http.maxBackoff = 0.2
        http.stallTimeout = 1
        return ModelFetcher(cache: ModelCache(root: cacheRoot), http: http)
    }

    func testFullDownloadThenCachedCostsNoDownload() throws {
        let body = Self.body(3 << 20, seed: 1)
        server.set("/m.gguf", .init(body: body))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        let first = try fetcher().fetch(model)
        XCTAssertEqual(first.downloadedFrom, server.url("/m.gguf").absoluteString)
        XCTAssertEqual(FileManager.default.contents(atPath: first.path), body)
        XCTAssertEqual(first.path, "\(cacheRoot!)/\(model.sha256)/model.gguf")
        let metaData = try XCTUnwrap(FileManager.default.contents(atPath: "\(cacheRoot!)/\(model.sha256)/metadata.json"))
        let meta = try JSONDecoder().decode(CachedModelMetadata.self, from: metaData)
        XCTAssertEqual(meta.name, "toy")
        XCTAssertEqual(meta.size_bytes, Int64(body.count))
        XCTAssertEqual(meta.source, server.url("/m.gguf").absoluteString)
        XCTAssertFalse(FileManager.default.fileExists(atPath: first.path + ".partial"))

        let second = try fetcher().fetch(model)
        XCTAssertNil(second.downloadedFrom)
        XCTAssertEqual(server.stats.responses, 1, "a cached model must not be downloaded again")
        XCTAssertEqual(ModelCache(root: cacheRoot).list().map(\.sha256), [model.sha256])
    }

    func testResumeAfterConnectionCutRefetchesUnder10Percent() throws {
        let body = Self.body(4 << 20, seed: 2)
        server.set("/m.gguf", .init(body: body, cutAt: 1_500_000))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        let result = try fetcher().fetch(model)
        XCTAssertEqual(FileManager.default.contents(atPath: result.path), body)
        let stats = server.stats
        let refetched = stats.bytes - body.count
        print("resume: served \(stats.bytes) body bytes in \(stats.responses) responses for a \(body.count)-byte file; "
            + "fetched twice: \(refetched) bytes (\(String(format: "%.2f", 100 * Double(refetched) / Double(body.count))) %)")
        XCTAssertGreaterThanOrEqual(stats.responses, 2, "the cut must have forced a second request")
        XCTAssertLessThan(Double(refetched), 0.10 * Double(body.count))
    }

    func testPartialLeftByAnEarlierRunIsResumedWithRange() throws {
        let body = Self.body(2 << 20, seed: 14)
        server.set("/m.gguf", .init(body: body))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        let cache = ModelCache(root: cacheRoot)
        try FileManager.default.createDirectory(atPath: cache.directory(sha256: model.sha256), withIntermediateDirectories: true)
        try body.prefix(1_234_567).write(to: URL(fileURLWithPath: cache.partialPath(sha256: model.sha256)))
        let result = try fetcher().fetch(model)
        XCTAssertEqual(FileManager.default.contents(atPath: result.path), body)
        XCTAssertEqual(server.stats.bytes, body.count - 1_234_567, "only the missing tail is downloaded")
    }

    func testDiskFullIsATypedError() throws {
        let body = Self.body(300_000, seed: 16)
        server.set("/m.gguf", .init(body: body))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        let cache = ModelCache(root: cacheRoot)
        try FileManager.default.createDirectory(atPath: cache.directory(sha256: model.sha256), withIntermediateDirectories: true)
        // Writes to /dev/full fail with ENOSPC, as on a full disk.
        try FileManager.default.createSymbolicLink(atPath: cache.partialPath(sha256: model.sha256), withDestinationPath: "/dev/full")
        XCTAssertThrowsError(try fetcher().fetch(model)) { error in
            XCTAssertEqual(error as? FetchError, .diskFull(path: cache.partialPath(sha256: model.sha256)))
            XCTAssertTrue("\(error)".contains("no space left"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.modelPath(sha256: model.sha256)))
    }

    func testRedirectIsFollowed() throws {
        let body = Self.body(300_000, seed: 15)
        server.set("/real.gguf", .init(body: body))
        server.set("/moved.gguf", .init(body: Data(), redirect: server.url("/real.gguf").absoluteString))
        let model = entry(body: body, sources: [.url(server.url("/moved.gguf"))])
        XCTAssertEqual(FileManager.default.contents(atPath: try fetcher().fetch(model).path), body)
    }

    func testStalledConnectionIsAbandonedAndResumed() throws {
        let body = Self.body(2 << 20, seed: 3)
        server.set("/m.gguf", .init(body: body, cutAt: 700_000, closeAtCut: false))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        let result = try fetcher().fetch(model)
        XCTAssertEqual(FileManager.default.contents(atPath: result.path), body)
        XCTAssertLessThan(Double(server.stats.bytes - body.count), 0.10 * Double(body.count))
    }

    func testServerIgnoringRangeStartsOver() throws {
        let body = Self.body(1 << 20, seed: 4)
        server.set("/m.gguf", .init(body: body, cutAt: 300_000, ignoreRange: true))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        let result = try fetcher().fetch(model)
        XCTAssertEqual(FileManager.default.contents(atPath: result.path), body)
    }

    func testWrongBytesGiveChecksumErrorAndLeaveNothingInCache() throws {
        let body = Self.body(1 << 20, seed: 5)
        var wrong = body
        wrong[12345] ^= 0x40
        server.set("/m.gguf", .init(body: wrong))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        XCTAssertThrowsError(try fetcher().fetch(model)) { error in
            guard case FetchError.checksumMismatch(let name, let expected, let got, let source) = error else {
                return XCTFail("expected checksumMismatch, got \(error)")
            }
            XCTAssertEqual(name, "toy")
            XCTAssertEqual(expected, model.sha256)
            XCTAssertEqual(got, Self.sha256(wrong))
            XCTAssertEqual(source, server.url("/m.gguf").absoluteString)
            XCTAssertTrue("\(error)".contains("checksum mismatch: expected \(model.sha256), got \(got) from \(source)"))
        }
        let dir = "\(cacheRoot!)/\(model.sha256)"
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/model.gguf"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/model.gguf.partial"))
    }

    func testNotFoundAndForbiddenAreTypedErrors() throws {
        let body = Self.body(1000, seed: 6)
        server.set("/forbidden", .init(body: body, status: 403))
        let missing = entry(body: body, sources: [.url(server.url("/nothing-here.gguf"))])
        XCTAssertThrowsError(try fetcher().fetch(missing)) { error in
            XCTAssertEqual(error as? FetchError, .notFound(url: server.url("/nothing-here.gguf").absoluteString))
        }
        let forbidden = entry(body: body, sources: [.url(server.url("/forbidden"))])
        XCTAssertThrowsError(try fetcher().fetch(forbidden)) { error in
            XCTAssertEqual(error as? FetchError, .forbidden(url: server.url("/forbidden").absoluteString, status: 403))
        }
    }

    func testTransientServerErrorsExhaustRetries() throws {
        let body = Self.body(1000, seed: 7)
        server.set("/busy", .init(body: body, status: 503))
        let model = entry(body: body, sources: [.url(server.url("/busy"))])
        XCTAssertThrowsError(try fetcher().fetch(model)) { error in
            guard case FetchError.retriesExhausted(_, let attempts, let last) = error else {
                return XCTFail("expected retriesExhausted, got \(error)")
            }
            XCTAssertEqual(attempts, HTTPDownloader().maxAttempts)
            XCTAssertEqual(last, "HTTP 503")
        }
    }

    func testNextSourceIsTriedWhenTheFirstFails() throws {
        let body = Self.body(200_000, seed: 8)
        server.set("/good", .init(body: body))
        let model = entry(body: body, sources: [.url(server.url("/gone")), .url(server.url("/good"))])
        let result = try fetcher().fetch(model)
        XCTAssertEqual(result.downloadedFrom, server.url("/good").absoluteString)
    }

    func testConcurrentFetchesOfOneModelDownloadOnceAndBothSucceed() throws {
        let body = Self.body(2 << 20, seed: 9)
        server.set("/m.gguf", .init(body: body, chunkDelay: 0.01))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        let results = Locked<[Result<ModelFetcher.Result, Error>]>([])
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            Thread.detachNewThread { [fetcher = fetcher()] in
                let r = Result { try fetcher.fetch(model) }
                results.withLock { $0.append(r) }
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        let all = results.withLock { $0 }
        XCTAssertEqual(all.count, 2)
        let paths = try all.map { try $0.get().path }
        XCTAssertEqual(Set(paths).count, 1)
        XCTAssertEqual(all.compactMap { try? $0.get().downloadedFrom }.count, 1, "exactly one of them downloads")
        XCTAssertEqual(server.stats.responses, 1)
        XCTAssertEqual(server.stats.bytes, body.count)
        XCTAssertEqual(FileManager.default.contents(atPath: paths[0]), body)
    }

    func testVerifyDetectsFlippedByteAndFetchRepairsIt() throws {
        let body = Self.body(1 << 20, seed: 10)
        server.set("/m.gguf", .init(body: body))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        let path = try fetcher().fetch(model).path
        XCTAssertEqual(try fetcher().verify(model), .ok)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 777_777)
        try handle.write(contentsOf: Data([body[777_777] ^ 0x01]))
        try handle.close()
        var flipped = body
        flipped[777_777] ^= 0x01
        XCTAssertEqual(try fetcher().verify(model), .corrupt(got: Self.sha256(flipped)))
        let repaired = try fetcher().fetch(model)
        XCTAssertNotNil(repaired.downloadedFrom)
        XCTAssertEqual(try fetcher().verify(model), .ok)
        try FileManager.default.removeItem(atPath: path)
        XCTAssertEqual(try fetcher().verify(model), .missing)
    }

    func testFileSourceAndMissingFile() throws {
        let body = Self.body(500_000, seed: 11)
        let source = cacheRoot + "/source.bin"
        try body.write(to: URL(fileURLWithPath: source))
        let model = entry(body: body, sources: [.url(URL(fileURLWithPath: source))])
        let result = try fetcher().fetch(model)
        XCTAssertEqual(FileManager.default.contents(atPath: result.path), body)
        XCTAssertEqual(result.downloadedFrom, URL(fileURLWithPath: source).absoluteString)

        let absent = entry(body: Self.body(10, seed: 12), sources: [.url(URL(fileURLWithPath: cacheRoot + "/absent"))])
        XCTAssertThrowsError(try fetcher().fetch(absent)) { error in
            XCTAssertEqual(error as? FetchError, .missingFile(path: cacheRoot + "/absent"))
        }
    }

    func testForceRefetches() throws {
        let body = Self.body(100_000, seed: 13)
        server.set("/m.gguf", .init(body: body))
        let model = entry(body: body, sources: [.url(server.url("/m.gguf"))])
        try fetcher().fetch(model)
        XCTAssertNotNil(try fetcher().fetch(model, force: true).downloadedFrom)
        XCTAssertEqual(server.stats.responses, 2)
    }
}

/// A value behind a lock, for collecting results from threads.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
