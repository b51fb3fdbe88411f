// libFuzzer's driver, for fuzz targets that have their own main (https://llvm.org/docs/LibFuzzer.html).
// SwiftPM renames an executable's main to <module>_main and points main at it, so libFuzzer's own
// main never runs: the fuzz drivers in Fuzz/ start the driver themselves.
#include <stddef.h>
#include <stdint.h>

typedef int (*LLVMFuzzerTestOneInputFunction)(const uint8_t *data, size_t size);

int LLVMFuzzerRunDriver(int *argc, char ***argv, LLVMFuzzerTestOneInputFunction test);

static inline int run_fuzzer(int argc, char **argv, LLVMFuzzerTestOneInputFunction test) {
    return LLVMFuzzerRunDriver(&argc, &argv, test);
}
