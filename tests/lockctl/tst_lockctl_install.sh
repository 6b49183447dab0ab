#!/bin/bash
# `cmake --install` of the lockctl component puts the program, its manual page and its bash
# completion where Debian puts them (bin, share/man/man1, share/bash-completion/completions),
# the page renders without a warning, and the installed completion completes.
# usage: tst_lockctl_install.sh BUILD_DIR
set -euo pipefail

build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" --component lockctl >/dev/null

for file in bin/lockctl share/man/man1/lockctl.1 share/bash-completion/completions/lockctl; do
    [[ -f $prefix/$file ]] || fail "cmake --install did not install $file (installed: $(cd "$prefix" && find . -type f | tr '\n' ' '))"
done
"$prefix/bin/lockctl" --version | grep -qx "lockctl [0-9][0-9.]*" || fail "the installed lockctl does not run"

page=$prefix/share/man/man1/lockctl.1
warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || fail "groff failed on lockctl.1: $warnings"
[[ -z $warnings ]] || fail "lockctl.1 renders with warnings: $warnings"
grep -q '@[A-Z_]*@' "$page" && fail "lockctl.1 kept an unconfigured @VARIABLE@"
text=$(MANWIDTH=80 man -l "$page" 2>/dev/null) || fail "man -l cannot show lockctl.1"
for word in hold semaphore list who redis "EXIT STATUS" LOCKSCOPE_REDIS_URL; do
    grep -q -- "$word" <<<"$text" || fail "lockctl.1 does not mention $word"
done
# Every command the program offers is in the manual page.
for command in $("$prefix/bin/lockctl" --help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
    grep -q "^\.B lockctl $command\|^\.B $command" "$page" || fail "lockctl.1 does not document '$command'"
done

completion=$prefix/share/bash-completion/completions/lockctl
complete_words() { # words of the command line, the last being the one completed
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lockctl
             printf "%s\n" "${COMPREPLY[@]}"' completion "$completion" "$@"
}
expect() { # expected-word words...
    local want=$1; shift
    complete_words "$@" | grep -qx -- "$want" || fail "completing '$*' does not offer '$want' (got: $(complete_words "$@" | tr '\n' ' '))"
}
expect semaphore lockctl se
expect release lockctl redis --url redis://x re
expect --channel lockctl redis hold name --ch
expect ofd lockctl hold x --backend o
expect --semaphore lockctl who /tmp --se
[[ -z $(complete_words lockctl redis list --count "") ]] || fail "--count offers words"
# --ssh (issue #12): offered, documented, and its value is a destination, not a subcommand.
expect --ssh lockctl redis --ss
expect list lockctl redis --ssh bastion l
grep -q -- '--ssh' <<<"$text" || fail "lockctl.1 does not document --ssh"
# Watches of `lockctl list` (issue #13: a remote host's watches): offered and documented.
expect --watch-semaphore lockctl list --watch-se
expect --stuck-after lockctl list --watch-file /tmp/a --stu
for option in --watch-file --watch-dir --watch-glob --watch-semaphore --stuck-after; do
    grep -q -- "$option" <<<"$text" || fail "lockctl.1 does not document $option"
done
echo "PASS: lockctl, lockctl.1 and its bash completion installed under $prefix"
