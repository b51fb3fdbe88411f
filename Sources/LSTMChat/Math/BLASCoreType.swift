import Foundation

/// The CPU as /proc/cpuinfo describes its first processor.
public struct CPUDescription: Equatable, Sendable {
    public var vendor: String
    public var family: Int
    public var model: Int
    public var modelName: String
    public var flags: Set<String>

    public init(vendor: String, family: Int, model: Int = 0, modelName: String = "", flags: Set<String>) {
        self.vendor = vendor; self.family = family; self.model = model; self.modelName = modelName; self.flags = flags
    }

    /// The first processor's entry of a /proc/cpuinfo text (nil when it has no flags line).
    public init?(cpuinfo text: String) {
        var vendor = "", family = 0, model = 0, modelName = "", flags: Set<String>?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty, flags != nil { break }  // the end of the first processor
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "vendor_id": vendor = parts[1]
            case "cpu family": family = Int(parts[1]) ?? 0
            case "model": model = Int(parts[1]) ?? 0
            case "model name": modelName = parts[1]
            case "flags": flags = Set(parts[1].split(separator: " ").map(String.init))
            default: continue
            }
        }
        guard let flags else { return nil }
        self.init(vendor: vendor, family: family, model: model, modelName: modelName, flags: flags)
    }

    public static var thisMachine: CPUDescription? {
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).flatMap { CPUDescription(cpuinfo: $0) }
    }

    var isAMD: Bool { vendor == "AuthenticAMD" || vendor == "HygonGenuine" }
    var isIntel: Bool { vendor == "GenuineIntel" }
    /// "AMD family 19h model 1h"-style name for messages.
    var summary: String {
        let who = isAMD ? "AMD" : isIntel ? "Intel" : vendor.isEmpty ? "unknown vendor" : vendor
        return "\(who) family \(String(family, radix: 16))h model \(String(model, radix: 16))h"
    }
}

/// Chooses OpenBLAS's kernel set ("core type") by what the CPU can do, not by its vendor.
///
/// Debian's OpenBLAS 0.3.21 does not recognise newer CPUs: it runs a Zen 5 with AVX-512 on its
/// AVX2 kernels (half the speed) and some Intel CPUs on "Prescott" (a fifth). OpenBLAS picks its
/// kernels in its library constructor, before `main`, from `OPENBLAS_CORETYPE`; so when the core
/// it detected is not the one chosen here, lstmchat sets the variable and re-executes itself
/// once. A value the user set always wins.
///
/// The table: AVX-512 F/BW/VL/DQ → SkylakeX (Cooperlake with AVX-512 BF16), on Intel and AMD
/// alike; AVX2 + FMA → Zen on AMD, Haswell on Intel; AVX → Sandybridge; older CPUs are left to
/// OpenBLAS. Where the table cannot know (another vendor, a partial AVX-512, a virtual machine
/// that shows AVX but hides AVX2), the candidates are measured instead: a 768² sgemm on one
/// thread in a child process per core type (OpenBLAS cannot change kernels once loaded; a core
/// the CPU cannot run dies there, not here), once per CPU model, the result cached in
/// `$XDG_CACHE_HOME/lstmchat/` (else `~/.cache/lstmchat/`).
public enum BLASCoreType {
    public enum Choice: Equatable, Sendable {
        /// The table knows: this core, for this reason.
        case core(String, reason: String)
        /// The table cannot know: measure these cores.
        case measure([String], reason: String)
        /// Nothing better than OpenBLAS's own detection.
        case openBLAS(reason: String)
    }

