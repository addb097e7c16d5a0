// libFuzzer target: certificate fact extraction and classification (and stapled OCSP
// response parsing) on arbitrary DER.
// Whatever the bytes, extraction must not crash, leak, or produce facts that fail to
// serialise as JSON, and classification must give a verdict.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <openssl/x509.h>

#include "net/x509_facts.h"
#include "probes/tls_verdict.h"

using namespace lookout::net;
using namespace lookout::probes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view der(reinterpret_cast<const char*>(data), size);
  (void)ocsp_staple_status(der, nullptr, nullptr);  // the same bytes as a stapled response
  auto facts = cert_facts_from_der(der);
  if (!facts) return 0;
  const auto now = std::chrono::system_clock::now();
  (void)cert_facts_json(*facts, now).dump();

  // Host matching on the same certificate, with a name and an address.
  const auto* p = data;
  if (X509* cert = d2i_X509(nullptr, &p, static_cast<long>(size))) {
    (void)cert_matches_host(cert, "www.example.com");
    (void)cert_matches_host(cert, "127.0.0.1");
    X509_free(cert);
  }

  TlsObservation obs;
  obs.served = {*facts, *facts};
  obs.host = "www.example.com";
  obs.host_matches = false;
  obs.verify_errors = {{X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0},
                       {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0}};
  TlsVerdict v = classify_tls(obs, ExpiryPolicy{}, now);
  (void)v.findings_json().dump();
  nlohmann::json summary = v.summary;
  (void)summary.dump();
  return 0;
}
