#include "tls_files.hpp"

#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include "child_process.hpp"
#include "environment.hpp"

namespace pusher::test {
namespace {

void run_openssl(std::vector<std::string> args, const std::string& dir) {
  args.insert(args.begin(), "openssl");
  std::optional<ChildProcess> process;
  try {
    process.emplace(args, std::vector<std::pair<std::string, std::string>>{}, dir);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + "; install it: apt-get install openssl");
  }
  process->close_stdin();
  int status = process->wait(std::chrono::seconds(30));
  if (status != 0) {
    throw std::runtime_error("'" + process->command() + "' failed in " + dir + " (status " +
                             std::to_string(status) +
                             "); check the openssl version (3.x "
                             "expected). Its output:\n" +
                             process->output());
  }
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path + " (is the temp folder writable?)");
}

std::string random_serial() {
  std::random_device device;
  std::uniform_int_distribution<unsigned long> digits(1UL << 40, 1UL << 52);
  return std::to_string(digits(device));
}

// A P-256 key and a certificate for `sans`, signed by the CA in dir.
void make_leaf(const std::string& dir, const std::string& name, const std::string& common_name,
               const std::string& sans) {
  write_file(dir + "/" + name + ".ext",
             "basicConstraints = critical, CA:FALSE\n"
             "keyUsage = critical, digitalSignature, keyEncipherment\n"
             "extendedKeyUsage = serverAuth\n"
             "subjectAltName = " +
                 sans + "\n");
  run_openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + common_name},
              dir);
  run_openssl({"x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
               "-set_serial", random_serial(), "-days", "825", "-sha256", "-extfile", name + ".ext",
               "-out", name + ".pem"},
              dir);
}

TlsFiles create_tls_files() {
  TlsFiles files;
  files.dir = temp_dir();
  const std::string& dir = files.dir;
  run_openssl({"req",      "-x509",
               "-newkey",  "ec",
               "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes",   "-keyout",
               "ca.key",   "-out",
               "ca.pem",   "-days",
               "3650",     "-sha256",
               "-subj",    "/CN=pusher-cpp test CA",
               "-addext",  "basicConstraints=critical,CA:TRUE",
               "-addext",  "keyUsage=critical,keyCertSign,cRLSign"},
              dir);
  make_leaf(dir, "server", "localhost", "IP:127.0.0.1, DNS:localhost");
  make_leaf(dir, "wrong-host", "not-this-host.example", "DNS:not-this-host.example");
  files.ca_cert = dir + "/ca.pem";
  files.server_cert = dir + "/server.pem";
  files.server_key = dir + "/server.key";
  files.wrong_host_cert = dir + "/wrong-host.pem";
  files.wrong_host_key = dir + "/wrong-host.key";
  return files;
}

}  // namespace

TlsFiles make_tls_files() {
  static std::mutex mutex;
  static std::optional<TlsFiles> cached;
  std::lock_guard<std::mutex> lock(mutex);
  if (!cached) cached = create_tls_files();
  return *cached;
}

}  // namespace pusher::test
