/*
 * test_wire.c — wire messages (atomik_msg_encode/decode, 40-byte v1 frames
 * with an XXH32 checksum) and the original 16-byte record
 * (atomik_compat_encode/decode).
 *
 * The frame layout is checked byte for byte against an independent encoder
 * written here from the specification:
 *   0 version (1) | 1 kind | 2 width (8) | 3 reserved (0) | 4..7 sender
 *   8..15 epoch | 16..23 seq | 24..27 addr | 28..35 value
 *   36..39 XXH32(bytes 0..35, seed 0)            (all little-endian)
 */
#include <stddef.h>

#include "check.h"

/* ---- XXH32 (github.com/Cyan4973/xxHash, doc/xxhash_spec.md) ----------------- */

#define XXH_P1 0x9E3779B1u
#define XXH_P2 0x85EBCA77u
#define XXH_P3 0xC2B2AE3Du
#define XXH_P4 0x27D4EB2Fu
#define XXH_P5 0x165667B1u

static uint32_t rotl32(uint32_t x, int r) {
    return (x << r) | (x >> (32 - r));
}

static uint32_t xxh32_round(uint32_t acc, uint32_t lane) {
    acc += lane * XXH_P2;
    acc = rotl32(acc, 13);
    return acc * XXH_P1;
}

static uint32_t xxh32(const uint8_t *p, size_t len, uint32_t seed) {
    const uint8_t *end = p + len;
    uint32_t h;
    if (len >= 16) {
        uint32_t v1 = seed + XXH_P1 + XXH_P2;
        uint32_t v2 = seed + XXH_P2;
        uint32_t v3 = seed;
        uint32_t v4 = seed - XXH_P1;
        while ((size_t)(end - p) >= 16) {
            v1 = xxh32_round(v1, le32_load(p));
            v2 = xxh32_round(v2, le32_load(p + 4));
            v3 = xxh32_round(v3, le32_load(p + 8));
            v4 = xxh32_round(v4, le32_load(p + 12));
            p += 16;
        }
        h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
    } else {
        h = seed + XXH_P5;
    }
    h += (uint32_t)len;
    while ((size_t)(end - p) >= 4) {
        h += le32_load(p) * XXH_P3;
        h = rotl32(h, 17) * XXH_P4;
        p += 4;
    }
    while (p < end) {
        h += (uint32_t)(*p) * XXH_P5;
        h = rotl32(h, 11) * XXH_P1;
        p++;
    }
    h ^= h >> 15;
    h *= XXH_P2;
    h ^= h >> 13;
    h *= XXH_P3;
    h ^= h >> 16;
    return h;
}

static void test_xxh32_reference(void) {
    uint8_t seq[36];
    size_t i;
    for (i = 0; i < sizeof seq; i++) seq[i] = (uint8_t)i;
    CHECK_EQ_U64(xxh32(seq, 0, 0), 0x02CC5D05u);
    CHECK_EQ_U64(xxh32((const uint8_t *)"abc", 3, 0), 0x32D153FFu);
    CHECK_EQ_U64(xxh32(seq, 36, 0), 0x58118A69u);
}

/* ---- the independent encoder -------------------------------------------------- */

static void reseal(uint8_t *frame) {
    le32_store(frame + 36, xxh32(frame, 36, 0));
}

static void spec_encode(const atomik_msg_t *m, uint8_t *f) {
    f[0] = 1;
    f[1] = (uint8_t)m->kind;
    f[2] = 8;
    f[3] = 0;
    le32_store(f + 4, m->sender);
    le64_store(f + 8, m->epoch);
    le64_store(f + 16, m->seq);
    le32_store(f + 24, m->addr);
    le64_store(f + 28, m->value);
    reseal(f);
}

static atomik_msg_t make_msg(uint32_t kind, uint32_t sender, uint64_t epoch, uint64_t seq,
                             uint32_t addr, uint64_t value) {
    atomik_msg_t m;
    memset(&m, 0, sizeof m);
    m.kind = kind;
    m.sender = sender;
    m.epoch = epoch;
    m.seq = seq;
    m.addr = addr;
    m.value = value;
    return m;
}

static int msg_eq(const atomik_msg_t *a, const atomik_msg_t *b) {
    return a->kind == b->kind && a->sender == b->sender && a->epoch == b->epoch &&
           a->seq == b->seq && a->addr == b->addr && a->value == b->value;
}

