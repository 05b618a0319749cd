/* test_seal.c — sealing primitives: RFC 8032 section 7.1 test vectors through db/ed25519.c,
 * RFC 6962 Merkle roots (db/merkle.c), key directory init/load/rotate with the old key
 * erased, and certificate lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/checkpoint.h"
#include "db/ed25519.h"
#include "db/hash_chain.h"
#include "db/merkle.h"
#include "db/seal_keys.h"

struct vector {
    const char *secret, *public_key, *message, *signature;
};

/* RFC 8032 section 7.1: TEST 1, TEST 2, TEST 3, TEST 1024 (message abbreviated below as
 * built at run time would be long; its hex is kept whole) and TEST SHA(abc). */
static const struct vector vectors[] = {
    { "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
    { "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
    { "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
      "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
    { "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
      "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
      "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};

static void unhex_alloc(const char *hex, uint8_t **out, size_t *len)
{
    *len = strlen(hex) / 2;
    *out = malloc(*len ? *len : 1);
    assert_non_null(*out);
    assert_int_equal(ow_unhex(hex, *out, *len), 0);
}

static void test_rfc8032_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const struct vector *v = &vectors[i];
        uint8_t sec[32], pub[32], want_pub[32], sig[64], want_sig[64], derived[32];
        uint8_t *msg;
        size_t len;
        assert_int_equal(ow_unhex(v->secret, sec, 32), 0);
        assert_int_equal(ow_unhex(v->public_key, want_pub, 32), 0);
        assert_int_equal(ow_unhex(v->signature, want_sig, 64), 0);
        unhex_alloc(v->message, &msg, &len);
        assert_int_equal(ow_ed25519_public(sec, derived), 0);
        assert_memory_equal(derived, want_pub, 32);
        memcpy(pub, want_pub, 32);
        assert_int_equal(ow_ed25519_sign(sec, msg, len, sig), 0);
        assert_memory_equal(sig, want_sig, 64);
        assert_int_equal(ow_ed25519_verify(pub, msg, len, sig), 0);
        /* Any flipped bit in the message, the signature or the key fails. */
        sig[5] ^= 1;
        assert_int_equal(ow_ed25519_verify(pub, msg, len, sig), -1);
        sig[5] ^= 1;
        if (len) {
            msg[0] ^= 0x80;
            assert_int_equal(ow_ed25519_verify(pub, msg, len, sig), -1);
            msg[0] ^= 0x80;
        }
        pub[31] ^= 2;
        assert_int_equal(ow_ed25519_verify(pub, msg, len, sig), -1);
        free(msg);
    }
}

/* TEST 1024 of RFC 8032 7.1: a 1023-byte message. */
static const char test1024_msg[] =
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f27088d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128bab27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb751fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e488acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380db2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0";

static void test_rfc8032_1024(void **state)
{
    (void)state;
    uint8_t sec[32], pub[32], want[64], sig[64], *msg;
    size_t len;
    assert_int_equal(ow_unhex("f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5", sec, 32), 0);
    assert_int_equal(ow_unhex("278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", pub, 32), 0);
    assert_int_equal(ow_unhex("0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03", want, 64), 0);
    unhex_alloc(test1024_msg, &msg, &len);
    assert_int_equal(len, 1023);
    assert_int_equal(ow_ed25519_sign(sec, msg, len, sig), 0);
    assert_memory_equal(sig, want, 64);
    assert_int_equal(ow_ed25519_verify(pub, msg, len, sig), 0);
    free(msg);
}

static void test_keygen_roundtrip(void **state)
{
    (void)state;
    uint8_t pub[32], sec[32], derived[32], sig[64];
    assert_int_equal(ow_ed25519_keygen(pub, sec), 0);
    assert_int_equal(ow_ed25519_public(sec, derived), 0);
    assert_memory_equal(pub, derived, 32);
    assert_int_equal(ow_ed25519_sign(sec, "abc", 3, sig), 0);
    assert_int_equal(ow_ed25519_verify(pub, "abc", 3, sig), 0);
    assert_int_equal(ow_ed25519_verify(pub, "abd", 3, sig), -1);
}

static void test_keydir(void **state)
{
    (void)state;
    char dir[] = "/tmp/ow-test-keys-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char kd[300], err[512];
    snprintf(kd, sizeof kd, "%s/keys", dir);
    uint8_t root[32];
    assert_int_equal(ow_keys_init(kd, "sensor-1", root, err, sizeof err), 0);
    /* A second init refuses to overwrite. */
    assert_int_equal(ow_keys_init(kd, "sensor-1", root, err, sizeof err), -1);
    char path[400];
    struct stat sb;
    const char *secret_files[] = { "root.key", "epoch.key" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", kd, secret_files[i]);
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
    }
    struct ow_keydir k;
    assert_int_equal(ow_keydir_load(&k, kd, err, sizeof err), 0);
    assert_int_equal(k.epoch, 1);
    assert_memory_equal(k.root_public, root, 32);
    uint8_t old_secret[32];
    memcpy(old_secret, k.secret, 32);
    struct ow_epoch_cert c;
    assert_int_equal(ow_keydir_rotate(&k, 123, &c, err, sizeof err), 0);
    assert_int_equal(k.epoch, 2);
    assert_int_equal(ow_epoch_cert_verify(&c, k.certs[0].public_key), 0);
    ow_keydir_free(&k);
    /* The old secret is nowhere in the directory any more. */
    char hex[65];
    ow_hex(old_secret, 32, hex);
    snprintf(path, sizeof path, "grep -rq %s %s", hex, kd);
    assert_int_not_equal(system(path), 0);
    assert_int_equal(ow_keydir_load(&k, kd, err, sizeof err), 0);
    assert_int_equal(k.epoch, 2);
    assert_int_equal(k.ncerts, 2);
    ow_keydir_free(&k);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

static void test_cert_lines(void **state)
{
    (void)state;
    struct ow_epoch_cert c = { .epoch = 7, .issued_wall_us = 42 }, d;
    snprintf(c.sensor, sizeof c.sensor, "s1");
    memset(c.public_key, 0xab, 32);
    memset(c.signature, 0xcd, 64);
    char line[512];
    assert_int_equal(ow_epoch_cert_format(&c, line, sizeof line), 0);
    assert_int_equal(ow_epoch_cert_parse(line, strlen(line), &d), 0);
    assert_memory_equal(&c, &d, sizeof c);
    const char *bad[] = { "", "cert", "cert s1 07 aa 1 bb", "cert s1 0 x 1 y" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ow_epoch_cert_parse(bad[i], strlen(bad[i]), &d), -1);
    line[strlen(line) - 1] = 'X';
    assert_int_equal(ow_epoch_cert_parse(line, strlen(line), &d), -1);
}

/* The tree heads of the certificate-transparency test vectors (RFC 6962 hashing): the first
 * n of eight leaves. */
static void test_merkle_ct_vectors(void **state)
{
    (void)state;
    static const char *const leaves[] = { "", "00", "10", "2021", "3031", "40414243",
        "5051525354555657", "606162636465666768696a6b6c6d6e6f" };
    static const char *const roots[] = {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    };
    uint8_t hashes[8][OW_HASH_LEN], root[OW_HASH_LEN];
    for (int i = 0; i < 8; i++) {
        uint8_t *data;
        size_t len;
        unhex_alloc(leaves[i], &data, &len);
        ow_merkle_leaf(data, len, hashes[i]);
        free(data);
    }
    for (int n = 1; n <= 8; n++) {
        char hex[OW_HASH_HEX_LEN];
        ow_merkle_root((const uint8_t (*)[OW_HASH_LEN])hashes, (size_t)n, root);
        ow_hex(root, OW_HASH_LEN, hex);
        assert_string_equal(hex, roots[n - 1]);
    }
    /* The empty tree is SHA-256 of nothing; a large leaf takes the streamed path. */
    char hex[OW_HASH_HEX_LEN];
    ow_merkle_root(NULL, 0, root);
    ow_hex(root, OW_HASH_LEN, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    uint8_t *big = calloc(1, 10000), want[OW_HASH_LEN], *pre = calloc(1, 10001);
    assert_non_null(big);
    assert_non_null(pre);
    ow_merkle_leaf(big, 10000, root);
    ow_sha256(pre, 10001, want);
    assert_memory_equal(root, want, OW_HASH_LEN);
    free(big);
    free(pre);
}

/* A checkpoint signs every field; its witness line parses back to it exactly. */
static void test_checkpoint_roundtrip(void **state)
{
    (void)state;
    uint8_t pub[32], sec[32];
    assert_int_equal(ow_ed25519_keygen(pub, sec), 0);
    struct ow_checkpoint cp = { .epoch = 3, .number = 7, .chain_seq = 99, .records = 99,
                                .packet_us = 1770702602004000ull, .wall_us = 1796189317885116ull };
    snprintf(cp.sensor, sizeof cp.sensor, "s-1");
    snprintf(cp.reason, sizeof cp.reason, "heartbeat");
    memset(cp.head, 0x5a, sizeof cp.head);
    assert_int_equal(ow_checkpoint_sign(&cp, sec), 0);
    assert_int_equal(ow_checkpoint_verify(&cp, pub), 0);
    json_t *j = ow_checkpoint_json(&cp);
    char *line = json_dumps(j, JSON_COMPACT);
    struct ow_checkpoint back;
    struct ow_epoch_cert cert;
    assert_int_equal(ow_witness_line_parse(line, strlen(line), &back, &cert), 1);
    assert_memory_equal(&back, &cp, sizeof cp);
    free(line);
    json_decref(j);
    /* Each field is signed. */
    struct ow_checkpoint t = cp;
    t.chain_seq++;
    assert_int_equal(ow_checkpoint_verify(&t, pub), -1);
    t = cp;
    t.epoch++;
    assert_int_equal(ow_checkpoint_verify(&t, pub), -1);
    t = cp;
    t.sensor[0] = 'x';
    assert_int_equal(ow_checkpoint_verify(&t, pub), -1);
    t = cp;
    t.reason[0] = 'H';
    assert_int_equal(ow_checkpoint_verify(&t, pub), -1);
    t = cp;
    t.head[31] ^= 1;
    assert_int_equal(ow_checkpoint_verify(&t, pub), -1);
    /* Lines that are not exactly a checkpoint or a certificate are refused. */
    const char *bad[] = { "", "{}", "[]", "{\"type\":\"checkpoint\"}", "not json",
                          "{\"type\":\"checkpoint\",\"type\":\"epoch_cert\"}" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ow_witness_line_parse(bad[i], strlen(bad[i]), &back, &cert), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032_vectors),
        cmocka_unit_test(test_rfc8032_1024),
        cmocka_unit_test(test_keygen_roundtrip),
        cmocka_unit_test(test_keydir),
        cmocka_unit_test(test_cert_lines),
        cmocka_unit_test(test_merkle_ct_vectors),
        cmocka_unit_test(test_checkpoint_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
