#pragma once

#include <filesystem>
#include <string>

namespace lockctl {

/// " by pid 123 (python3), pid 456 (lockctl)" for the processes holding locks on `path`, as far
/// as the system tells; empty when nobody can be named.
std::string describeHolders(const std::filesystem::path& path);

} // namespace lockctl