#define CHECK_MSG_EQ(a, b)                                                                  \
    do {                                                                                    \
        CHECK_EQ_U64((a).kind, (b).kind);                                                   \
        CHECK_EQ_U64((a).sender, (b).sender);                                               \
        CHECK_EQ_U64((a).epoch, (b).epoch);                                                 \
        CHECK_EQ_U64((a).seq, (b).seq);                                                     \
        CHECK_EQ_U64((a).addr, (b).addr);                                                   \
        CHECK_EQ_U64((a).value, (b).value);                                                \
    } while (0)

/* ---- layout -------------------------------------------------------------------- */

static void test_msg_layout(void) {
    CHECK_EQ_SIZE(sizeof(atomik_msg_t), 40);
    CHECK_EQ_SIZE(offsetof(atomik_msg_t, kind), 0);
    CHECK_EQ_SIZE(offsetof(atomik_msg_t, sender), 4);
    CHECK_EQ_SIZE(offsetof(atomik_msg_t, epoch), 8);
    CHECK_EQ_SIZE(offsetof(atomik_msg_t, seq), 16);
    CHECK_EQ_SIZE(offsetof(atomik_msg_t, addr), 24);
    CHECK_EQ_SIZE(offsetof(atomik_msg_t, value), 32);
}

/* ---- encode ---------------------------------------------------------------------- */

