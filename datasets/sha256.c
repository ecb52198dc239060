/* sha256 through OpenSSL's EVP interface (libcrypto from libssl-dev, which
 * libcurl4-openssl-dev already depends on): a maintained implementation rather
 * than our own. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/dataset.h"
#include "datasets/sha256.h"

struct bench_sha256 {
    EVP_MD_CTX *context;
};

int bench_sha256_available(void)
{
    return 1;
}

int bench_sha256_begin(bench_sha256 **out, bench_error *error)
{
    *out = NULL;
    bench_sha256 *hash = calloc(1, sizeof *hash);
    if (hash == NULL || (hash->context = EVP_MD_CTX_new()) == NULL) {
        free(hash);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for a sha256 context");
    }
    if (EVP_DigestInit_ex(hash->context, EVP_sha256(), NULL) != 1) {
        bench_sha256_discard(hash);
        return BENCH_FAIL(error, BENCH_INTERNAL, "OpenSSL could not start a sha256 digest");
    }
    *out = hash;
    return BENCH_OK;
}

void bench_sha256_update(bench_sha256 *hash, const void *data, size_t length)
{
    EVP_DigestUpdate(hash->context, data, length);
}

void bench_sha256_end(bench_sha256 *hash, char hex[65])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(hash->context, digest, &length);
    for (unsigned int i = 0; i < length && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    hex[64] = '\0';
    bench_sha256_discard(hash);
}

void bench_sha256_discard(bench_sha256 *hash)
{
    if (hash == NULL)
        return;
    EVP_MD_CTX_free(hash->context);
    free(hash);
}

int bench_sha256_file(const char *path, char hex[65], bench_error *error)
{
    hex[0] = '\0';
    bench_sha256 *hash;
    int status = bench_sha256_begin(&hash, error);
    if (status != BENCH_OK)
        return status;
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        bench_sha256_discard(hash);
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    unsigned char buffer[1 << 16];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, file)) > 0)
        bench_sha256_update(hash, buffer, got);
    int failed = ferror(file);
    fclose(file);
    if (failed) {
        bench_sha256_discard(hash);
        return BENCH_FAIL(error, BENCH_IO, "%s: read error while hashing", path);
    }
    bench_sha256_end(hash, hex);
    return BENCH_OK;
}
