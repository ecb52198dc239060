/* Explicit random-number state.  Every random choice in bench takes a bench_rng
 * seeded from the run's configuration: no rand(), no clock seeds.  The generator
 * is xoshiro256** (Blackman & Vigna), seeded through splitmix64 so that nearby
 * integer seeds give unrelated streams. */
#ifndef BENCH_RNG_H
#define BENCH_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_rng {
    uint64_t state[4];
    int has_spare_normal;   /* Box-Muller produces pairs; the second is kept here */
    double spare_normal;
} bench_rng;

void bench_rng_seed(bench_rng *rng, uint64_t seed);
/* A child stream for a named purpose ("shuffle", a cell id, a layer) that does
 * not depend on how many numbers the parent has drawn. */
void bench_rng_derive(bench_rng *child, uint64_t seed, const char *purpose);
uint64_t bench_rng_next(bench_rng *rng);
double bench_rng_uniform(bench_rng *rng);          /* [0, 1) with 53 random bits */
float bench_rng_uniform_float(bench_rng *rng);     /* [0, 1) with 24 random bits */
uint64_t bench_rng_below(bench_rng *rng, uint64_t bound); /* unbiased in [0, bound); bound > 0 */
double bench_rng_normal(bench_rng *rng);           /* standard normal */
void bench_rng_shuffle_size(bench_rng *rng, size_t *items, size_t count); /* Fisher-Yates */
/* 64-bit FNV-1a of a byte string, used to turn names into seeds and cell ids. */
uint64_t bench_hash64(const void *bytes, size_t length, uint64_t basis);

#ifdef __cplusplus
}
#endif
#endif
