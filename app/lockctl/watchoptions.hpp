#pragma once
// The watch options of `lockctl list`: files to show even while free, as the Lock
// Inspector's watches (portalocker::inspect::Watch), so that a remote host's agent evaluates
// the operator's watches there exactly as the local scanner does here.
//
//   --watch-file PATH | --watch-dir DIRECTORY | --watch-glob PATTERN
//   --watch-semaphore DIRECTORY NAME MAXIMUM [--pattern PATTERN]
//   [--stuck-after SECONDS]   (after any of them: that watch's own stuck threshold)

#include <portalocker/inspect/watch.hpp>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace lockctl {

class WatchOptions {
  public:
    /// Adds the options to `parser`. They are read in command-line order, so that --pattern
    /// and --stuck-after apply to the watch before them; `this` must outlive the parse.
    void add_to(CLI::App& parser);

    /// The watches in command-line order (valid after a parse without error()).
    const std::vector<portalocker::inspect::Watch>& watches() const { return m_watches; }
    /// Why the watch options are wrong (the first problem found), or "".
    const std::string& error() const { return m_error; }

  private:
    void add(portalocker::inspect::Watch watch);
    void fail(std::string message);

    std::vector<portalocker::inspect::Watch> m_watches;
    std::string m_error;
};

} // namespace lockctl