static void test_encode_bytes(void) {
    const atomik_msg_t m = make_msg(ATOMIK_MSG_ACCUM, 0x04030201u, 0x0C0B0A0908070605ULL,
                                    0x14131211100F0E0DULL, 0x18171615u, 0x201F1E1D1C1B1A19ULL);
    uint8_t got[64], want[40];
    size_t written = 0;
    static const uint8_t header[28] = {1,    0,    8,    0,    0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                                       0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10,
                                       0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
    memset(got, 0xEE, sizeof got);
    CHECK_STATUS(atomik_msg_encode(&m, got, sizeof got, &written), ATOMIK_OK);
    CHECK_EQ_SIZE(written, ATOMIK_MSG_V1_LEN);
    spec_encode(&m, want);
    CHECK_EQ_MEM(got, header, 28);
    CHECK_EQ_MEM(got, want, 40);
    CHECK_EQ_U64(le32_load(got + 36), xxh32(got, 36, 0));
    CHECK_EQ_U64(got[40], 0xEE); /* nothing written past the frame */
    CHECK_EQ_U64(got[63], 0xEE);

    /* a LOAD, exactly-sized buffer, written optional */
    {
        const atomik_msg_t l = make_msg(ATOMIK_MSG_LOAD, 7, (UINT64_C(3) << 32) | 7, 99, 255,
                                        0xDEADBEEFCAFEBABEULL);
        uint8_t f[40];
        CHECK_STATUS(atomik_msg_encode(&l, f, sizeof f, NULL), ATOMIK_OK);
        spec_encode(&l, want);
        CHECK_EQ_MEM(f, want, 40);
        CHECK_EQ_U64(f[1], 1);
    }
}

static void test_encode_errors(void) {
    const atomik_msg_t m = make_msg(ATOMIK_MSG_ACCUM, 1, 0, 0, 0, 1);
    atomik_msg_t bad;
    uint8_t buf[40];
    size_t written = 0x77;
    size_t cap;

    memset(buf, 0xEE, sizeof buf);
    for (cap = 0; cap < 40; cap++) {
        CHECK_STATUS(atomik_msg_encode(&m, buf, cap, &written), ATOMIK_ERR_BUFFER_TOO_SMALL);
    }
    CHECK_EQ_U64(buf[0], 0xEE); /* untouched */
    CHECK_EQ_U64(buf[39], 0xEE);
    CHECK_EQ_SIZE(written, 0x77);

    CHECK_STATUS(atomik_msg_encode(NULL, buf, sizeof buf, &written), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_msg_encode(&m, NULL, sizeof buf, &written), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_msg_encode(&m, NULL, 0, &written), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_msg_encode(NULL, NULL, 0, NULL), ATOMIK_ERR_NULL);
    CHECK_EQ_SIZE(written, 0x77);

    /* unknown kinds are refused */
    bad = m;
    bad.kind = 2;
    CHECK_STATUS(atomik_msg_encode(&bad, buf, sizeof buf, &written), ATOMIK_ERR_BAD_KIND);
    bad.kind = UINT32_MAX;
    CHECK_STATUS(atomik_msg_encode(&bad, buf, sizeof buf, &written), ATOMIK_ERR_BAD_KIND);
    bad.kind = 256 + ATOMIK_MSG_LOAD; /* must not be truncated to a byte */
    CHECK_STATUS(atomik_msg_encode(&bad, buf, sizeof buf, &written), ATOMIK_ERR_BAD_KIND);
    CHECK_EQ_U64(buf[0], 0xEE);
    CHECK_EQ_SIZE(written, 0x77);

    /* a capacity beyond PTRDIFF_MAX is refused (ATOMIK_ERR_INVALID_ARGUMENT today) */
    CHECK_STATUS_HUGE_LEN(atomik_msg_encode(&m, buf, (size_t)PTRDIFF_MAX + 1, &written));
    CHECK_STATUS_HUGE_LEN(atomik_msg_encode(&m, buf, SIZE_MAX, &written));
    CHECK_EQ_U64(buf[0], 0xEE);
}

/* ---- decode ------------------------------------------------------------------------ */

static void test_roundtrip_random(void) {
    uint64_t rng = 31337;
    int iter;
    for (iter = 0; iter < 2000; iter++) {
        atomik_msg_t m, d;
        uint8_t f[40], ref[40];
        size_t written = 0, consumed = 0;
        m = make_msg((uint32_t)(rng_next(&rng) & 1), (uint32_t)rng_next(&rng), rng_next(&rng),
                     rng_next(&rng), (uint32_t)rng_next(&rng), rng_next(&rng));
        CHECK_STATUS(atomik_msg_encode(&m, f, sizeof f, &written), ATOMIK_OK);
        spec_encode(&m, ref);
        if (!CHECK_EQ_MEM(f, ref, 40)) break;
        memset(&d, 0, sizeof d);
        CHECK_STATUS(atomik_msg_decode(f, sizeof f, &d, &consumed), ATOMIK_OK);
        CHECK_EQ_SIZE(consumed, 40);
        if (!CHECK(msg_eq(&m, &d))) break;
    }
    /* extreme values */
    {
        atomik_msg_t m = make_msg(ATOMIK_MSG_LOAD, UINT32_MAX, UINT64_MAX, UINT64_MAX, UINT32_MAX,
                                  UINT64_MAX);
        atomik_msg_t d;
        uint8_t f[40];
        CHECK_STATUS(atomik_msg_encode(&m, f, sizeof f, NULL), ATOMIK_OK);
        CHECK_STATUS(atomik_msg_decode(f, sizeof f, &d, NULL), ATOMIK_OK); /* consumed optional */
        CHECK_MSG_EQ(d, m);
    }
}

/* Decodes `f` (40 bytes + `extra`) expecting `want`; *msg must stay unchanged
 * on error and consumed must be 40 (a whole frame) for any complete frame. */
static void expect_decode_error(const uint8_t *f, size_t len, atomik_status want,
                                size_t want_consumed, int line) {
    atomik_msg_t sentinel, d;
    size_t consumed = 0x77;
    sentinel = make_msg(1, 0xAAAA, 0xBBBB, 0xCCCC, 0xDDDD, 0xEEEE);
    d = sentinel;
    if (!CHECK_STATUS(atomik_msg_decode(f, len, &d, &consumed), want) ||
        !CHECK_EQ_SIZE(consumed, want_consumed) || !CHECK(msg_eq(&d, &sentinel))) {
        fprintf(stderr, "    (from test_wire.c:%d)\n", line);
    }
}
#define EXPECT_DECODE_ERROR(f, len, want, consumed) \
    expect_decode_error((f), (len), (want), (consumed), __LINE__)

/* The message the decode-error tests corrupt, and its valid frame. */
static atomik_msg_t decode_msg(void) {
    return make_msg(ATOMIK_MSG_ACCUM, 5, (UINT64_C(1) << 32) | 5, 17, 3, 0x0123456789ABCDEFULL);
}

static void good_frame(uint8_t good[40]) {
    const atomik_msg_t m = decode_msg();
    CHECK_STATUS(atomik_msg_encode(&m, good, 40, NULL), ATOMIK_OK);
}

/* Every byte of `good` but byte `at` set to `value`, re-checksummed if `seal`,
 * must fail to decode with `want`, consuming one frame. */
static void expect_field_error(const uint8_t good[40], size_t at, const uint8_t *values,
                               size_t n, int seal, atomik_status want) {
    uint8_t f[40];
    size_t i;
    for (i = 0; i < n; i++) {
        memcpy(f, good, 40);
        f[at] = values[i];
        if (seal) reseal(f);
        EXPECT_DECODE_ERROR(f, 40, want, 40);
    }
}

static void test_decode_short_input_is_truncated_and_consumes_nothing(void) {
    uint8_t good[40];
    size_t len;
    good_frame(good);
    /* 0..39 bytes */
    for (len = 0; len < 40; len++) {
        EXPECT_DECODE_ERROR(good, len, ATOMIK_ERR_TRUNCATED, 0);
    }
    /* NULL buffer with length 0 is the empty input: truncated */
    EXPECT_DECODE_ERROR(NULL, 0, ATOMIK_ERR_TRUNCATED, 0);
}

static void test_decode_bad_version_with_or_without_checksum(void) {
    static const uint8_t versions[] = {0, 2, 0xFF};
    uint8_t good[40];
    good_frame(good);
    expect_field_error(good, 0, versions, sizeof versions, 0, ATOMIK_ERR_BAD_VERSION);
    expect_field_error(good, 0, versions, sizeof versions, 1, ATOMIK_ERR_BAD_VERSION);
}

static void test_decode_any_flipped_bit_is_a_bad_checksum(void) {
    uint8_t good[40], f[40];
    size_t i;
    good_frame(good);
    /* flip one bit of every byte in turn (body and checksum) */
    for (i = 1; i < 40; i++) {
        memcpy(f, good, 40);
        f[i] ^= 0x01;
        EXPECT_DECODE_ERROR(f, 40, ATOMIK_ERR_BAD_CHECKSUM, 40);
    }
    /* a body byte change detected even when the field would also be invalid */
    memcpy(f, good, 40);
    f[2] = 4;
    EXPECT_DECODE_ERROR(f, 40, ATOMIK_ERR_BAD_CHECKSUM, 40);
}

static void test_decode_names_the_bad_field(void) {
    /* re-checksummed so that the field is what fails */
    static const uint8_t widths[] = {0, 1, 2, 4, 16, 9, 0xFF};
    static const uint8_t kinds[] = {2, 3, 0x80, 0xFF};
    static const uint8_t reserved[] = {1, 0x80, 0xFF};
    uint8_t good[40];
    good_frame(good);
    expect_field_error(good, 2, widths, sizeof widths, 1, ATOMIK_ERR_WIDTH_MISMATCH);
    expect_field_error(good, 1, kinds, sizeof kinds, 1, ATOMIK_ERR_BAD_KIND);
    expect_field_error(good, 3, reserved, sizeof reserved, 1, ATOMIK_ERR_RESERVED);
}

static void test_decode_checks_fields_in_the_documented_order(void) {
    /* version, checksum, width, kind, reserved */
    uint8_t f[40];
    good_frame(f);
    f[1] = 9;
    f[2] = 4;
    f[3] = 1;
    reseal(f);
    EXPECT_DECODE_ERROR(f, 40, ATOMIK_ERR_WIDTH_MISMATCH, 40);
    f[2] = 8;
    reseal(f);
    EXPECT_DECODE_ERROR(f, 40, ATOMIK_ERR_BAD_KIND, 40);
}

static void test_decode_consumes_exactly_one_frame_of_a_longer_buffer(void) {
    const atomik_msg_t m = decode_msg();
    uint8_t f[48];
    atomik_msg_t d;
    size_t consumed = 0;
    good_frame(f);
    memset(f + 40, 0xAB, 8);
    CHECK_STATUS(atomik_msg_decode(f, sizeof f, &d, &consumed), ATOMIK_OK);
    CHECK_EQ_SIZE(consumed, 40);
    CHECK_MSG_EQ(d, m);
    /* a corrupt frame in a longer buffer: also exactly one frame */
    f[10] ^= 0xFF;
    EXPECT_DECODE_ERROR(f, sizeof f, ATOMIK_ERR_BAD_CHECKSUM, 40);
}

static void test_decode_null_arguments_consume_nothing(void) {
    uint8_t good[40];
    atomik_msg_t d;
    size_t consumed = 0x77;
    good_frame(good);
    CHECK_STATUS(atomik_msg_decode(NULL, 40, &d, &consumed), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_msg_decode(good, 40, NULL, &consumed), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_msg_decode(NULL, 0, NULL, &consumed), ATOMIK_ERR_NULL);
    CHECK_EQ_SIZE(consumed, 0x77);
    CHECK_STATUS_HUGE_LEN(atomik_msg_decode(good, (size_t)PTRDIFF_MAX + 1, &d, &consumed));
    CHECK_EQ_SIZE(consumed, 0x77);
}

/* A malformed frame in the middle of a stream does not misalign the next
 * ones; a trailing partial frame is reported as truncated and not consumed. */
static void test_stream(void) {
    enum { FRAMES = 9 };
    uint8_t stream[FRAMES * 40 + 25];
    atomik_msg_t sent[FRAMES];
    int corrupt[FRAMES];
    size_t off = 0, n_ok = 0, n_bad = 0;
    int k;
    for (k = 0; k < FRAMES; k++) {
        sent[k] = make_msg((uint32_t)(k % 2), 1, 0, (uint64_t)k, (uint32_t)k,
                           0x1111111111111111ULL * (uint64_t)k);
        CHECK_STATUS(atomik_msg_encode(&sent[k], stream + 40 * k, 40, NULL), ATOMIK_OK);
        corrupt[k] = 0;
    }
    /* damage frames 1 (checksum), 3 (version), 4 (kind), 6 (reserved), 7 (width) */
    stream[40 * 1 + 30] ^= 0x04;
    corrupt[1] = ATOMIK_ERR_BAD_CHECKSUM;
    stream[40 * 3 + 0] = 7;
    corrupt[3] = ATOMIK_ERR_BAD_VERSION;
    stream[40 * 4 + 1] = 5;
    reseal(stream + 40 * 4);
    corrupt[4] = ATOMIK_ERR_BAD_KIND;
    stream[40 * 6 + 3] = 1;
    reseal(stream + 40 * 6);
    corrupt[6] = ATOMIK_ERR_RESERVED;
    stream[40 * 7 + 2] = 2;
    reseal(stream + 40 * 7);
    corrupt[7] = ATOMIK_ERR_WIDTH_MISMATCH;
    /* and a partial tenth frame */
    memset(stream + FRAMES * 40, 1, 25);

    for (k = 0; off < sizeof stream; k++) {
        atomik_msg_t d;
        size_t consumed = 0x77;
        const atomik_status st = atomik_msg_decode(stream + off, sizeof stream - off, &d, &consumed);
        if (k == FRAMES) {
            CHECK_STATUS(st, ATOMIK_ERR_TRUNCATED);
            CHECK_EQ_SIZE(consumed, 0);
            CHECK_EQ_SIZE(sizeof stream - off, 25);
            break;
        }
        if (corrupt[k]) {
            CHECK_STATUS(st, corrupt[k]);
            n_bad++;
        } else {
            CHECK_STATUS(st, ATOMIK_OK);
            CHECK_MSG_EQ(d, sent[k]);
            n_ok++;
        }
        CHECK_EQ_SIZE(consumed, 40);
        if (consumed == 0 || consumed == 0x77) break;
        off += consumed;
    }
    CHECK_EQ_SIZE(n_ok, 4);
    CHECK_EQ_SIZE(n_bad, 5);
}

/* ---- the original 16-byte record ------------------------------------------------------ */

static void test_compat_record(void) {
    uint8_t buf[20];
    uint32_t addr = 0, seq = 0;
    uint64_t delta = 0;
    static const uint8_t want[16] = {0x01, 0x02, 0x03, 0x04, 0x10, 0x20, 0x30, 0x40,
                                     0x50, 0x60, 0x70, 0x80, 0xA1, 0xB2, 0xC3, 0xD4};
    memset(buf, 0xEE, sizeof buf);
    CHECK_STATUS(atomik_compat_encode(0x01020304u, 0x1020304050607080ULL, 0xA1B2C3D4u, buf,
                                      sizeof buf),
                 ATOMIK_OK);
    CHECK_EQ_MEM(buf, want, 16); /* big-endian addr, delta, seq */
    CHECK_EQ_U64(buf[16], 0xEE);
    CHECK_STATUS(atomik_compat_decode(buf, 16, &addr, &delta, &seq), ATOMIK_OK);
    CHECK_EQ_U64(addr, 0x01020304u);
    CHECK_EQ_U64(delta, 0x1020304050607080ULL);
    CHECK_EQ_U64(seq, 0xA1B2C3D4u);
    /* longer input: the first 16 bytes */
    CHECK_STATUS(atomik_compat_decode(buf, sizeof buf, &addr, &delta, &seq), ATOMIK_OK);
    CHECK_EQ_U64(seq, 0xA1B2C3D4u);

    /* any 16 bytes are a record (no checksum): corruption is not detected */
    buf[5] ^= 0xFF;
    CHECK_STATUS(atomik_compat_decode(buf, 16, &addr, &delta, &seq), ATOMIK_OK);
    CHECK_EQ_U64(delta, 0x10DF304050607080ULL);

    /* round trip over random records, exactly-sized buffer */
    {
        uint64_t rng = 5;
        int iter;
        for (iter = 0; iter < 500; iter++) {
            const uint32_t a = (uint32_t)rng_next(&rng);
            const uint64_t dl = rng_next(&rng);
            const uint32_t s = (uint32_t)rng_next(&rng);
            uint8_t rec[16];
            CHECK_STATUS(atomik_compat_encode(a, dl, s, rec, sizeof rec), ATOMIK_OK);
            CHECK_STATUS(atomik_compat_decode(rec, sizeof rec, &addr, &delta, &seq), ATOMIK_OK);
            CHECK_EQ_U64(addr, a);
            CHECK_EQ_U64(delta, dl);
            CHECK_EQ_U64(seq, s);
            CHECK_EQ_U64(rec[0], a >> 24);
            CHECK_EQ_U64(rec[15], s & 0xFF);
        }
    }

    /* errors */
    memset(buf, 0xEE, sizeof buf);
    {
        size_t cap;
        for (cap = 0; cap < 16; cap++) {
            CHECK_STATUS(atomik_compat_encode(1, 2, 3, buf, cap), ATOMIK_ERR_BUFFER_TOO_SMALL);
        }
        CHECK_EQ_U64(buf[0], 0xEE);
        CHECK_STATUS(atomik_compat_encode(1, 2, 3, NULL, 16), ATOMIK_ERR_NULL);
        CHECK_STATUS(atomik_compat_encode(1, 2, 3, NULL, 0), ATOMIK_ERR_NULL);
        addr = 0x77;
        delta = 0x77;
        seq = 0x77;
        for (cap = 0; cap < 16; cap++) {
            CHECK_STATUS(atomik_compat_decode(buf, cap, &addr, &delta, &seq),
                         ATOMIK_ERR_TRUNCATED);
        }
        CHECK_STATUS(atomik_compat_decode(NULL, 0, &addr, &delta, &seq), ATOMIK_ERR_TRUNCATED);
        CHECK_STATUS(atomik_compat_decode(NULL, 16, &addr, &delta, &seq), ATOMIK_ERR_NULL);
        CHECK_STATUS(atomik_compat_decode(buf, 16, NULL, &delta, &seq), ATOMIK_ERR_NULL);
        CHECK_STATUS(atomik_compat_decode(buf, 16, &addr, NULL, &seq), ATOMIK_ERR_NULL);
        CHECK_STATUS(atomik_compat_decode(buf, 16, &addr, &delta, NULL), ATOMIK_ERR_NULL);
        CHECK_STATUS_HUGE_LEN(
            atomik_compat_decode(buf, (size_t)PTRDIFF_MAX + 1, &addr, &delta, &seq));
        CHECK_EQ_U64(addr, 0x77);
        CHECK_EQ_U64(delta, 0x77);
        CHECK_EQ_U64(seq, 0x77);
    }
}

int main(void) {
    RUN_TEST(test_xxh32_reference);
    RUN_TEST(test_msg_layout);
    RUN_TEST(test_encode_bytes);
    RUN_TEST(test_encode_errors);
    RUN_TEST(test_roundtrip_random);
    RUN_TEST(test_decode_short_input_is_truncated_and_consumes_nothing);
    RUN_TEST(test_decode_bad_version_with_or_without_checksum);
    RUN_TEST(test_decode_any_flipped_bit_is_a_bad_checksum);
    RUN_TEST(test_decode_names_the_bad_field);
    RUN_TEST(test_decode_checks_fields_in_the_documented_order);
    RUN_TEST(test_decode_consumes_exactly_one_frame_of_a_longer_buffer);
    RUN_TEST(test_decode_null_arguments_consume_nothing);
    RUN_TEST(test_stream);
    RUN_TEST(test_compat_record);
    return check_summary("test_wire");
}
