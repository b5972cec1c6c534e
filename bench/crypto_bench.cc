// Signing cost of the JOSE layer next to the raw OpenSSL calls it wraps, and
// the cost the design avoids by parsing keys once (docs/ARCHITECTURE.md rule 14):
//   SignJwt            full compact JWS (JSON dump, base64url, signature)
//   SigningKeySign     our SigningKey::Sign on a fixed signing input
//   RawEvpDigestSign   EVP_DigestSign with a pre-loaded EVP_PKEY, written the
//                      textbook way (context per call, implicit SHA-256 fetch)
//   ReparsePemEachTime PEM_read_bio_PrivateKey + EVP_DigestSign per signature,
//                      what a library that keeps keys as PEM text does
// plus verification and the Ethereum primitives used by the wallet login.
#include <benchmark/benchmark.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <map>

#include "crypto/ethereum.h"
#include "crypto/evp.h"
#include "crypto/jose.h"

namespace certme {
namespace {

struct BenchKeys {
  std::map<JwsAlg, std::shared_ptr<SigningKey>> by_alg;
  std::map<JwsAlg, std::string> pem;
};

const BenchKeys& Keys() {
  static const BenchKeys keys = [] {
    BenchKeys k;
    auto make = [](const char* kty, const char* kid) {
      auto key = GenerateSigningKey(kty, kid);
      if (!key.ok()) std::abort();
      return *key;
    };
    auto rsa = make("RSA", "rsa"), ec = make("EC", "ec"), ed = make("OKP", "ed");
    k.by_alg = {{JwsAlg::kRS256, rsa}, {JwsAlg::kPS256, rsa}, {JwsAlg::kES256, ec},
                {JwsAlg::kEdDSA, ed}};
    for (auto& [alg, key] : k.by_alg) k.pem[alg] = *SigningKeyToPem(*key);
    return k;
  }();
  return keys;
}

const nlohmann::json& Claims() {
  static const nlohmann::json claims = {
      {"iss", "https://bridge.example"}, {"sub", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"},
      {"aud", "client-123"},             {"exp", 1900000000},
      {"iat", 1899999700},               {"nonce", "n-0S6_WzA2Mj"},
      {"auth_time", 1899999690},         {"acr", "substantial"}};
  return claims;
}

constexpr std::string_view kSigningInput =
    "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVjIiwidHlwIjoiSldUIn0."
    "eyJhdWQiOiJjbGllbnQtMTIzIiwiZXhwIjoxOTAwMDAwMDAwLCJpc3MiOiJodHRwczovL2JyaWRnZS5leGFtcGxlIn0";

void BM_SignJwt(benchmark::State& state, JwsAlg alg) {
  const SigningKey& key = *Keys().by_alg.at(alg);
  for (auto _ : state) {
    auto token = SignJwt(key, alg, Claims());
    if (!token.ok()) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SigningKeySign(benchmark::State& state, JwsAlg alg) {
  const SigningKey& key = *Keys().by_alg.at(alg);
  for (auto _ : state) {
    auto sig = key.Sign(alg, kSigningInput);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}

bool RawSign(EVP_PKEY* pkey, JwsAlg alg, std::string& sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  size_t len = static_cast<size_t>(EVP_PKEY_get_size(pkey));
  sig.resize(len);
  bool ok =
      EVP_DigestSignInit(ctx, &pctx, alg == JwsAlg::kEdDSA ? nullptr : EVP_sha256(), nullptr,
                         pkey) == 1 &&
      (alg != JwsAlg::kPS256 ||
       (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1)) &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(kSigningInput.data()),
                     kSigningInput.size()) == 1;
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return ok;
}

void BM_RawEvpDigestSign(benchmark::State& state, JwsAlg alg) {
  EVP_PKEY* pkey = BorrowEvpPkey(*Keys().by_alg.at(alg));  // loaded once
  std::string sig;
  for (auto _ : state) {
    if (!RawSign(pkey, alg, sig)) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ReparsePemEachTime(benchmark::State& state, JwsAlg alg) {
  const std::string& pem = Keys().pem.at(alg);
  std::string sig;
  for (auto _ : state) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!pkey || !RawSign(pkey, alg, sig)) state.SkipWithError("sign failed");
    EVP_PKEY_free(pkey);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}

// One-time start-up cost of ParseSigningKeyPem (includes its self-test
// signature and the JWK/PEM it caches).
void BM_LoadSigningKeyPem(benchmark::State& state, JwsAlg alg) {
  const std::string& pem = Keys().pem.at(alg);
  for (auto _ : state) {
    auto key = ParseSigningKeyPem(pem, "k");
    if (!key.ok()) state.SkipWithError("load failed");
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_VerifyJwt(benchmark::State& state, JwsAlg alg) {
  auto key = Keys().by_alg.at(alg);
  const std::string token = *SignJwt(*key, alg, Claims());
  const std::vector<std::shared_ptr<const PublicKey>> keys = {key};
  for (auto _ : state) {
    auto v = VerifyJwt(token, keys, {alg});
    if (!v.ok()) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

#define CERTME_PER_ALG(fn)                      \
  BENCHMARK_CAPTURE(fn, RS256, JwsAlg::kRS256); \
  BENCHMARK_CAPTURE(fn, PS256, JwsAlg::kPS256); \
  BENCHMARK_CAPTURE(fn, ES256, JwsAlg::kES256); \
  BENCHMARK_CAPTURE(fn, EdDSA, JwsAlg::kEdDSA)

CERTME_PER_ALG(BM_SignJwt);
CERTME_PER_ALG(BM_SigningKeySign);
CERTME_PER_ALG(BM_RawEvpDigestSign);
CERTME_PER_ALG(BM_ReparsePemEachTime);
CERTME_PER_ALG(BM_LoadSigningKeyPem);
CERTME_PER_ALG(BM_VerifyJwt);

// ---------------- Ethereum ----------------

void BM_Keccak256(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Keccak256(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Keccak256)->Arg(32)->Arg(1024);

const EthKey& BenchEthKey() {
  static const EthKey key =
      *EthKey::FromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  return key;
}

void BM_EthSignDigest(benchmark::State& state) {
  Bytes32 digest = Keccak256("login");
  for (auto _ : state) benchmark::DoNotOptimize(BenchEthKey().SignDigest(digest));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EthSignDigest);

void BM_EthRecoverAddress(benchmark::State& state) {
  Bytes32 digest = Keccak256("login");
  EthSignature sig = BenchEthKey().SignDigest(digest);
  for (auto _ : state) {
    auto addr = RecoverAddress(digest, sig);
    if (!addr.ok()) state.SkipWithError("recover failed");
    benchmark::DoNotOptimize(addr);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EthRecoverAddress);

// What the bridge does per wallet login: hash the message, sign (wallet
// side, here for symmetry) and recover the signer.
void BM_EthKeccakSignRecover(benchmark::State& state) {
  const std::string message = "certME login code 7f3a9c2e41b0 for https://bridge.example";
  for (auto _ : state) {
    Bytes32 digest = EthMessageHash(message);
    EthSignature sig = BenchEthKey().SignDigest(digest);
    auto addr = RecoverAddress(digest, sig);
    benchmark::DoNotOptimize(addr);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EthKeccakSignRecover);

void BM_EthSharedX(benchmark::State& state) {
  EthKey peer = EthKey::Generate();
  for (auto _ : state) benchmark::DoNotOptimize(BenchEthKey().SharedX(peer.public_key()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EthSharedX);

}  // namespace
}  // namespace certme

BENCHMARK_MAIN();
