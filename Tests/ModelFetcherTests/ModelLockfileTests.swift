import Foundation
import ModelFetcher
import XCTest

/// Parsing and validating `models.lock.json`.
final class ModelLockfileTests: XCTestCase {
    static let sha = String(repeating: "ab", count: 32)

    func parse(_ json: String) throws -> ModelLockfile { try ModelLockfile(data: Data(json.utf8), origin: "test") }

    func model(_ fields: String) -> String {
        """
        {"schema_version": 1, "models": [{\(fields)}]}
        """
    }

    let valid = """
        "name": "m", "tier": "ci", "sha256": "\(sha)", "size_bytes": 10, "license": "MIT", "description": "d",
        "sources": [{"url": "https://example.invalid/m.gguf"}, {"kind": "pypi", "package": "p", "version": "1.0", "member": "p/*.gguf"}]
        """

    func testRepoLockfileParsesAndItsDefaultMatchesTheBuiltin() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models.lock.json").path
        let lock = try ModelLockfile(contentsOf: path)
        XCTAssertEqual(lock.defaultModel, ModelLockfile.builtin.defaultModel)
        XCTAssertEqual(lock.defaultModel?.name, "smollm2-135m-instruct")
        let gemma = try XCTUnwrap(lock.entry(named: "gemma3-270m"))
        XCTAssertEqual(gemma.sizeBytes, 253_113_024)
        guard case .pypi(let wheels) = gemma.sources.first else { return XCTFail("gemma3 comes from PyPI") }
        XCTAssertEqual(wheels.wheels.count, 5)
        XCTAssertEqual(try lock.select(names: [], tiers: []).map(\.name), ["smollm2-135m-instruct"])
        XCTAssertEqual(try lock.select(names: [], tiers: [.default, .ci]).map(\.name),
                       ["smollm2-135m-instruct", "gemma3-270m"])
    }

    func testValidEntry() throws {
        let lock = try parse(model(valid))
        let m = try XCTUnwrap(lock.entry(named: "m"))
        XCTAssertEqual(m.tier, .ci)
        XCTAssertEqual(m.sizeBytes, 10)
        XCTAssertEqual(m.sources.count, 2)
        XCTAssertEqual(m.sources[1], .pypi(PyPISource(wheels: [.init(package: "p", version: "1.0")], member: "p/*.gguf")))
        XCTAssertFalse(m.network)
    }

    func testErrorsNameTheProblem() {
        let cases: [(String, LockfileError)] = [
            ("not json", .notJSON(origin: "test", reason: "")),
            ("[]", .notJSON(origin: "test", reason: "the top level is not an object")),
            (#"{"models": []}"#, .missingField(model: nil, field: "schema_version")),
            (#"{"schema_version": 2, "models": []}"#, .unsupportedSchemaVersion(found: 2, supported: 1)),
            (model(valid.replacingOccurrences(of: #""tier": "ci""#, with: #""tier": "nightly""#)),
             .invalidField(model: "m", field: "tier", reason: "'nightly' is not one of default, ci, integration, bench")),
            (model(valid.replacingOccurrences(of: Self.sha, with: "XYZ")),
             .invalidField(model: "m", field: "sha256", reason: "expected 64 lower-case hex digits")),
            (model(valid.replacingOccurrences(of: #""size_bytes": 10, "#, with: "")),
             .missingField(model: "m", field: "size_bytes")),
            (model(valid.replacingOccurrences(of: "https://example.invalid", with: "ftp://example.invalid")),
             .invalidSource(model: "m", index: 0, reason: "expected 'url' with an http, https or file scheme")),
            (model(valid.replacingOccurrences(of: #", "member": "p/*.gguf""#, with: "")),
             .invalidSource(model: "m", index: 1, reason: "pypi source without 'member'")),
            (#"{"schema_version": 1, "models": [{\#(valid)}, {\#(valid)}]}"#, .duplicateName("m")),
        ]
        for (json, expected) in cases {
            XCTAssertThrowsError(try parse(json), json) { error in
                if case .notJSON(_, let reason) = expected, reason.isEmpty {
                    guard case LockfileError.notJSON = error else { return XCTFail("\(json): \(error)") }
                } else {
                    XCTAssertEqual(error as? LockfileError, expected, json)
                }
            }
        }
    }

    func testUnknownNameIsAnError() throws {
        let lock = try parse(model(valid))
        XCTAssertThrowsError(try lock.select(names: ["nope"], tiers: [])) { error in
            XCTAssertEqual(error as? LockfileError, .unknownModel(name: "nope", known: ["m"]))
        }
    }
}
