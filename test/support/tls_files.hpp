#pragma once

#include <string>

namespace pusher::test {

/// PEM files made with the openssl CLI (P-256 keys).
struct TlsFiles {
  std::string dir;
  std::string ca_cert;      ///< self-signed test CA
  std::string server_cert;  ///< signed by the CA; SAN IP:127.0.0.1, DNS:localhost
  std::string server_key;
  std::string wrong_host_cert;  ///< signed by the CA; SAN DNS:not-this-host.example only
  std::string wrong_host_key;
};

/// Makes the files once per process (later calls return copies of the same paths). Thread-safe.
/// Throws std::runtime_error saying what to do when openssl is missing or fails.
TlsFiles make_tls_files();

}  // namespace pusher::test
