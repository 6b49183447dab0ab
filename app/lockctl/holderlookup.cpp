#include "holderlookup.hpp"

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace lockctl {

std::string describeHolders(const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0)
        return {};
    std::ifstream locks("/proc/locks");
    std::string line;
    std::string description;
    const std::string inode = ":" + std::to_string(status.st_ino) + " ";
    while (std::getline(locks, line)) {
        if (line.find("->") != std::string::npos || line.find(inode) == std::string::npos)
            continue;
        std::istringstream fields(line);
        std::string id, kind, qualifier, mode, pid;
        fields >> id >> kind >> qualifier >> mode >> pid;
        std::ifstream comm("/proc/" + pid + "/comm");
        std::string command;
        std::getline(comm, command);
        description += description.empty() ? " by " : ", ";
        description += pid == "-1" ? std::string("an open file description (OFD lock)")
                                   : "pid " + pid + (command.empty() ? "" : " (" + command + ")");
    }
    return description;
}

} // namespace lockctl
