#ifndef INTERVIEWS_CCRC32C_H
#define INTERVIEWS_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has a CRC-32C instruction (x86-64 SSE4.2); when it has
/// not, interviews_crc32c_update must not be called.
int interviews_crc32c_available(void);

/// Continues the CRC-32C register `crc` (not inverted) over `count` bytes at
/// `bytes` with the CPU's CRC-32C instruction, and returns the new register.
uint32_t interviews_crc32c_update(uint32_t crc, const void *bytes, size_t count);

#endif
