#!/usr/bin/env python3
"""The public headers: each is installed, in the umbrella header, compiled alone, and every
public type and free function in them has a `Thread safety:` line (style.md §12).

    check_public_headers.py DIR [--listed NAME...]

Reads every *.hpp and *.hpp.in in DIR (include/pusher). Also fails when a header of DIR is
not installed (named in DIR/meson.build), not included by the umbrella pusher.hpp, or, with
--listed, not among the NAMEs (the headers test/public_api/meson.build compiles alone).
Looks at the declarations at namespace scope of each header (lines starting without
indentation: struct, class, enum, using, and PUSHER_API functions; forward declarations and
namespace detail are skipped) and checks that the `///` block right above each one holds a
line starting with "Thread safety:" (members are covered by their class's line). Prints the
declarations without one; exit status 1 when there are any.
"""

import argparse
import pathlib
import re
import sys

DECLARATION = re.compile(r"^(struct|class|enum class|enum|using|PUSHER_API)\b")


def missing_in(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    missing = []
    in_detail = False
    for i, line in enumerate(lines):
        if line.startswith("namespace detail"):
            in_detail = True
        if in_detail:
            if line.startswith("}"):
                in_detail = False
            continue
        if not DECLARATION.match(line) or line.rstrip().endswith(";") and "(" not in line \
                and "=" not in line:
            continue  # not a declaration, or a forward declaration
        j = i - 1
        block = []
        while j >= 0 and lines[j].startswith("///"):
            block.append(lines[j])
            j -= 1
        if not any(re.match(r"^/// ?Thread safety:", b) for b in block):
            missing.append(f"{path}:{i + 1}: {line.strip()}")
    return missing


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--listed", nargs="*")
    args = parser.parse_args()
    headers = sorted(pathlib.Path(args.dir).glob("*.hpp")) + \
        sorted(pathlib.Path(args.dir).glob("*.hpp.in"))
    problems = [f"no 'Thread safety:' line: {m}" for h in headers for m in missing_in(str(h))]
    build_file = (pathlib.Path(args.dir) / "meson.build").read_text(encoding="utf-8")
    umbrella = (pathlib.Path(args.dir) / "pusher.hpp").read_text(encoding="utf-8")
    for h in headers:
        if h.name not in build_file:
            problems.append(f"{h}: not installed: add it to {args.dir}/meson.build")
        name = h.name[:-len(".in")] if h.name.endswith(".in") else h.name
        if name != "pusher.hpp" and f"#include <pusher/{name}>" not in umbrella:
            problems.append(f"{h}: the umbrella header pusher.hpp does not include it")
    if args.listed is not None:
        for h in headers:
            name = h.name[:-len(".in")] if h.name.endswith(".in") else h.name
            if name not in args.listed:
                problems.append(f"{h}: not compiled alone: add it to test/public_api/meson.build")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"check-public-headers: {len(headers)} headers, all installed, in pusher.hpp, compiled "
          "alone, every declaration with a thread-safety line")
    return 0


if __name__ == "__main__":
    sys.exit(main())
