#include "bench/rng.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void bench_rng_seed(bench_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->state[i] = splitmix64(&x);
    rng->has_spare_normal = 0;
    rng->spare_normal = 0.0;
}

uint64_t bench_hash64(const void *bytes, size_t length, uint64_t basis)
{
    const unsigned char *p = bytes;
    uint64_t h = basis ? basis : 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < length; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void bench_rng_derive(bench_rng *child, uint64_t seed, const char *purpose)
{
    uint64_t mixed = seed;
    uint64_t h = bench_hash64(purpose, strlen(purpose), 0);
    bench_rng_seed(child, splitmix64(&mixed) ^ h);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t bench_rng_next(bench_rng *rng)
{
    uint64_t *s = rng->state;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double bench_rng_uniform(bench_rng *rng)
{
    return (double)(bench_rng_next(rng) >> 11) * 0x1.0p-53;
}

float bench_rng_uniform_float(bench_rng *rng)
{
    return (float)(bench_rng_next(rng) >> 40) * 0x1.0p-24f;
}

uint64_t bench_rng_below(bench_rng *rng, uint64_t bound)
{
    /* Lemire's rejection keeps every value equally likely. */
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t r = bench_rng_next(rng);
        if (r >= threshold)
            return r % bound;
    }
}

double bench_rng_normal(bench_rng *rng)
{
    if (rng->has_spare_normal) {
        rng->has_spare_normal = 0;
        return rng->spare_normal;
    }
    double u1;
    do {
        u1 = bench_rng_uniform(rng);
    } while (u1 <= 0.0);
    double u2 = bench_rng_uniform(rng);
    double radius = sqrt(-2.0 * log(u1));
    double angle = 2.0 * M_PI * u2;
    rng->spare_normal = radius * sin(angle);
    rng->has_spare_normal = 1;
    return radius * cos(angle);
}

void bench_rng_shuffle_size(bench_rng *rng, size_t *items, size_t count)
{
    for (size_t i = count; i > 1; i--) {
        size_t j = (size_t)bench_rng_below(rng, i);
        size_t tmp = items[i - 1];
        items[i - 1] = items[j];
        items[j] = tmp;
    }
}
