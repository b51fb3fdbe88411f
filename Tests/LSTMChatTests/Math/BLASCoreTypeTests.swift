import Testing
@testable import LSTMChat

@Suite struct BLASCoreTypeTests {
    // Flag sets as /proc/cpuinfo shows them (trimmed to what matters).
    static let intelAVX512 = Set("fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl".split(separator: " ").map(String.init))
    static let intelAVX2 = Set("fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma bmi2".split(separator: " ").map(String.init))
    static let amdZen3 = Set("fpu sse sse2 ssse3 sse4_1 sse4_2 sse4a avx avx2 fma bmi2 vaes".split(separator: " ").map(String.init))
    static let amdZen4 = amdZen3.union(["avx512f", "avx512bw", "avx512vl"])
    static let oldSSE = Set(["fpu", "sse", "sse2"])

    @Test(arguments: [
        (intelAVX512, "GenuineIntel", 6, "SkylakeX"),
        (intelAVX2, "GenuineIntel", 6, "Haswell"),
        (amdZen3, "AuthenticAMD", 25, "Zen"),
        (amdZen4, "AuthenticAMD", 25, "Zen"),
        (amdZen3, "AuthenticAMD", 23, "Zen"),
    ])
    func choosesTheKernelsTheCPUCanRun(flags: Set<String>, vendor: String, family: Int, expected: String) {
        #expect(BLASCoreType.choose(flags: flags, vendor: vendor, family: family) == expected)
    }

    @Test func leavesOldCPUsToOpenBLAS() {
        #expect(BLASCoreType.choose(flags: Self.oldSSE, vendor: "GenuineIntel", family: 6) == nil)
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
