import Foundation

/// Chooses OpenBLAS's kernel set ("core type") from the CPU's features.
///
/// Debian's OpenBLAS 0.3.21 does not recognise newer CPUs and falls back to its slowest kernels
/// ("Prescott"), about 5× slower (see the README's performance section). OpenBLAS picks its kernels in
/// its library constructor, before `main`, from `OPENBLAS_CORETYPE`; so when the detected core
/// is weaker than the CPU, lstmchat sets the variable and re-executes itself once. A value the
/// user set always wins.
public enum BLASCoreType {
    /// The core type for a CPU with these /proc/cpuinfo `flags`, `vendor_id` and `cpu family`.
    public static func choose(flags: Set<String>, vendor: String, family: Int) -> String? {
        // AMD family 17h and later (Zen 1 to 5, some with AVX-512) get OpenBLAS' Zen kernels.
        if vendor == "AuthenticAMD" || vendor == "HygonGenuine", family >= 0x17, flags.contains("avx2") { return "Zen" }
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        if flags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// The choice for this machine, from /proc/cpuinfo (nil elsewhere or when unknown).
    public static func chooseForThisMachine() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        var flags = Set<String>(), vendor = "", family = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "flags": flags = Set(parts[1].split(separator: " ").map(String.init))
            case "vendor_id": vendor = parts[1]
            case "cpu family": family = Int(parts[1]) ?? 0
            default: continue
            }
            if !flags.isEmpty && !vendor.isEmpty && family != 0 { break }  // the first CPU is enough
        }
        return choose(flags: flags, vendor: vendor, family: family)
    }

    /// Whether OpenBLAS should be restarted with `chosen`: it detected another core, and the
    /// user has not set `OPENBLAS_CORETYPE`.
    public static func needsRestart(detected: String, chosen: String?, environment: [String: String]) -> Bool {
        guard let chosen, environment["OPENBLAS_CORETYPE"] == nil else { return false }
        return detected.lowercased() != chosen.lowercased()
    }

    /// Re-executes this program with `OPENBLAS_CORETYPE` set when OpenBLAS chose weaker kernels
    /// than the CPU supports. Returns only when no restart is needed (or it failed).
    public static func restartWithFastKernelsIfNeeded() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        let chosen = chooseForThisMachine()
        guard needsRestart(detected: BLASInfo.coreName, chosen: chosen, environment: environment), let chosen else { return }
        setenv("OPENBLAS_CORETYPE", chosen, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv only returns on failure: carry on with the kernels OpenBLAS chose.
        #endif
    }
}
