// SPDX-License-Identifier: GPL-2.0-only
// A control socket request line: decoded, then its arguments read by the command's own
// typed request. Every refusal is a usage or invalid-value error, never an exception or
// kind "internal".
#include <tuple>

#include "fuzz/fuzz_support.h"
#include "protocol/commands.h"
#include "protocol/protocol.h"

using namespace mcf2b;
using namespace mcf2b::control;

namespace {

template <class... Commands> void read_args(const Request &request, std::tuple<Commands...> *) {
  auto try_one = [&](auto command) {
    using Command = decltype(command);
    if (request.command != Command::kName)
      return;
    auto parsed = Command::Request::from_json(request.args);
    if (!parsed && parsed.error().kind == ErrorKind::internal)
      fuzz::violated("kind internal for " + std::string(Command::kName) + ": " +
                     parsed.error().message());
  };
  (try_one(Commands{}), ...);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Response failure;
  auto request = decode_request(fuzz::text(data, size), &failure);
  if (!request) {
    if (failure.ok || failure.error.kind != ErrorKind::usage)
      fuzz::violated("a malformed request not answered with a usage error");
    return 0;
  }
  read_args(*request, static_cast<AllCommands *>(nullptr));
  return 0;
}
