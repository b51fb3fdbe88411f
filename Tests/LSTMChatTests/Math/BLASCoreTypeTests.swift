import Foundation
import Testing
@testable import LSTMChat

@Suite struct BLASCoreTypeTests {
    // Flag sets as /proc/cpuinfo shows them, trimmed to the SIMD ones (the real lists are longer).
    static func flags(_ text: String) -> Set<String> { Set(text.split(separator: " ").map(String.init)) }
    static let sse = "fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt"
    static let avx2 = sse + " avx f16c fma bmi1 bmi2 avx2"
    static let avx512 = avx2 + " avx512f avx512dq avx512cd avx512bw avx512vl"

    static let zen3 = CPUDescription(vendor: "AuthenticAMD", family: 25, model: 1, modelName: "AMD EPYC 7763",
                                     flags: flags(avx2 + " sse4a vaes vpclmulqdq hypervisor"))
    static let zen4 = CPUDescription(vendor: "AuthenticAMD", family: 25, model: 17, modelName: "AMD EPYC 9654",
                                     flags: flags(avx512 + " sse4a avx512ifma avx512vbmi avx512_bf16 avx512_vnni"))
    static let zen5 = CPUDescription(vendor: "AuthenticAMD", family: 26, model: 2, modelName: "AMD EPYC 9B45",
                                     flags: flags(avx512 + " sse4a avx512ifma avx512vbmi avx512_bf16 avx512_vnni avx_vnni hypervisor"))
    static let skylakeX = CPUDescription(vendor: "GenuineIntel", family: 6, model: 85, modelName: "Intel Xeon Gold 6148",
                                         flags: flags(avx512))
    static let sapphireRapids = CPUDescription(vendor: "GenuineIntel", family: 6, model: 143, modelName: "Intel Xeon Platinum 8480+",
                                               flags: flags(avx512 + " avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8 avx_vnni"))
    static let haswell = CPUDescription(vendor: "GenuineIntel", family: 6, model: 63, modelName: "Intel Xeon E5-2680 v3",
                                        flags: flags(avx2))
    static let noAVX = CPUDescription(vendor: "GenuineIntel", family: 6, model: 26, modelName: "Intel Xeon E5520",
                                      flags: flags(sse))

    @Test(arguments: [
        (zen3, "Zen"), (zen4, "Cooperlake"), (zen5, "Cooperlake"), (skylakeX, "SkylakeX"),
        (sapphireRapids, "Cooperlake"), (haswell, "Haswell"),
    ])
    func choosesByWhatTheCPUCanDo(cpu: CPUDescription, expected: String) {
        guard case let .core(core, _) = BLASCoreType.choose(cpu) else {
            Issue.record("no table choice for \(cpu.modelName)"); return
        }
        #expect(core == expected)
    }

    @Test func aCPUWithoutAVXIsLeftToOpenBLAS() {
        guard case .openBLAS = BLASCoreType.choose(Self.noAVX) else { Issue.record("expected OpenBLAS's own choice"); return }
    }

    @Test func avx512IsChosenOnAMDAsOnIntel() {
        var amd = Self.skylakeX
        amd.vendor = "AuthenticAMD"; amd.family = 26
        #expect(BLASCoreType.choose(amd) == BLASCoreType.choose(Self.skylakeX))
    }

    @Test func whatTheTableCannotKnowIsMeasured() {
        var other = Self.haswell
        other.vendor = "CentaurHauls"
        #expect(BLASCoreType.choose(other) == .measure(["Haswell", "Zen"], reason: "AVX2 and FMA on a CPU the table does not know"))
        var partial = Self.haswell
        partial.flags.insert("avx512f")  // e.g. Knights Landing: F, CD, ER, PF but no BW/VL/DQ
        guard case let .measure(cores, _) = BLASCoreType.choose(partial) else { Issue.record("expected a measurement"); return }
        #expect(cores == ["SkylakeX", "Haswell"])
        let hiddenAVX2 = CPUDescription(vendor: "GenuineIntel", family: 6, model: 85, flags: Self.flags(Self.sse + " avx hypervisor"))
        guard case .measure = BLASCoreType.choose(hiddenAVX2) else { Issue.record("expected a measurement"); return }
    }

    @Test func theFastestMeasuredCoreWinsAndNearTiesGoToTheFirst() {
        #expect(BLASCoreType.Calibration.fastest(["Haswell": 80, "Zen": 86], order: ["Haswell", "Zen"]) == "Zen")
        #expect(BLASCoreType.Calibration.fastest(["Haswell": 83, "Zen": 86], order: ["Haswell", "Zen"]) == "Haswell")
        #expect(BLASCoreType.Calibration.fastest([:], order: ["Haswell"]) == nil)
    }

    @Test func theCacheLivesInTheUsersCacheDirectoryOnePerCPUModel() throws {
        let xdg = try #require(BLASCoreType.Calibration.cacheURL(for: Self.zen3, environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"]))
        #expect(xdg.path.hasPrefix("/c/lstmchat/blas-core-"))
        let home = try #require(BLASCoreType.Calibration.cacheURL(for: Self.zen3, environment: ["HOME": "/h"]))
        #expect(home.path.hasPrefix("/h/.cache/lstmchat/blas-core-"))
        let other = try #require(BLASCoreType.Calibration.cacheURL(for: Self.zen4, environment: ["HOME": "/h"]))
        #expect(other != home)
        #expect(BLASCoreType.Calibration.cacheURL(for: Self.zen3, environment: [:]) == nil)
    }

    @Test func readsTheFirstProcessorOfProcCPUInfo() throws {
        let text = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            cpu family\t: 25
            model\t\t: 1
            model name\t: AMD EPYC
            flags\t\t: fpu sse avx avx2 fma

            processor\t: 1
            vendor_id\t: GenuineIntel
            flags\t\t: fpu
            """
        let cpu = try #require(CPUDescription(cpuinfo: text))
        #expect(cpu == CPUDescription(vendor: "AuthenticAMD", family: 25, model: 1, modelName: "AMD EPYC", flags: ["fpu", "sse", "avx", "avx2", "fma"]))
        #expect(CPUDescription(cpuinfo: "processor : 0\n") == nil)
    }

    @Test func restartsOnlyWhenTheDetectedCoreIsAnother() {
        #expect(BLASCoreType.needsRestart(detected: "Prescott", chosen: "SkylakeX", environment: [:]))
        #expect(!BLASCoreType.needsRestart(detected: "SKYLAKEX", chosen: "SkylakeX", environment: [:]))
        #expect(!BLASCoreType.needsRestart(detected: "Prescott", chosen: nil, environment: [:]))
    }

    @Test func theUsersSettingWins() {
        #expect(!BLASCoreType.needsRestart(detected: "Prescott", chosen: "Haswell", environment: ["OPENBLAS_CORETYPE": "Prescott"]))
    }
}
