#ifndef N8S_CFUZZER_H
#define N8S_CFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, for executables that keep their own `main` (libFuzzer reference,
/// "Using libFuzzer as a library"): parses libFuzzer's flags from argc/argv and calls
/// `callback` with each input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