    public static func choose(_ cpu: CPUDescription) -> Choice {
        let f = cpu.flags
        if f.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) {
            return f.contains("avx512_bf16")
                ? .core("Cooperlake", reason: "AVX-512 F/BW/VL/DQ with BF16")
                : .core("SkylakeX", reason: "AVX-512 F/BW/VL/DQ")
        }
        if f.contains("avx512f") {
            return .measure(["SkylakeX", "Haswell"], reason: "AVX-512 F without all of BW/VL/DQ")
        }
        if f.isSuperset(of: ["avx2", "fma"]) {
            if cpu.isAMD, cpu.family >= 0x17 { return .core("Zen", reason: "AMD Zen with AVX2 and FMA, no AVX-512") }
            if cpu.isIntel { return .core("Haswell", reason: "AVX2 and FMA, no AVX-512") }
            return .measure(["Haswell", "Zen"], reason: "AVX2 and FMA on a CPU the table does not know")
        }
        if f.contains("avx") {
            if f.contains("hypervisor") {
                return .measure(["Haswell", "Sandybridge"], reason: "a virtual machine showing AVX but not AVX2")
            }
            return .core("Sandybridge", reason: "AVX, no AVX2")
        }
        return .openBLAS(reason: "no AVX: OpenBLAS's own detection")
    }

    /// Whether OpenBLAS should be restarted with `chosen`: it detected another core, and the
    /// user has not set `OPENBLAS_CORETYPE`.
    public static func needsRestart(detected: String, chosen: String?, environment: [String: String]) -> Bool {
        guard let chosen, (environment["OPENBLAS_CORETYPE"] ?? "").isEmpty else { return false }
        return detected.lowercased() != chosen.lowercased()
    }

    /// Why OpenBLAS runs the core it runs, for `lstmchat --version`.
    public private(set) static var reason = "not chosen by lstmchat"

    // Set on the restarted process: the choice was ours, and why.
    static let reasonVariable = "LSTMCHAT_BLAS_REASON"
    // Set on a calibration child: measure sgemm and print it instead of running a command.
    static let calibrationVariable = "LSTMCHAT_BLAS_CALIBRATION"
    /// Set to 1 by a user: measure every core type the CPU might run, even where the table knows.
    public static let measureVariable = "LSTMCHAT_BLAS_MEASURE"

    /// What `LSTMCHAT_BLAS_MEASURE=1` measures: the table's choice first, then the other x86-64 cores.
    static func allCandidates(_ cpu: CPUDescription) -> [String] {
        var cores: [String] = []
        if case let .core(core, _) = choose(cpu) { cores.append(core) }
        for core in ["Cooperlake", "SkylakeX", "Zen", "Haswell", "Sandybridge"] where !cores.contains(core) { cores.append(core) }
        return cores
    }

    /// Runs before anything else in `main`: answers a calibration request from a parent, or
    /// restarts this program with the chosen kernels. Returns when this process should go on.
    /// `measuring: false` (for `--version`) takes a cached measurement but starts none, unless
    /// `LSTMCHAT_BLAS_MEASURE=1` asks for one.
    public static func startUp(measuring: Bool = true) {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        if environment[calibrationVariable] == "1" {
            print("\(BLASInfo.coreName) \(calibrationGFLOPS())")
            exit(0)
        }
        if let ours = environment[reasonVariable], !ours.isEmpty { reason = ours; return }
        if let theirs = environment["OPENBLAS_CORETYPE"], !theirs.isEmpty {
            reason = "OPENBLAS_CORETYPE=\(theirs) set in the environment"
            return
        }
        guard let cpu = CPUDescription.thisMachine else { reason = "no /proc/cpuinfo: OpenBLAS's own detection"; return }
        let chosen: String?
        var choice = choose(cpu)
        if environment[measureVariable] == "1" {
            choice = .measure(allCandidates(cpu), reason: "\(measureVariable)=1")
        }
        switch choice {
        case let .core(core, why):
            chosen = core; reason = "\(why) (\(cpu.summary))"
        case let .openBLAS(why):
            chosen = nil; reason = why
        case let .measure(candidates, why):
            let cached = environment[measureVariable] == "1" ? nil : Calibration.cached(for: cpu)
            guard cached != nil || measuring || environment[measureVariable] == "1" else {
                reason = "\(why); not measured yet (the first command that trains or answers measures them)"
                return
            }
            let calibration = cached ?? Calibration.run(candidates, for: cpu)
            chosen = calibration?.fastest
            reason = calibration.map { "\(why); measured: \($0.summary)" } ?? "\(why); measuring failed: OpenBLAS's own detection"
        }
        guard needsRestart(detected: BLASInfo.coreName, chosen: chosen, environment: environment), let chosen else { return }
        setenv("OPENBLAS_CORETYPE", chosen, 1)
        setenv(reasonVariable, reason, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv only returns on failure: carry on with the kernels OpenBLAS chose.
        reason = "restart with \(chosen) failed: OpenBLAS's own detection"
        #endif
    }

    /// One thread's sgemm GFLOP/s on a 768² product, the best of 8, timed by the thread's own
    /// CPU clock: time the thread spends descheduled on a busy machine does not count.
    static func calibrationGFLOPS(size n: Int = 768) -> Double {
        let threads = ThreadPolicy.threads
        ThreadPolicy.threads = 1
        defer { ThreadPolicy.threads = threads }
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
        var best = Double.infinity
        for repeat_ in 0..<9 {
            var start = timespec(), end = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
            gemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
            let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
            if repeat_ > 0 { best = min(best, seconds) }  // the first warms caches and OpenBLAS' buffers
        }
        return 2 * Double(n * n * n) / best / 1e9
    }

    /// Measured single-thread sgemm GFLOP/s of candidate cores on one CPU model.
    public struct Calibration: Codable, Equatable, Sendable {
        public var gflops: [String: Double]
        public var date: String

        /// The fastest core; a core within 5% of the best counts as tied, and the first
        /// measured of the tied wins (candidates come in the table's order of preference).
        public var fastest: String? { Self.fastest(gflops, order: order) }
        public var order: [String] = []

        public static func fastest(_ gflops: [String: Double], order: [String]) -> String? {
            guard let best = gflops.values.max() else { return nil }
            return order.first { (gflops[$0] ?? 0) >= 0.95 * best }
        }

        var summary: String {
            order.compactMap { core in gflops[core].map { "\(core) \(String(format: "%.0f", $0))" } }.joined(separator: ", ")
                + " GFLOP/s on one thread (\(date))"
        }

        /// The cache file: one per CPU model and OpenBLAS build, in the user's cache directory.
        public static func cacheURL(for cpu: CPUDescription, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
            let base: URL
            if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
                base = URL(fileURLWithPath: xdg)
            } else if let home = environment["HOME"], !home.isEmpty {
                base = URL(fileURLWithPath: home).appendingPathComponent(".cache")
            } else {
                return nil
            }
            // A name from the CPU and the library, so another machine or OpenBLAS measures again.
            let key = "\(cpu.vendor) \(cpu.family) \(cpu.model) \(cpu.modelName) \(cpu.flags.sorted().joined(separator: " ")) \(BLASInfo.config)"
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
            for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return base.appendingPathComponent("lstmchat/blas-core-\(String(hash, radix: 16)).json")
        }

        static func cached(for cpu: CPUDescription) -> Calibration? {
            guard let url = cacheURL(for: cpu), let data = try? Data(contentsOf: url) else { return nil }
            return try? JSONDecoder().decode(Calibration.self, from: data)
        }

        /// Times each candidate in a child process (this program, with `OPENBLAS_CORETYPE` set);
        /// a candidate that crashes (kernels the CPU cannot run) or that OpenBLAS does not know
        /// is left out. Saves the result in the cache.
        static func run(_ candidates: [String], for cpu: CPUDescription) -> Calibration? {
            var gflops: [String: Double] = [:]
            for core in candidates {
                guard let line = try? childOutput(core: core) else { continue }
                let words = line.split(separator: " ")
                guard words.count == 2, words[0].lowercased() == core.lowercased(), let value = Double(words[1]) else { continue }
                gflops[core] = value
            }
            guard !gflops.isEmpty else { return nil }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate]
            var calibration = Calibration(gflops: gflops, date: formatter.string(from: Date()))
            calibration.order = candidates
            if let url = cacheURL(for: cpu), let data = try? JSONEncoder().encode(calibration) {
                try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try? AtomicFile.write(data, to: url)
            }
            return calibration
        }

        private static func childOutput(core: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            var environment = ProcessInfo.processInfo.environment
            environment["OPENBLAS_CORETYPE"] = core
            environment[calibrationVariable] = "1"
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationReason == .exit, process.terminationStatus == 0 else { return "" }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}
