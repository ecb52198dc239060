/* sha256 through OpenSSL's EVP interface (libcrypto, from libssl-dev, which
 * libcurl4-openssl-dev already depends on).
 *
 * libcrypto is opened at run time with dlopen until the Makefile links it for
 * every binary (PKG_MODULES += libcrypto): linking it from only this file would
 * break every binary built before that change.  Once it is linked, the table
 * below can become direct calls. */
#include <dlfcn.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/dataset.h"
#include "datasets/sha256.h"

#define LIBCRYPTO_SONAME "libcrypto.so.3"

static struct {
    __typeof__(&EVP_MD_CTX_new) md_ctx_new;
    __typeof__(&EVP_MD_CTX_free) md_ctx_free;
    __typeof__(&EVP_DigestInit_ex) digest_init;
    __typeof__(&EVP_DigestUpdate) digest_update;
    __typeof__(&EVP_DigestFinal_ex) digest_final;
    __typeof__(&EVP_sha256) sha256;
    int loaded;
} crypto;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static void load_crypto(void)
{
    void *library = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL)
        return;
    /* POSIX guarantees function pointers survive the trip through void *. */
    *(void **)&crypto.md_ctx_new = dlsym(library, "EVP_MD_CTX_new");
    *(void **)&crypto.md_ctx_free = dlsym(library, "EVP_MD_CTX_free");
    *(void **)&crypto.digest_init = dlsym(library, "EVP_DigestInit_ex");
    *(void **)&crypto.digest_update = dlsym(library, "EVP_DigestUpdate");
    *(void **)&crypto.digest_final = dlsym(library, "EVP_DigestFinal_ex");
    *(void **)&crypto.sha256 = dlsym(library, "EVP_sha256");
    crypto.loaded = crypto.md_ctx_new && crypto.md_ctx_free && crypto.digest_init && crypto.digest_update &&
                    crypto.digest_final && crypto.sha256;
    /* The library stays open for the life of the process, like a linked one. */
}

struct bench_sha256 {
    EVP_MD_CTX *context;
};

int bench_sha256_available(void)
{
    pthread_once(&crypto_once, load_crypto);
    return crypto.loaded;
}

int bench_sha256_begin(bench_sha256 **out, bench_error *error)
{
    *out = NULL;
    if (!bench_sha256_available())
        return BENCH_FAIL(error, BENCH_UNSUPPORTED,
                          "sha256 unavailable: cannot load %s (Debian package libssl3)", LIBCRYPTO_SONAME);
    bench_sha256 *hash = calloc(1, sizeof *hash);
    if (hash == NULL || (hash->context = crypto.md_ctx_new()) == NULL) {
        free(hash);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for a sha256 context");
    }
    if (crypto.digest_init(hash->context, crypto.sha256(), NULL) != 1) {
        bench_sha256_discard(hash);
        return BENCH_FAIL(error, BENCH_INTERNAL, "OpenSSL could not start a sha256 digest");
    }
    *out = hash;
    return BENCH_OK;
}

void bench_sha256_update(bench_sha256 *hash, const void *data, size_t length)
{
    crypto.digest_update(hash->context, data, length);
}

void bench_sha256_end(bench_sha256 *hash, char hex[65])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    crypto.digest_final(hash->context, digest, &length);
    for (unsigned int i = 0; i < length && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    hex[64] = '\0';
    bench_sha256_discard(hash);
}

void bench_sha256_discard(bench_sha256 *hash)
{
    if (hash == NULL)
        return;
    crypto.md_ctx_free(hash->context);
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
