/* Four float lanes through GCC/Clang vector extensions (plain SSE2 on x86-64,
 * NEON on arm64), for the nn/ kernels whose loops the compiler does not
 * vectorise by itself.  Private to nn/: not installed.  Unaligned loads and
 * stores go through memcpy, which compiles to one instruction. */
#ifndef BENCH_NN_VEC4_H
#define BENCH_NN_VEC4_H

#include <stdint.h>
#include <string.h>

typedef float v4sf __attribute__((vector_size(16)));
typedef int32_t v4si __attribute__((vector_size(16)));

static inline v4sf v_load(const float *p)
{
    v4sf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void v_store(float *p, v4sf v)
{
    memcpy(p, &v, sizeof v);
}

static inline v4sf v_splat(float x)
{
    return (v4sf){x, x, x, x};
}

/* yes where mask's lane is all ones, no where it is zero. */
static inline v4sf v_select(v4si mask, v4sf yes, v4sf no)
{
    return (v4sf)(((v4si)yes & mask) | ((v4si)no & ~mask));
}

#endif
