/* BLAKE2b (RFC 7693) with an 8-byte digest and no key, for the compiled kernels: the same value as
   int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") (tests compare them). */
#ifndef KHABAR_BLAKE2B_H
#define KHABAR_BLAKE2B_H

#include <stdint.h>
#include <string.h>

static const uint64_t khabar_b2_iv[8] = {
    0x6A09E667F3BCC908ULL, 0xBB67AE8584CAA73BULL, 0x3C6EF372FE94F82BULL, 0xA54FF53A5F1D36F1ULL,
    0x510E527FADE682D1ULL, 0x9B05688C2B3E6C1FULL, 0x1F83D9ABFB41BD6BULL, 0x5BE0CD19137E2179ULL,
};

static const uint8_t khabar_b2_sigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

#define KHABAR_ROTR(x, n) (((x) >> (n)) | ((x) << (64 - (n))))
#define KHABAR_G(a, b, c, d, x, y)          \
    do {                                    \
        v[a] = v[a] + v[b] + (x);           \
        v[d] = KHABAR_ROTR(v[d] ^ v[a], 32); \
        v[c] = v[c] + v[d];                 \
        v[b] = KHABAR_ROTR(v[b] ^ v[c], 24); \
        v[a] = v[a] + v[b] + (y);           \
        v[d] = KHABAR_ROTR(v[d] ^ v[a], 16); \
        v[c] = v[c] + v[d];                 \
        v[b] = KHABAR_ROTR(v[b] ^ v[c], 63); \
    } while (0)

static inline uint64_t khabar_b2_load64(const uint8_t *p) {
    return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 24) |
           ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) | ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

#define KHABAR_ROUND(r)                                                                   \
    do {                                                                                  \
        KHABAR_G(0, 4, 8, 12, m[khabar_b2_sigma[r][0]], m[khabar_b2_sigma[r][1]]);        \
        KHABAR_G(1, 5, 9, 13, m[khabar_b2_sigma[r][2]], m[khabar_b2_sigma[r][3]]);        \
        KHABAR_G(2, 6, 10, 14, m[khabar_b2_sigma[r][4]], m[khabar_b2_sigma[r][5]]);       \
        KHABAR_G(3, 7, 11, 15, m[khabar_b2_sigma[r][6]], m[khabar_b2_sigma[r][7]]);       \
        KHABAR_G(0, 5, 10, 15, m[khabar_b2_sigma[r][8]], m[khabar_b2_sigma[r][9]]);       \
        KHABAR_G(1, 6, 11, 12, m[khabar_b2_sigma[r][10]], m[khabar_b2_sigma[r][11]]);     \
        KHABAR_G(2, 7, 8, 13, m[khabar_b2_sigma[r][12]], m[khabar_b2_sigma[r][13]]);      \
        KHABAR_G(3, 4, 9, 14, m[khabar_b2_sigma[r][14]], m[khabar_b2_sigma[r][15]]);      \
    } while (0)

static inline void khabar_b2_compress(uint64_t h[8], const uint8_t block[128], uint64_t t, int last) {
    uint64_t v[16], m[16];
    for (int i = 0; i < 16; i++) m[i] = khabar_b2_load64(block + 8 * i);
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = khabar_b2_iv[i];
    }
    v[12] ^= t; /* the counter's high word stays 0: inputs are far below 2**64 bytes */
    if (last) v[14] = ~v[14];
    KHABAR_ROUND(0);
    KHABAR_ROUND(1);
    KHABAR_ROUND(2);
    KHABAR_ROUND(3);
    KHABAR_ROUND(4);
    KHABAR_ROUND(5);
    KHABAR_ROUND(6);
    KHABAR_ROUND(7);
    KHABAR_ROUND(8);
    KHABAR_ROUND(9);
    KHABAR_ROUND(0);
    KHABAR_ROUND(1);
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* The 8-byte digest of data[:n], read little-endian (it is h[0]). */
static inline uint64_t khabar_blake2b64(const uint8_t *data, size_t n) {
    uint64_t h[8];
    uint8_t last[128];
    size_t done = 0;
    for (int i = 0; i < 8; i++) h[i] = khabar_b2_iv[i];
    h[0] ^= 0x01010008ULL; /* digest length 8, no key, fanout 1, depth 1 */
    while (n - done > 128) {
        done += 128;
        khabar_b2_compress(h, data + done - 128, done, 0);
    }
    memset(last, 0, sizeof last);
    if (n > done) memcpy(last, data + done, n - done);
    khabar_b2_compress(h, last, n, 1);
    return h[0];
}

/* Streaming BLAKE2b with an ``outlen``-byte digest (1 to 64), unkeyed: the same digest as
   hashlib.blake2b(digest_size=outlen) of everything given to khabar_b2_update. */
typedef struct {
    uint64_t h[8];
    uint8_t buf[128];
    size_t buflen;
    uint64_t t;
    int outlen;
} khabar_b2_state;

static inline void khabar_b2_init(khabar_b2_state *s, int outlen) {
    for (int i = 0; i < 8; i++) s->h[i] = khabar_b2_iv[i];
    s->h[0] ^= 0x01010000ULL | (uint64_t)outlen; /* no key, fanout 1, depth 1 */
    s->buflen = 0;
    s->t = 0;
    s->outlen = outlen;
}

static inline void khabar_b2_update(khabar_b2_state *s, const uint8_t *data, size_t n) {
    while (n > 0) {
        if (s->buflen == 128) { /* a full block is compressed only once more data follows it */
            s->t += 128;
            khabar_b2_compress(s->h, s->buf, s->t, 0);
            s->buflen = 0;
        }
        if (s->buflen == 0) {
            while (n > 128) { /* whole blocks straight from the input, the last one kept back */
                s->t += 128;
                khabar_b2_compress(s->h, data, s->t, 0);
                data += 128;
                n -= 128;
            }
        }
        size_t take = 128 - s->buflen;
        if (take > n) take = n;
        memcpy(s->buf + s->buflen, data, take);
        s->buflen += take;
        data += take;
        n -= take;
    }
}

static inline void khabar_b2_final(khabar_b2_state *s, uint8_t *out) {
    s->t += s->buflen;
    memset(s->buf + s->buflen, 0, 128 - s->buflen);
    khabar_b2_compress(s->h, s->buf, s->t, 1);
    for (int i = 0; i < s->outlen; i++) out[i] = (uint8_t)(s->h[i / 8] >> (8 * (i % 8)));
}

#endif
