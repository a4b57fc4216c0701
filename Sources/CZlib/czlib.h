#ifndef TRE_CZLIB_H
#define TRE_CZLIB_H
#include <zlib.h>

// deflateInit2 and inflateInit2 are macros, which Swift cannot call: these wrappers can.
static inline int tre_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

static inline int tre_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
