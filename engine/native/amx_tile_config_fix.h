/* Force-included into llama.cpp's sources when engine/native/amx_probe.cpp shows that this
 * compiler drops the stores that fill an AMX tile configuration (GCC 12's `_tile_loadconfig`
 * declares an 8-byte memory input for an instruction that reads 64 bytes).
 *
 * It replaces `_tile_loadconfig` with the same `ldtilecfg` instruction told that it reads all 64
 * bytes, so the configuration is stored before it is loaded. It does nothing unless AMX code
 * generation is on, so it is harmless in every other translation unit. */
#if defined(__x86_64__) && defined(__AMX_TILE__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#undef _tile_loadconfig
#define _tile_loadconfig(config) \
    __asm__ volatile("ldtilecfg\t%X0" ::"m"(*(const unsigned char(*)[64])(config)))
#endif
